"""Everything between files and tensors: readers, tokenizers, vocab, datasets, batching, scaling.

Imports nothing from :mod:`rnnkit.nn`. The common names are here; each
submodule documents its own.
"""

from rnnkit.data.batching import BucketBatchSampler, pack, pad_batch, unpack
from rnnkit.data.conll import TaggedSentence, read_conll, read_conllu
from rnnkit.data.datasets import (
    LabelledDataset,
    LMStream,
    PairDataset,
    RandomChunks,
    TaggedDataset,
    WindowDataset,
    split_windows,
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
from rnnkit.data.scaling import MinMaxScaler, StandardScaler, scaler_from_dict
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
