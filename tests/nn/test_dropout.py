"""Locked (variational) dropout and word dropout."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import LockedDropout, WordDropout


@pytest.mark.parametrize("batch_first", [False, True])
def test_locked_dropout_uses_the_same_mask_at_every_step(batch_first):
    torch.manual_seed(0)
    drop = LockedDropout(0.5, batch_first=batch_first)
    x = torch.ones(4, 6, 8)  # (N, L, F) or (L, N, F)
    y = drop(x)
    steps = y.unbind(1 if batch_first else 0)
    for step in steps[1:]:
        assert torch.equal(step, steps[0])
    assert set(y.unique().tolist()) == {0.0, 2.0}  # kept values scaled by 1 / (1 - p)
    assert 0 < (y == 0).float().mean() < 1


def test_locked_dropout_on_packed_sequence_keeps_one_mask_per_sequence():
    torch.manual_seed(0)
    lengths = torch.tensor([3, 5, 2])
    x = torch.ones(5, 3, 16)
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, _ = pad_packed_sequence(LockedDropout(0.5)(packed))
    for b, n in enumerate(lengths.tolist()):
        for t in range(1, n):
            assert torch.equal(out[t, b], out[0, b])
    assert not torch.equal(out[0, 0], out[0, 1])  # another sequence, another mask


def test_locked_dropout_is_identity_in_eval_and_zero_at_p_one():
    x = torch.randn(3, 2, 4)
    drop = LockedDropout(0.5).eval()
    assert torch.equal(drop(x), x)
    assert torch.equal(LockedDropout(1.0)(x), torch.zeros_like(x))
    assert torch.equal(LockedDropout(0.0)(x), x)


def test_word_dropout_zeroes_whole_token_vectors():
    torch.manual_seed(0)
    x = torch.ones(4, 10, 6)
    y = WordDropout(0.5)(x)
    per_token = y.unique(dim=-1)  # each token vector is constant: all 0 or all 2
    assert per_token.shape[-1] == 1
    assert set(y.unique().tolist()) == {0.0, 2.0}


def test_word_dropout_on_ids_replaces_with_unk_but_never_padding():
    torch.manual_seed(0)
    ids = torch.randint(2, 50, (8, 20))
    ids[:, 15:] = 0  # padding
    out = WordDropout(0.5, unk_index=1, pad_index=0)(ids)
    assert (out[:, 15:] == 0).all()
    changed = out != ids
    assert changed.any() and (out[changed] == 1).all()
    with pytest.raises(ConfigError, match="unk_index"):
        WordDropout(0.5)(ids)
    assert torch.equal(WordDropout(0.5, unk_index=1).eval()(ids), ids)


def test_bad_probability_raises_config_error():
    with pytest.raises(ConfigError, match="p must be"):
        LockedDropout(1.5)
    with pytest.raises(ConfigError, match="-0.1"):
        WordDropout(-0.1)
