"""Linear-chain CRF: brute-force enumeration and pytorch-crf as oracles."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.nn import CRF

K = 3


def make_crf(seed=0, batch_first=False):
    torch.manual_seed(seed)
    crf = CRF(K, batch_first=batch_first)
    with torch.no_grad():
        for p in crf.parameters():
            p.copy_(torch.randn_like(p))
    return crf


def path_score(crf, emissions, tags):
    """s(y) for one sequence: emissions (n, K), tags a tuple of n ints."""
    s = crf.start_transitions[tags[0]] + crf.end_transitions[tags[-1]]
    s = s + sum(emissions[t, y] for t, y in enumerate(tags))
    return s + sum(crf.transitions[a, b] for a, b in zip(tags, tags[1:]))


def brute_force(crf, emissions, n):
    """log Z and the best path of one sequence of length n, by enumerating all K**n paths."""
    paths = list(itertools.product(range(K), repeat=n))
    scores = torch.stack([path_score(crf, emissions[:n], p) for p in paths])
    return torch.logsumexp(scores, 0), list(paths[int(scores.argmax())]), scores


LENGTHS = [4, 1, 3, 4]


def batch(seed=1):
    gen = torch.Generator().manual_seed(seed)
    L, N = max(LENGTHS), len(LENGTHS)
    emissions = torch.randn(L, N, K, generator=gen, dtype=torch.float64)
    tags = torch.randint(K, (L, N), generator=gen)
    mask = torch.arange(L).unsqueeze(1) < torch.tensor(LENGTHS)  # (L, N), right padding
    return emissions, tags, mask


def test_log_likelihood_equals_brute_force_enumeration_with_masks():
    crf = make_crf().double()
    emissions, tags, mask = batch()
    llh = crf(emissions, tags, mask, reduction="none")
    for b, n in enumerate(LENGTHS):
        log_z, _, _ = brute_force(crf, emissions[:, b], n)
        want = path_score(crf, emissions[:n, b], tuple(tags[:n, b].tolist())) - log_z
        torch.testing.assert_close(llh[b], want)
        torch.testing.assert_close(crf.log_partition(emissions, mask)[b], log_z)


def test_probabilities_of_all_paths_sum_to_one():
    crf = make_crf().double()
    emissions = torch.randn(3, 1, K, dtype=torch.float64)
    total = sum(
        crf(emissions, torch.tensor(p).view(3, 1), reduction="sum").exp()
        for p in itertools.product(range(K), repeat=3)
    )
    torch.testing.assert_close(total, torch.tensor(1.0, dtype=torch.float64))


def test_viterbi_equals_brute_force_argmax_and_score():
    crf = make_crf(3).double()
    emissions, _, mask = batch(4)
    decoded = crf.decode(emissions, mask)
    paths, best = crf.viterbi(emissions, mask)
    for b, n in enumerate(LENGTHS):
        _, want_path, scores = brute_force(crf, emissions[:, b], n)
        assert decoded[b] == want_path
        assert len(decoded[b]) == n
        torch.testing.assert_close(best[b], scores.max())
        assert paths[b, n:].eq(0).all()


def test_padding_emissions_do_not_change_likelihood_or_decoding():
    crf = make_crf()
    emissions, tags, mask = batch()
    emissions, other = emissions.float(), emissions.float().clone()
    other[~mask] = 50.0
    torch.testing.assert_close(crf(emissions, tags, mask), crf(other, tags, mask))
    assert crf.decode(emissions, mask) == crf.decode(other, mask)


def test_batch_first_equals_time_major():
    tm, bf = make_crf(), make_crf(batch_first=True)
    emissions, tags, mask = batch()
    emissions = emissions.float()
    torch.testing.assert_close(
        tm(emissions, tags, mask, reduction="none"),
        bf(emissions.transpose(0, 1), tags.T, mask.T, reduction="none"),
    )
    assert tm.decode(emissions, mask) == bf.decode(emissions.transpose(0, 1), mask.T)


def test_reductions_relate_as_documented():
    crf = make_crf()
    emissions, tags, mask = batch()
    emissions = emissions.float()
    per_seq = crf(emissions, tags, mask, reduction="none")
    torch.testing.assert_close(crf(emissions, tags, mask), per_seq.sum())
    torch.testing.assert_close(crf(emissions, tags, mask, reduction="mean"), per_seq.mean())
    torch.testing.assert_close(
        crf(emissions, tags, mask, reduction="token_mean"), per_seq.sum() / sum(LENGTHS)
    )


def test_gradcheck_of_log_likelihood_in_float64():
    crf = make_crf().double()
    emissions, tags, mask = batch()
    emissions.requires_grad_(True)
    fn = lambda e, *_: crf(e, tags, mask, reduction="none")  # noqa: E731
    assert torch.autograd.gradcheck(fn, (emissions, *crf.parameters()))


@pytest.mark.parametrize("batch_first", [False, True])
def test_matches_pytorch_crf_oracle(batch_first):
    torchcrf = pytest.importorskip("torchcrf")
    ours = make_crf(5, batch_first=batch_first)
    ref = torchcrf.CRF(K, batch_first=batch_first)
    ref.load_state_dict(ours.state_dict())
    emissions, tags, mask = batch(6)
    emissions = emissions.float()
    if batch_first:
        emissions, tags, mask = emissions.transpose(0, 1), tags.T, mask.T
    for reduction in ("sum", "mean", "token_mean", "none"):
        torch.testing.assert_close(
            ours(emissions, tags, mask, reduction=reduction),
            ref(emissions, tags, mask, reduction=reduction),
        )
    assert ours.decode(emissions, mask) == ref.decode(emissions, mask)


def test_mask_off_at_first_step_and_bad_shapes_raise_config_error():
    crf = make_crf()
    emissions, tags, mask = batch()
    emissions = emissions.float()
    bad = mask.clone()
    bad[0, 1] = False
    with pytest.raises(ConfigError, match="first step"):
        crf(emissions, tags, bad)
    with pytest.raises(ConfigError, match="num_tags=3"):
        crf(emissions[..., :2], tags)
    with pytest.raises(ConfigError, match="reduction"):
        crf(emissions, tags, reduction="avg")
