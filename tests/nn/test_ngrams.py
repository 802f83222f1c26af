"""NGramBag: the hashed 1..n-grams of framed sequences, their mean embedding, padding ignored."""

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.nn import NGramBag
from rnnkit.nn.ngrams import hashed_ngrams

BUCKETS = 10_007


def test_every_real_ngram_is_counted_once_and_padding_slots_are_marked():
    x = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])  # lengths 4 and 2
    codes = hashed_ngrams(x, torch.tensor([4, 2]), max_n=3, buckets=BUCKETS)
    # framed "^ a b c d $" has 6 unigrams, 5 bigrams and 4 trigrams; "^ a b $": 4, 3, 2
    assert codes.shape == (2, (4 + 2) + (4 + 1) + 4)
    assert (codes[0] < BUCKETS).sum() == 6 + 5 + 4
    assert (codes[1] < BUCKETS).sum() == 4 + 3 + 2
    assert ((codes >= 0) & (codes <= BUCKETS)).all()


def test_ngrams_longer_than_a_framed_one_token_batch_are_padding_slots():
    # every sequence one token long ("^ a $": 3 framed tokens), n up to 5: no 4- or 5-grams
    x = torch.tensor([[4], [5]])
    codes = hashed_ngrams(x, torch.tensor([1, 1]), max_n=5, buckets=BUCKETS)
    assert ((codes < BUCKETS).sum(1) == torch.tensor([3 + 2 + 1, 3 + 2 + 1])).all()
    # the real n-grams are the ones the same sequence gets in a longer batch
    longer = hashed_ngrams(torch.tensor([[4, 6, 7]]), torch.tensor([1]), max_n=5, buckets=BUCKETS)
    assert sorted(codes[0][codes[0] < BUCKETS].tolist()) == sorted(
        longer[0][longer[0] < BUCKETS].tolist()
    )
    bag = NGramBag(max_n=5, buckets=BUCKETS, embedding_dim=4)
    torch.testing.assert_close(
        bag(x[:1], torch.tensor([1])), bag(torch.tensor([[4, 6, 7]]), torch.tensor([1]))
    )


def test_the_same_ngram_gets_the_same_bucket_wherever_it_is():
    # "a b" inside one sequence and at the start of another; a suffix "b $" twice
    x = torch.tensor([[3, 4, 5, 4, 5], [4, 5, 0, 0, 0]])
    codes = hashed_ngrams(x, torch.tensor([5, 2]), max_n=2, buckets=BUCKETS)
    L = 5
    bigrams = codes[:, L + 2 :]  # after the L + 2 unigram slots: ^a, ab, ..., e$
    first, second = bigrams[0].tolist(), bigrams[1].tolist()
    assert first[2] == first[4] == second[1]  # (4, 5) at positions 2, 4 and 1
    assert first[5] == second[2]  # (5, $) ends both
    assert first[2] != first[3]  # (4, 5) and (5, 4): order matters
    assert first[0] != second[0]  # (^, 3) and (^, 4)


def test_an_ngram_and_its_tail_are_different_features():
    x = torch.tensor([[4, 5]])
    codes = hashed_ngrams(x, torch.tensor([2]), max_n=3, buckets=BUCKETS)[0]
    real = codes[codes < BUCKETS].tolist()
    assert len(real) == len(set(real)) == 4 + 3 + 2  # no collision among 9 n-grams


def test_the_bag_is_the_mean_of_its_ngram_rows_and_ignores_padding():
    torch.manual_seed(0)
    bag = NGramBag(max_n=2, buckets=BUCKETS, embedding_dim=4)
    x, lengths = torch.tensor([[4, 5, 0, 0]]), torch.tensor([2])
    codes = hashed_ngrams(x, lengths, 2, BUCKETS)[0]
    expected = bag.embedding.weight[codes[codes < BUCKETS]].mean(0)
    torch.testing.assert_close(bag(x, lengths)[0], expected)
    torch.testing.assert_close(bag(x[:, :2], lengths), bag(x, lengths))


def _fit_bag(max_n: int, x, lengths, y) -> float:
    torch.manual_seed(0)
    bag, head = NGramBag(max_n, 997, 8), torch.nn.Linear(8, 2)
    opt = torch.optim.Adam([*bag.parameters(), *head.parameters()], lr=0.05)
    for _ in range(100):
        loss = torch.nn.functional.cross_entropy(head(bag(x, lengths)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float((head(bag(x, lengths)).argmax(-1) == y).float().mean())


def test_bigrams_tell_apart_what_unigram_counts_cannot():
    # each random prefix twice: ending (7, 8) is label 1, ending (8, 7) label 0; the
    # two of a pair hold the same tokens, so only the order (an n-gram) separates them
    g = torch.Generator().manual_seed(0)
    prefix = torch.randint(3, 9, (64, 4), generator=g).repeat(2, 1)  # (128, 4)
    ends = torch.tensor([[7, 8]] * 64 + [[8, 7]] * 64)
    x, y = torch.cat([prefix, ends], dim=1), torch.tensor([1] * 64 + [0] * 64)
    lengths = torch.full((128,), 6)
    assert _fit_bag(1, x, lengths, y) <= 0.5  # a pair always gets one answer
    assert _fit_bag(2, x, lengths, y) == 1.0


@pytest.mark.parametrize("kwargs", [{"max_n": 0}, {"buckets": 0}])
def test_bad_sizes_are_refused(kwargs):
    with pytest.raises(ConfigError, match="max_n and buckets"):
        NGramBag(**{"max_n": 2, "buckets": 10, "embedding_dim": 4, **kwargs})
