"""Everything between files and tensors, laid out as the pipeline it is.

Text and tagged data::

    files --readers--> records --tokenizers--> tokens --vocab--> ids --datasets--> items --batching--> tensors
          readers.py            tokenizers/            vocab.py      datasets.py         batching.py
          conll.py, vectors.py

Numeric series (:mod:`rnnkit.data.timeseries`)::

    files --readers--> NumericTable --transforms--> --scaling--> --windows--> (x, y) --batching--> tensors
          read_numeric_csv           levels/returns/diff  fit on train   lookback | horizon

Embedded data sets (:mod:`rnnkit.data.embedded`, ``embedded.load(name, split)``) stand
in for the files: they give the readers' records (text, pairs, ``TaggedSentence``,
``NumericTable``).

What may import what, one way only (a test parses every import, lazy ones too,
and refuses a cycle):

- ``_lines`` (the readers' plumbing) <- ``conll`` <- ``readers``; ``vectors`` uses ``_lines``.
- ``vocab`` <- ``tokenizers`` (``base`` <- ``simple``, ``subword``, ``korean`` <- the
  registry in ``tokenizers/__init__``) <- ``datasets``.
- ``batching`` imports no other stage.
- ``timeseries``: ``scaling`` <- ``windows``; ``transforms`` and ``dates`` stand alone.
- ``embedded`` may import ``readers`` and ``conll`` (their record types); no stage
  imports ``embedded``.
- Nothing here imports the rest of rnnkit but :mod:`rnnkit.errors`, and no module
  imports this package's ``__init__``, which only gathers the common names.
"""

from rnnkit.data.batching import BucketBatchSampler, pack, pad_batch, unpack
from rnnkit.data.conll import TaggedSentence, read_conll, read_conllu
from rnnkit.data.datasets import (
    LabelledDataset,
    LMStream,
    PairDataset,
    RandomChunks,
    TaggedDataset,
)
from rnnkit.data.readers import (
    NumericTable,
    ReadResult,
    read_label_folder,
    read_labelled,
    read_numeric_csv,
    read_pairs,
    read_text,
)
from rnnkit.data.timeseries import (
    MinMaxScaler,
    StandardScaler,
    WindowDataset,
    scaler_from_dict,
    split_windows,
)
from rnnkit.data.tokenizers import Tokenizer, make_tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab

__all__ = [
    "BucketBatchSampler",
    "pack",
    "pad_batch",
    "unpack",
    "TaggedSentence",
    "read_conll",
    "read_conllu",
    "LabelledDataset",
    "LMStream",
    "PairDataset",
    "RandomChunks",
    "TaggedDataset",
    "WindowDataset",
    "split_windows",
    "NumericTable",
    "ReadResult",
    "read_label_folder",
    "read_labelled",
    "read_numeric_csv",
    "read_pairs",
    "read_text",
    "MinMaxScaler",
    "StandardScaler",
    "scaler_from_dict",
    "Tokenizer",
    "make_tokenizer",
    "tokenizer_from_dict",
    "Vocab",
    "build_vocab",
]
