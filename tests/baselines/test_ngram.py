import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnkit.baselines import KneserNeyLM
from rnnkit.errors import ConfigError, DataError


def markov_stream(seed: int, length: int, vocab: int) -> list[int]:
    """A stream with structure (each token mostly follows from the one before) and noise."""
    rng = np.random.default_rng(seed)
    out = [int(rng.integers(vocab))]
    for _ in range(length - 1):
        nxt = (out[-1] * 2 + 1) % vocab if rng.random() < 0.7 else int(rng.integers(vocab))
        out.append(nxt)
    return out


def reference_log_probs(train, test, V, n, discount=None):
    """Interpolated (modified) Kneser-Ney written straight from the equations, with dicts.

    u_n is the raw count; u_k (k < n) the number of distinct predecessors, the start
    of the stream counting as one.
    """
    u = {n: Counter(tuple(train[i : i + n]) for i in range(len(train) - n + 1))}
    for k in range(1, n):
        predecessors = defaultdict(set)
        for i in range(len(train) - k + 1):
            predecessors[tuple(train[i : i + k])].add(train[i - 1] if i else "<s>")
        u[k] = Counter({gram: len(p) for gram, p in predecessors.items()})
    D = {}
    for k, counts in u.items():
        if discount is not None:
            D[k] = (discount,) * 3
            continue
        nc = Counter(counts.values())
        n1, n2, n3, n4 = nc[1], nc[2], nc[3], nc[4]
        y = n1 / (n1 + 2 * n2) if n1 else 0.5
        est = [
            1 - 2 * y * n2 / n1 if n1 else -1,
            2 - 3 * y * n3 / n2 if n2 else -1,
            3 - 4 * y * n4 / n3 if n3 else -1,
        ]
        D[k] = tuple(d if 0 < d <= c else y for c, d in zip((1, 2, 3), est))

    def prob(w, h):
        lower = prob(w, h[1:]) if h else 1 / V
        counts, d = u[len(h) + 1], D[len(h) + 1]
        row = {x: counts[h + (x,)] for x in range(V) if counts[h + (x,)] > 0}
        total = sum(row.values())
        if total == 0:
            return lower
        gamma = sum(d[min(c, 3) - 1] for c in row.values()) / total
        c = row.get(w, 0)
        return (max(c - d[min(c, 3) - 1], 0) if c else 0) / total + gamma * lower

    return np.log([prob(w, tuple(test[max(0, i - n + 1) : i])) for i, w in enumerate(test)])


@pytest.mark.parametrize("discount", [None, 0.75])
@pytest.mark.parametrize("order", [1, 2, 3, 6])
def test_next_token_distribution_sums_to_one_for_seen_and_unseen_contexts(order, discount):
    V = 9  # ids 7 and 8 never occur in training
    lm = KneserNeyLM(order, discount).fit(markov_stream(0, 400, 7), V)
    for context in ([], [3], [7], [1, 3], [8, 8, 8], [1, 3, 0, 1, 3, 7, 1], list(range(7)) * 3):
        probs = lm.next_token_distribution(context)
        assert probs.shape == (V,)
        assert abs(probs.sum() - 1) < 1e-9, context
        assert probs.min() > 0, context


def test_bigram_probability_equals_the_hand_computed_estimate():
    # a b a c a b with V = 4 (d unseen), plain KN with D = 0.5.
    lm = KneserNeyLM(order=2, discount=0.5).fit([0, 1, 0, 2, 0, 1], vocab_size=4)
    # Unigram continuation counts: a follows {start, b, c} -> 3, b follows {a} -> 1,
    # c follows {a} -> 1; total 5, gamma = 0.5 * 3 types / 5.
    p1_b = (1 - 0.5) / 5 + (0.5 * 3 / 5) / 4
    # Bigram counts after a: ab 2, ac 1 -> total 3, gamma(a) = 0.5 * 2 types / 3.
    p_b_after_a = (2 - 0.5) / 3 + (0.5 * 2 / 3) * p1_b
    assert p_b_after_a == pytest.approx(0.5 + (1 / 3) * 0.175, rel=1e-15)
    assert lm.next_token_distribution([0])[1] == pytest.approx(p_b_after_a, rel=1e-12)
    assert np.exp(lm.log_prob([0, 1])[1]) == pytest.approx(p_b_after_a, rel=1e-12)
    # d was never seen: only the uniform floor, through both gammas.
    p_d_after_a = (0.5 * 2 / 3) * (0.5 * 3 / 5) / 4
    assert lm.next_token_distribution([0])[3] == pytest.approx(p_d_after_a, rel=1e-12)


def test_order_one_is_the_discounted_unigram_over_a_uniform_floor():
    train = [0] * 6 + [1] * 3 + [2]  # V = 5: ids 3 and 4 unseen
    lm = KneserNeyLM(order=1, discount=0.5).fit(train, vocab_size=5)
    N, types, V = 10, 3, 5
    floor = 0.5 * types / N / V
    expected = np.array([(6 - 0.5) / N, (3 - 0.5) / N, (1 - 0.5) / N, 0, 0]) + floor
    np.testing.assert_allclose(lm.next_token_distribution(), expected, rtol=1e-12)
    # No context at order 1: every position gets the same distribution.
    np.testing.assert_allclose(lm.next_token_distribution([2, 1]), expected, rtol=1e-12)
    np.testing.assert_allclose(
        np.exp(lm.log_prob([4, 0, 0, 1])), expected[[4, 0, 0, 1]], rtol=1e-12
    )


@pytest.mark.parametrize("discount", [None, 0.6])
@pytest.mark.parametrize(
    ("order", "train"),
    [
        (1, markov_stream(1, 200, 5)),
        (2, markov_stream(2, 200, 5)),
        (3, markov_stream(3, 300, 5)),
        (4, markov_stream(4, 300, 4)),
        (5, [2, 0, 3]),  # a stream shorter than the order
    ],
)
def test_log_prob_equals_a_dict_implementation_of_the_equations(order, train, discount):
    V = 6  # id 5 never occurs in training
    test = markov_stream(9, 60, 6)
    lm = KneserNeyLM(order, discount).fit(train, V)
    np.testing.assert_allclose(
        lm.log_prob(test), reference_log_probs(train, test, V, order, discount), rtol=1e-12
    )


def test_log_prob_equals_the_distribution_after_each_prefix():
    lm = KneserNeyLM(order=4).fit(markov_stream(5, 500, 8), vocab_size=9)
    test = markov_stream(6, 40, 9)
    log_probs = lm.log_prob(test)
    for i, token in enumerate(test):
        probs = lm.next_token_distribution(test[:i])
        assert log_probs[i] == pytest.approx(math.log(probs[token]), rel=1e-12)


def test_modified_discounts_follow_the_counts_of_counts():
    train = markov_stream(7, 3000, 10)
    lm = KneserNeyLM(order=2).fit(train, vocab_size=10)
    nc = Counter(Counter(zip(train, train[1:])).values())
    n1, n2, n3, n4 = nc[1], nc[2], nc[3], nc[4]
    assert min(n1, n2, n3, n4) > 0  # the formula applies, no fallback
    y = n1 / (n1 + 2 * n2)
    expected = [1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3]
    np.testing.assert_allclose(lm.discounts_[1], expected, rtol=1e-12)


def test_higher_order_gives_lower_loss_on_repetitive_text():
    text = "the cat sat on the mat. " * 40
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    ids = [stoi[c] for c in text]
    train, valid = ids[: len(ids) * 3 // 4], ids[len(ids) * 3 // 4 :]
    losses = {n: KneserNeyLM(n).fit(train, len(stoi)).score(valid)["loss"] for n in (1, 2, 4)}
    assert losses[4] < losses[2] < losses[1]
    assert losses[4] < 0.2 * losses[1]


def test_unseen_tokens_get_a_finite_probability_in_and_after_contexts():
    lm = KneserNeyLM(order=3).fit(markov_stream(8, 300, 5), vocab_size=10)
    log_probs = lm.log_prob([7, 9, 0, 1, 8, 8, 2])
    assert np.isfinite(log_probs).all()
    uniform = math.log(1 / 10)
    assert log_probs[0] < uniform  # an unseen token gets less than a uniform share
    assert lm.log_prob([0, 1])[1] > uniform  # a seen bigram gets more


def test_score_reports_mean_nats_perplexity_and_tokens():
    lm = KneserNeyLM(order=3).fit(markov_stream(10, 300, 6), vocab_size=6)
    test = np.array(markov_stream(11, 50, 6))
    metrics = lm.score(test)
    assert metrics["tokens"] == 50
    assert metrics["loss"] == pytest.approx(-lm.log_prob(test).mean(), rel=1e-12)
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]), rel=1e-12)


def test_fit_returns_self_and_keeps_hyperparameters_unchanged():
    lm = KneserNeyLM(order=3, discount=None)
    assert lm.fit(np.array([1, 2, 1, 2, 3]), 4) is lm
    assert (lm.order, lm.discount) == (3, None)
    assert lm.vocab_size_ == 4 and lm.n_tokens_ == 5
    assert lm.discounts_.shape == (3, 3)
    assert lm.ngram_counts_ == [3, 3, 3]  # {1,2,3}; {12,21,23}; {121,212,123}


def test_sample_is_reproducible_and_greedy_follows_the_pattern():
    lm = KneserNeyLM(order=3).fit([0, 1, 2, 3] * 30, vocab_size=5)
    assert lm.sample([0, 1], 8, temperature=0).tolist() == [2, 3, 0, 1, 2, 3, 0, 1]
    a = lm.sample([0], 20, rng=3)
    np.testing.assert_array_equal(a, lm.sample([0], 20, rng=np.random.default_rng(3)))
    assert a.shape == (20,) and a.dtype == np.int64


@pytest.mark.parametrize("order", [0, -1, 2.5, True, "3"])
def test_bad_order_raises_config_error_naming_it(order):
    with pytest.raises(ConfigError, match="order") as info:
        KneserNeyLM(order=order)
    assert repr(order) in str(info.value)


@pytest.mark.parametrize("discount", [0, 1.5, -0.2, "0.5"])
def test_bad_discount_raises_config_error_naming_it(discount):
    with pytest.raises(ConfigError, match="discount") as info:
        KneserNeyLM(discount=discount)
    assert repr(discount) in str(info.value)


def test_bad_data_raises_data_error_with_what_was_got():
    lm = KneserNeyLM(order=2)
    with pytest.raises(DataError, match="0 tokens"):
        lm.fit([], vocab_size=3)
    with pytest.raises(DataError, match=r"in \[0, 3\), got 7 at position 2"):
        lm.fit([0, 1, 7], vocab_size=3)
    with pytest.raises(DataError, match="integers"):
        lm.fit([0.5, 1.0], vocab_size=3)
    with pytest.raises(ConfigError, match="vocab_size.*0"):
        lm.fit([0, 1], vocab_size=0)
    with pytest.raises(ConfigError, match="not fitted"):
        lm.score([0, 1])
    lm.fit([0, 1, 2], vocab_size=3)
    with pytest.raises(DataError, match="-1 at position 0"):
        lm.log_prob([-1, 0])
    with pytest.raises(DataError, match="0 tokens"):
        lm.score([])
