"""The lecture's torchtext TSV pipeline, rebuilt: a Korean TSV of (text, label) ->
Kiwi morphemes -> vocab -> bucketed, padded batches with lengths."""

import itertools

import torch
from torch.utils.data import DataLoader

from rnnkit.data.batching import BucketBatchSampler, collate_labelled, pack, unpack
from rnnkit.data.datasets import LabelledDataset
from rnnkit.data.readers import read_labelled
from rnnkit.data.tokenizers import make_tokenizer
from rnnkit.data.vocab import Vocab, build_vocab


def test_korean_tsv_to_bucketed_padded_batches_with_lengths(fixtures):
    rows = read_labelled(fixtures / "reviews_ko.tsv", text_column="document", label_column="label")
    tokenizer = make_tokenizer("korean")
    tokens = [tokenizer.tokenize(text) for text, _ in rows]
    assert tokens[0] == ["이", "영화", "정말", "재밌", "어요"]
    vocab = build_vocab(itertools.chain.from_iterable(tokens), min_freq=1)
    vocab = Vocab.from_json(vocab.to_json())  # what a run directory stores and loads
    data = LabelledDataset.from_examples(rows, tokenizer, vocab)
    assert data.label_names == ["0", "1"]

    sampler = BucketBatchSampler(data.lengths, batch_size=4, seed=0)
    sampler.set_epoch(0)
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate_labelled)
    seen = []
    for batch in loader:
        N, L = batch.x.shape
        assert batch.lengths.tolist() == sorted(batch.lengths.tolist())  # sort_within_batch
        assert int(batch.lengths.max()) == L
        assert batch.x[~batch.mask].eq(vocab.pad_id).all()
        assert batch.x[batch.mask].ne(vocab.pad_id).all()
        assert batch.mask.sum(1).tolist() == batch.lengths.tolist()
        back, lengths = unpack(pack(batch.x, batch.lengths))
        assert torch.equal(back, batch.x)
        seen.extend(zip(batch.x.tolist(), batch.lengths.tolist(), batch.labels.tolist()))
    assert len(seen) == len(rows) == 20
    decoded = sorted((vocab.decode(x[:n]), k) for x, n, k in seen)
    expected = sorted((t, data.label_names.index(label)) for t, (_, label) in zip(tokens, rows))
    assert decoded == expected
