import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.data.batching import (
    BucketBatchSampler,
    collate_labelled,
    collate_pairs,
    collate_tagged,
    pack,
    pad_batch,
    padding_fraction,
    unpack,
)
from rnnkit.errors import ConfigError, DataError

LENGTHS = st.lists(st.integers(1, 12), min_size=1, max_size=8)


def test_pad_batch_returns_padded_cpu_int64_lengths_and_a_true_for_real_mask():
    padded, lengths, mask = pad_batch([[5, 6, 7], [8], [9, 10]], padding_value=0)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert lengths.dtype == torch.int64 and lengths.device.type == "cpu"
    assert lengths.tolist() == [3, 1, 2]
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    time_major, _, mask_t = pad_batch([[1, 2], [3]], batch_first=False)
    assert time_major.shape == (2, 2) and mask_t.tolist() == [[True, True], [True, False]]


def test_pad_batch_keeps_feature_dimensions():
    padded, lengths, mask = pad_batch([torch.ones(3, 4), torch.ones(1, 4)], padding_value=-1.0)
    assert padded.shape == (2, 3, 4) and padded[1, 1:].eq(-1).all()


def test_empty_sequence_is_refused_with_its_file_and_line():
    with pytest.raises(
        DataError,
        match=r"reviews\.tsv:17: expected a non-empty sequence, got an empty one \(example 1",
    ):
        pad_batch([[1], []], source="reviews.tsv", lines=[12, 17])
    with pytest.raises(DataError, match="at least one sequence"):
        pad_batch([])


@given(LENGTHS, st.booleans())
@settings(max_examples=40, deadline=None)
def test_pack_then_unpack_gives_back_the_padded_batch_in_its_order(lengths, batch_first):
    generator = torch.Generator().manual_seed(sum(lengths))
    seqs = [torch.randn(n, 3, generator=generator) for n in lengths]
    padded, lengths_t, mask = pad_batch(seqs, batch_first=batch_first)
    packed = pack(padded, lengths_t, batch_first=batch_first)
    back, back_lengths = unpack(packed, batch_first=batch_first)
    assert back_lengths.tolist() == lengths
    torch.testing.assert_close(back, padded)
    rows = back if batch_first else back.transpose(0, 1)
    for row, seq in zip(rows, seqs):
        torch.testing.assert_close(row[: len(seq)], seq)


def test_pack_refuses_zero_lengths():
    with pytest.raises(DataError, match="length 0 at row 1"):
        pack(torch.zeros(2, 3), torch.tensor([3, 0]))


def _lognormal_lengths(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(3.0, 0.8, n).astype(int), 1, 400).tolist()


def test_buckets_cover_every_example_once_and_sort_within_batches():
    lengths = _lognormal_lengths(1000)
    sampler = BucketBatchSampler(lengths, 16, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all([lengths[i] for i in b] == sorted(lengths[i] for i in b) for b in batches)


def test_bucketing_cuts_padding_well_below_random_batches():
    lengths = _lognormal_lengths()
    bucketed = padding_fraction(list(BucketBatchSampler(lengths, 32, seed=0)), lengths)
    random = padding_fraction(
        list(BucketBatchSampler(lengths, 32, bucket_size=32, seed=0)), lengths
    )
    assert bucketed < 0.10 < 0.40 < random


def test_same_seed_and_epoch_same_batches_other_epoch_other_batches():
    lengths = _lognormal_lengths(300)
    a, b = BucketBatchSampler(lengths, 8, seed=1), BucketBatchSampler(lengths, 8, seed=1)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)
    a.set_epoch(1)
    assert list(a) == list(b)
    assert list(BucketBatchSampler(lengths, 8, seed=2)) != list(
        BucketBatchSampler(lengths, 8, seed=1)
    )


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n", [97, 100, 5])
def test_replicas_get_equal_disjoint_shares(drop_last, n):
    lengths = _lognormal_lengths(n)
    shards = [
        list(BucketBatchSampler(lengths, 4, seed=0, num_replicas=3, rank=r, drop_last=drop_last))
        for r in range(3)
    ]
    assert len({len(s) for s in shards}) == 1
    assert all(
        len(s) == len(BucketBatchSampler(lengths, 4, num_replicas=3, rank=r, drop_last=drop_last))
        for r, s in enumerate(shards)
    )
    seen = [i for s in shards for b in s for i in b]
    if drop_last:
        assert len(seen) == len(set(seen))
    else:
        assert set(seen) == set(range(n))


def test_sampler_checks_its_arguments():
    with pytest.raises(ConfigError, match="rank must be in"):
        BucketBatchSampler([1, 2], 1, num_replicas=2, rank=2)
    with pytest.raises(ConfigError, match="bucket_size must be >= batch_size"):
        BucketBatchSampler([1, 2], 4, bucket_size=2)


def test_unshuffled_sampler_keeps_file_order_of_buckets():
    lengths = [5, 1, 3, 2]
    assert list(BucketBatchSampler(lengths, 2, shuffle=False)) == [[1, 3], [2, 0]]
    assert list(BucketBatchSampler(lengths, 2, shuffle=False, descending=True)) == [[0, 2], [3, 1]]


def test_collate_functions_build_their_batches():
    batch = collate_labelled([(torch.tensor([4, 5]), 1), (torch.tensor([6]), 0)])
    assert batch.x.tolist() == [[4, 5], [6, 0]] and batch.labels.tolist() == [1, 0]
    assert batch.chars is None
    spelled = collate_labelled(
        [
            (torch.tensor([4]), 1, torch.tensor([97, 98])),
            (torch.tensor([6]), 0, torch.tensor([99])),
        ],
        spelled=True,
    )
    assert spelled.chars.tolist() == [[97, 98], [99, 0]] and spelled.char_lengths.tolist() == [2, 1]
    assert spelled.labels.tolist() == [1, 0] and spelled.lm_ids is None
    tagged = collate_tagged(
        [
            (torch.tensor([4, 5]), torch.tensor([1, 2]), [torch.tensor([7, 8]), torch.tensor([9])]),
            (torch.tensor([6]), torch.tensor([0]), [torch.tensor([7, 7, 7])]),
        ]
    )
    assert tagged.chars.shape == (3, 3) and tagged.char_lengths.tolist() == [2, 1, 3]
    assert int(tagged.mask.sum()) == tagged.chars.size(0)
    assert tagged.tags.tolist() == [[1, 2], [0, 0]]
    pairs = collate_pairs([(torch.tensor([4]), torch.tensor([2, 5, 3]))])
    assert pairs.tgt_lengths.tolist() == [3] and pairs.src_mask.tolist() == [[True]]
    moved = pairs.to("cpu")
    assert moved.src_lengths.device.type == "cpu"
