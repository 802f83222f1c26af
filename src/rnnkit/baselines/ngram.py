"""Interpolated modified Kneser-Ney n-gram language model over token ids.

The classical baseline beside every neural language model figure: a count
model that needs no training loop, fitted in seconds on millions of tokens.

The estimate (Chen & Goodman, 1999, "An empirical study of smoothing techniques
for language modeling", eq. 17-19) interpolates every order down to a uniform
distribution over the vocabulary, so every token id gets a probability > 0::

    p_0(w)       = 1 / V
    p_k(w | h)   = max(u_k(h w) - D_k(u_k(h w)), 0) / u_k(h .)  +  gamma_k(h) * p_{k-1}(w | h')
    gamma_k(h)   = (D_k1 N1(h .) + D_k2 N2(h .) + D_k3+ N3+(h .)) / u_k(h .)

``h`` is the context of ``k - 1`` tokens, ``h'`` the same context without its
first token, ``u_k(h .)`` the sum of ``u_k(h w)`` over ``w``, and ``N1(h .)``,
``N2(h .)``, ``N3+(h .)`` the numbers of tokens ``w`` with ``u_k(h w)`` equal to
1, 2 and 3 or more. When ``h`` was never seen followed by a token,
``p_k(w | h) = p_{k-1}(w | h')``.

``u_k`` is the raw count ``c(h w)`` at the highest order and the continuation
count ``N1+(. h w)`` (the number of distinct tokens seen just before ``h w``)
at every lower order. The training data is one stream: its first token has no
token before it, so each k-gram that starts the stream counts the start of the
text as one more distinct predecessor (the role ``<s>`` plays in sentence-based
models).

The discounts of each order come from that order's counts of counts ``n_1 ..
n_4`` (the numbers of n-grams whose ``u`` is 1, 2, 3, 4)::

    Y = n_1 / (n_1 + 2 n_2)
    D1 = 1 - 2 Y n_2 / n_1      D2 = 2 - 3 Y n_3 / n_2      D3+ = 3 - 4 Y n_4 / n_3

A discount that cannot be estimated (a count of counts is zero) or falls outside
``(0, c]`` is replaced by ``Y`` (by 0.5 when ``n_1 == 0``), the discount of
plain Kneser-Ney. With ``discount=D`` the model is plain interpolated Kneser-Ney
with the one discount ``D`` at every order and count.

Implementation: the distinct k-grams of each order are kept as a sorted array of
integer keys, ``key = id_{k-1}(h) * V + w``, where ``id_{k-1}(h)`` is the index of
the context among the sorted (k-1)-gram keys. Fitting is a sort per order, and
scoring a stream is a vectorised binary search per order, with no Python loop
over positions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnkit.errors import ConfigError, DataError

__all__ = ["KneserNeyLM"]

_MAX_KEY = 2**62


@dataclass
class _Order:
    """The fitted statistics of one order k.

    keys:  (M_k,) int64, sorted: ``id_{k-1}(h) * V + w`` of each distinct k-gram.
    alpha: (M_k,) float64, the discounted term ``max(u - D(u), 0) / u(h .)`` of each.
    gamma: (M_{k-1},) float64, the weight of order k - 1 for each context ``h``
           (1 for a context never followed by a token).
    """

    keys: np.ndarray
    alpha: np.ndarray
    gamma: np.ndarray


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram language model (modified by default).

    Tokens are integer ids in ``[0, vocab_size)``. The probability of each token
    is conditioned on at most ``order - 1`` tokens before it in the same stream;
    the first tokens of a stream, which have fewer predecessors, are conditioned
    on the ones they have (the first token on none: the order-1 distribution).
    See the module docstring for the equations.

    Args:
        order: n, the longest n-gram (``order=1`` is a unigram model).
        discount: None for modified Kneser-Ney with three discounts per order
            (D1, D2, D3+) estimated from the counts of counts; a number in
            ``(0, 1]`` for plain interpolated Kneser-Ney with that one discount.

    Attributes (after :meth:`fit`):
        vocab_size_: V.
        n_tokens_: the number of training tokens.
        discounts_: (order, 3) float64, ``[D1, D2, D3+]`` of orders 1 .. n.
        ngram_counts_: the number of distinct k-grams of each order k = 1 .. n.

    Example:
        >>> lm = KneserNeyLM(order=3).fit([0, 1, 2, 0, 1, 2, 0, 1], vocab_size=4)
        >>> p = lm.next_token_distribution([0, 1])
        >>> int(p.argmax()), bool(abs(p.sum() - 1) < 1e-12), bool(p.min() > 0)
        (2, True, True)
    """

    def __init__(self, order: int = 5, discount: float | None = None) -> None:
        self.order = order
        self.discount = discount
        self._check_params()

    def _check_params(self) -> None:
        order, discount = self.order, self.discount
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
            raise ConfigError(f"order must be an int >= 1, got {order!r}")
        if discount is not None and (
            isinstance(discount, bool)
            or not isinstance(discount, numbers.Real)
            or not 0.0 < float(discount) <= 1.0
        ):
            raise ConfigError(
                f"discount must be None (modified Kneser-Ney) or a number in (0, 1], "
                f"got {discount!r}"
            )

    # ------------------------------------------------------------------ fitting

    def fit(self, ids: Sequence[int] | np.ndarray, vocab_size: int) -> KneserNeyLM:
        """Count the n-grams of the stream ``ids`` and estimate the model.

        Shape:
            ids: (T,) integers in ``[0, vocab_size)``, T >= 1.

        Returns:
            self.
        """
        self._check_params()
        if (
            isinstance(vocab_size, bool)
            or not isinstance(vocab_size, numbers.Integral)
            or vocab_size < 1
        ):
            raise ConfigError(f"vocab_size must be an int >= 1, got {vocab_size!r}")
        V = int(vocab_size)
        tokens = _as_ids(ids, V, "training ids")  # (T,)
        T = tokens.size
        if T == 0:
            raise DataError(None, None, "at least 1 training token", "0 tokens")
        n = int(self.order)

        keys_of: list[np.ndarray] = []  # per order: the sorted distinct keys
        u_of: list[np.ndarray] = []  # per order: the counts u_k used by the estimate
        prev_ids = np.zeros(T, dtype=np.int64)  # id_{k-1} of the (k-1)-gram at each start
        prev_size = 1  # M_{k-1}: one empty context
        for k in range(1, n + 1):
            L = T - k + 1  # number of k-gram occurrences
            if L <= 0:  # stream shorter than k: no k-grams, and none above
                keys_of.append(np.zeros(0, dtype=np.int64))
                u_of.append(np.zeros(0, dtype=np.int64))
                if k >= 2 and k - 1 <= T:  # the one (k-1)-gram starts the stream
                    u_of[k - 2] = np.ones(prev_size, dtype=np.int64)
                prev_size = 0
                continue
            if prev_size * V >= _MAX_KEY:
                raise ConfigError(
                    f"order={n} with vocab_size={V} on {T} tokens overflows 64-bit n-gram keys; "
                    "use a lower order or a smaller vocabulary"
                )
            keys = prev_ids[:L] * V + tokens[k - 1 :]  # (L,)
            perm, sorted_keys = _argsort(keys, prev_size * V)  # (L,), (L,)
            first = np.empty(L, dtype=bool)
            first[0] = True
            np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
            starts = np.flatnonzero(first)  # (M_k,)
            counts = np.diff(np.append(starts, L))  # (M_k,) raw counts c(h w)
            cur_ids = np.empty(L, dtype=np.int64)
            cur_ids[perm] = np.cumsum(first) - 1
            keys_of.append(sorted_keys[starts])
            u_of.append(counts)
            if k >= 2:
                # Continuation counts of order k-1: each distinct k-gram (a h w) adds one
                # distinct predecessor to its suffix (h w), which starts one position later.
                suffix = prev_ids[perm[starts] + 1]  # (M_k,) id_{k-1} of the suffixes
                cont = np.bincount(suffix, minlength=prev_size)
                cont[prev_ids[0]] += 1  # the start of the text precedes the first (k-1)-gram
                u_of[k - 2] = cont
            prev_ids, prev_size = cur_ids, starts.size

        self.vocab_size_ = V
        self.n_tokens_ = T
        self.ngram_counts_ = [int(keys.size) for keys in keys_of]
        discounts = np.zeros((n, 3))
        self._orders: list[_Order] = []
        context_size = 1
        for k in range(1, n + 1):
            keys, u = keys_of[k - 1], u_of[k - 1]
            d = self._discounts(u)
            discounts[k - 1] = d
            self._orders.append(_estimate(keys, u, d, V, context_size))
            context_size = keys.size
        self.discounts_ = discounts
        return self

    def _discounts(self, u: np.ndarray) -> np.ndarray:
        """[D1, D2, D3+] of one order from its counts ``u`` (see the module docstring)."""
        if self.discount is not None:
            return np.full(3, float(self.discount))
        n1, n2, n3, n4 = (int(np.count_nonzero(u == c)) for c in (1, 2, 3, 4))
        y = n1 / (n1 + 2 * n2) if n1 > 0 else 0.5
        estimates = (
            1 - 2 * y * n2 / n1 if n1 > 0 else math.nan,
            2 - 3 * y * n3 / n2 if n2 > 0 else math.nan,
            3 - 4 * y * n4 / n3 if n3 > 0 else math.nan,
        )
        return np.array([d if 0 < d <= c else y for c, d in enumerate(estimates, start=1)])

    # ------------------------------------------------------------------ saving

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted model as named arrays (for safetensors: data, never code)."""
        self._check_fitted()
        arrays = {
            "order": np.array([self.order], dtype=np.int64),
            "vocab_size": np.array([self.vocab_size_], dtype=np.int64),
            "n_tokens": np.array([self.n_tokens_], dtype=np.int64),
            "discounts": np.asarray(self.discounts_, dtype=np.float64),
        }
        for k, table in enumerate(self._orders, start=1):
            arrays[f"order{k}.keys"] = table.keys
            arrays[f"order{k}.alpha"] = table.alpha
            arrays[f"order{k}.gamma"] = table.gamma
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], discount: float | None = None
    ) -> KneserNeyLM:
        """Rebuild a fitted model from :meth:`to_arrays`."""
        try:
            order = int(arrays["order"][0])
            lm = cls(order=order, discount=discount)
            lm.vocab_size_ = int(arrays["vocab_size"][0])
            lm.n_tokens_ = int(arrays["n_tokens"][0])
            lm.discounts_ = np.asarray(arrays["discounts"], dtype=np.float64)
            lm._orders = [
                _Order(
                    np.asarray(arrays[f"order{k}.keys"], dtype=np.int64),
                    np.asarray(arrays[f"order{k}.alpha"], dtype=np.float64),
                    np.asarray(arrays[f"order{k}.gamma"], dtype=np.float64),
                )
                for k in range(1, order + 1)
            ]
        except (KeyError, IndexError, TypeError) as e:
            raise ConfigError(f"n-gram arrays are incomplete (missing {e})") from None
        lm.ngram_counts_ = [int(t.keys.size) for t in lm._orders]
        return lm

    # ------------------------------------------------------------------ scoring

    def _check_fitted(self) -> None:
        if not hasattr(self, "_orders"):
            raise ConfigError("this KneserNeyLM is not fitted yet: call fit(ids, vocab_size) first")

    def log_prob(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Natural-log probability of each token given its predecessors in ``ids``.

        Token ``i`` is conditioned on ``ids[max(0, i - order + 1):i]``; the first
        token on nothing (the order-1 distribution).

        Shape:
            ids: (T,) integers in ``[0, vocab_size_)``  ->  (T,) float64, all finite.
        """
        self._check_fitted()
        V = self.vocab_size_
        tokens = _as_ids(ids, V, "ids")  # (T,)
        T = tokens.size
        probs = np.full(T, 1.0 / V)  # p_0
        prev_ids = np.zeros(T, dtype=np.int64)  # id_{k-1} of the context at each start, -1 unseen
        for k, table in enumerate(self._orders, start=1):
            L = T - k + 1  # k-grams of the stream; the one at s predicts token s + k - 1
            if L <= 0 or table.keys.size == 0:  # no k-grams: p_k = p_{k-1}, and above
                break
            context = prev_ids[:L]  # (L,)
            seen_context = context >= 0
            keys = np.where(seen_context, context, 0) * V + tokens[k - 1 :]  # (L,)
            pos = np.minimum(np.searchsorted(table.keys, keys), table.keys.size - 1)  # (L,)
            found = seen_context & (table.keys[pos] == keys)
            gamma = np.where(seen_context, table.gamma[np.maximum(context, 0)], 1.0)
            alpha = np.where(found, table.alpha[pos], 0.0)
            probs[k - 1 :] = alpha + gamma * probs[k - 1 :]
            prev_ids = np.where(found, pos, -1)
        return np.log(probs)

    def score(self, ids: Sequence[int] | np.ndarray) -> dict[str, float]:
        """Mean negative log-likelihood of the stream ``ids`` (every token scored).

        Returns:
            ``{"loss": nats per token, "perplexity": exp(loss), "tokens": T}``.
        """
        log_probs = self.log_prob(ids)  # (T,)
        if log_probs.size == 0:
            raise DataError(None, None, "at least 1 token to score", "0 tokens")
        loss = float(-log_probs.mean())
        perplexity = math.exp(loss) if loss < 700 else math.inf
        return {"loss": loss, "perplexity": perplexity, "tokens": int(log_probs.size)}

    def next_token_distribution(self, context: Sequence[int] | np.ndarray = ()) -> np.ndarray:
        """Probabilities of every token id after ``context`` (its last ``order - 1`` ids).

        Shape:
            context: (L,) integers in ``[0, vocab_size_)``, L >= 0  ->  (V,) float64,
            summing to 1, every entry > 0.
        """
        self._check_fitted()
        V = self.vocab_size_
        context = _as_ids(context, V, "context")
        history = context[max(0, context.size - self.order + 1) :]  # (<= n - 1,)
        probs = np.full(V, 1.0 / V)  # p_0
        for k, table in enumerate(self._orders, start=1):
            if k - 1 > history.size:
                break
            h = self._ngram_id(history[history.size - (k - 1) :])  # id_{k-1} of the context
            if h < 0:  # unseen context: so are the longer ones
                break
            lo, hi = np.searchsorted(table.keys, [h * V, (h + 1) * V])
            probs *= table.gamma[h]
            probs[table.keys[lo:hi] - h * V] += table.alpha[lo:hi]
        return probs

    def _ngram_id(self, gram: np.ndarray) -> int:
        """The index of ``gram`` among the sorted keys of its order; 0 for the empty
        gram, -1 when it was never seen."""
        V, gram_id = self.vocab_size_, 0
        for j, token in enumerate(gram.tolist()):
            keys = self._orders[j].keys
            key = gram_id * V + token
            gram_id = int(np.searchsorted(keys, key))
            if gram_id >= keys.size or keys[gram_id] != key:
                return -1
        return gram_id

    def sample(
        self,
        context: Sequence[int] | np.ndarray = (),
        n: int = 1,
        temperature: float = 1.0,
        rng: np.random.Generator | int | None = None,
    ) -> np.ndarray:
        """Draw ``n`` ids one after another, each from the distribution after the ones before.

        ``temperature`` 0 is greedy (argmax); ``rng`` is a numpy Generator or a seed.

        Shape:
            context: (L,) ids  ->  (n,) int64.
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ConfigError(f"n must be an int >= 0, got {n!r}")
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, numbers.Real)
            or (not temperature >= 0)
        ):
            raise ConfigError(f"temperature must be a number >= 0, got {temperature!r}")
        rng = np.random.default_rng(rng)
        keep = self.order - 1
        history = _as_ids(context, self.vocab_size_, "context").tolist()
        history = history[-keep:] if keep else []
        out = np.empty(int(n), dtype=np.int64)
        for i in range(int(n)):
            probs = self.next_token_distribution(history)  # (V,)
            if temperature == 0:
                token = int(probs.argmax())
            else:
                logits = np.log(probs) / float(temperature)
                weights = np.exp(logits - logits.max())
                token = int(rng.choice(probs.size, p=weights / weights.sum()))
            out[i] = token
            if keep:
                history = [*history, token][-keep:]
        return out


def _argsort(keys: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``(perm, keys[perm])`` with ``keys[perm]`` sorted, for keys in ``[0, bound)``.

    When a key and its position fit in 63 bits together, one value sort of
    ``key << b | position`` does the work of an argsort and a gather in about half
    the time.
    """
    pos_bits = max(int(keys.size - 1).bit_length(), 1)
    if int(bound - 1).bit_length() + pos_bits > 63:
        perm = np.argsort(keys)
        return perm, keys[perm]
    packed = np.left_shift(keys, pos_bits)
    packed |= np.arange(keys.size, dtype=np.int64)
    packed.sort()
    perm = packed & ((1 << pos_bits) - 1)
    return perm, np.right_shift(packed, pos_bits, out=packed)


def _estimate(keys: np.ndarray, u: np.ndarray, d: np.ndarray, V: int, context_size: int) -> _Order:
    """alpha of each k-gram and gamma of each context from the counts ``u`` of one order."""
    context = keys // V  # (M_k,) id_{k-1}(h)
    discount = d[np.minimum(u, 3) - 1]  # (M_k,) D(u), u >= 1
    total = np.bincount(context, weights=u, minlength=context_size)  # (M_{k-1},) u(h .)
    held = np.bincount(context, weights=discount, minlength=context_size)  # sum of D(u) per h
    seen = total > 0
    safe_total = np.where(seen, total, 1.0)
    gamma = np.where(seen, held / safe_total, 1.0)
    alpha = (u - discount) / safe_total[context]
    return _Order(keys, alpha, gamma)


def _as_ids(ids: Sequence[int] | np.ndarray, vocab_size: int, what: str) -> np.ndarray:
    """``ids`` as a 1-D int64 array, checked to lie in ``[0, vocab_size)``."""
    array = np.asarray(ids)
    if array.ndim != 1:
        raise DataError(None, None, f"{what} as a 1-D sequence", f"shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise DataError(None, None, f"{what} as integers", f"dtype {array.dtype}")
    array = array.astype(np.int64, copy=False)
    bad = np.flatnonzero((array < 0) | (array >= vocab_size))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            None,
            None,
            f"{what} in [0, {vocab_size})",
            f"{int(array[i])} at position {i}",
        )
    return array
