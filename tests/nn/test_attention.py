"""Additive and multiplicative attention: the score formulas and exact masking."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.nn import AdditiveAttention, MultiplicativeAttention

TOL = {"atol": 1e-5, "rtol": 1e-5}
MODULES = {
    "additive": lambda: AdditiveAttention(4, 4, 6),
    "dot": lambda: MultiplicativeAttention(4, 4, score="dot"),
    "general": lambda: MultiplicativeAttention(4, 4),
    "scaled": lambda: MultiplicativeAttention(4, 4, scaled=True),
}
MASK = torch.tensor([[True, True, False, False, False], [True, True, True, True, True]])


def inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    query = torch.randn(2, 3, 4, generator=gen)
    keys = torch.randn(2, 5, 4, generator=gen)
    values = torch.randn(2, 5, 7, generator=gen)
    return query, keys, values


@pytest.mark.parametrize("name", sorted(MODULES))
def test_masked_positions_get_exactly_zero_weight(name):
    torch.manual_seed(0)
    attn = MODULES[name]()
    query, keys, values = inputs()
    context, weights = attn(query, keys, values, MASK)
    assert weights.shape == (2, 3, 5) and context.shape == (2, 3, 7)
    assert (weights[0, :, 2:] == 0).all()
    assert (weights[0, :, :2] > 0).all() and (weights[1] > 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    torch.testing.assert_close(context, weights @ values)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_padding_keys_and_values_do_not_change_the_context(name):
    torch.manual_seed(0)
    attn = MODULES[name]()
    query, keys, values = inputs()
    keys2, values2 = keys.clone(), values.clone()
    keys2[0, 2:], values2[0, 2:] = 1e3, -1e3
    c1, w1 = attn(query, keys, values, MASK)
    c2, w2 = attn(query, keys2, values2, MASK)
    torch.testing.assert_close(c1, c2, atol=0, rtol=0)
    torch.testing.assert_close(w1, w2, atol=0, rtol=0)


def test_fully_masked_query_gets_zero_weights_zero_context_and_finite_gradients():
    attn = MultiplicativeAttention(4, 4)
    query, keys, values = inputs()
    query.requires_grad_(True)
    mask = MASK.clone()
    mask[0] = False
    context, weights = attn(query, keys, values, mask)
    assert (weights[0] == 0).all() and (context[0] == 0).all()
    context.sum().backward()
    assert torch.isfinite(query.grad).all()


def test_additive_score_is_v_tanh_wq_q_plus_wk_k():
    torch.manual_seed(0)
    attn = AdditiveAttention(4, 4, 6)
    query, keys, values = inputs()
    q = query[1, 0]
    scores = torch.stack(
        [
            attn.v.weight[0] @ torch.tanh(attn.query_proj.weight @ q + attn.key_proj(k))
            for k in keys[1]
        ]
    )
    _, weights = attn(query, keys, values)
    torch.testing.assert_close(weights[1, 0], torch.softmax(scores, 0), **TOL)


@pytest.mark.parametrize("name", ["dot", "general", "scaled"])
def test_multiplicative_scores_follow_luong(name):
    torch.manual_seed(0)
    attn = MODULES[name]()
    query, keys, values = inputs()
    k = keys if attn.weight is None else keys @ attn.weight.weight.T
    scores = query @ k.transpose(1, 2)
    if name == "scaled":
        scores = scores / math.sqrt(4)
    _, weights = attn(query, keys, values)
    torch.testing.assert_close(weights, torch.softmax(scores, -1), **TOL)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_single_query_equals_query_sequence_of_one(name):
    torch.manual_seed(0)
    attn = MODULES[name]()
    query, keys, values = inputs()
    c1, w1 = attn(query[:, 0], keys, values, MASK)
    c2, w2 = attn(query[:, :1], keys, values, MASK)
    assert c1.shape == (2, 7) and w1.shape == (2, 5)
    torch.testing.assert_close(c1, c2[:, 0], **TOL)
    torch.testing.assert_close(w1, w2[:, 0], **TOL)


def test_bad_arguments_raise_config_error():
    with pytest.raises(ConfigError, match="query_size == key_size"):
        MultiplicativeAttention(4, 5, score="dot")
    with pytest.raises(ConfigError, match="score"):
        MultiplicativeAttention(4, 4, score="concat")
    query, keys, values = inputs()
    with pytest.raises(ConfigError, match="mask"):
        AdditiveAttention(4, 4, 6)(query, keys, values, MASK[:, :4])
