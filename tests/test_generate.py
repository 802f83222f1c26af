"""Sampling (rnnkit.generate): the drawn frequencies, the filters, reproducibility."""

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.generate import gumbel_noise, sample_next, stream_generate

LOGITS = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0, -3.0]])  # (1, V)


def draw(n=40_000, seed=0, **options):
    """n independent draws from LOGITS, one per row; the counts per id."""
    generator = torch.Generator().manual_seed(seed)
    ids = sample_next(LOGITS.expand(n, -1), generator=generator, **options)
    return torch.bincount(ids, minlength=LOGITS.shape[1]).float() / n


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_draws_follow_the_softmax_at_the_temperature(temperature):
    want = (LOGITS[0] / temperature).softmax(-1)
    got = draw(temperature=temperature)
    # 40,000 draws: the standard error of a frequency is at most 0.0025
    torch.testing.assert_close(got, want, atol=0.012, rtol=0)


def test_top_k_keeps_the_k_most_likely_renormalised():
    got = draw(top_k=2)
    kept = LOGITS[0, :2].softmax(-1)
    torch.testing.assert_close(got[:2], kept, atol=0.012, rtol=0)
    assert got[2:].sum() == 0


def test_top_p_keeps_the_smallest_set_that_reaches_p():
    probs = LOGITS[0].softmax(-1)  # 0.57, 0.21, 0.13, 0.08, ...
    got = draw(top_p=0.7)  # 0.57 < 0.7 <= 0.57 + 0.21: the first two
    assert got[2:].sum() == 0 and got[1] > 0
    torch.testing.assert_close(got[:2], probs[:2] / probs[:2].sum(), atol=0.012, rtol=0)
    assert draw(top_p=0.5)[0] == 1.0  # the most likely alone reaches 0.5


def test_greedy_is_the_argmax_and_a_seed_repeats_the_draws():
    assert sample_next(LOGITS, temperature=0).tolist() == [0]
    a, b = draw(n=50, seed=3), draw(n=50, seed=3)
    assert torch.equal(a, b)
    generator = torch.Generator().manual_seed(3)
    first = sample_next(LOGITS.expand(50, -1), generator=generator)
    assert not torch.equal(first, sample_next(LOGITS.expand(50, -1), generator=generator))


@pytest.mark.parametrize("options", [{}, {"top_k": 1}, {"top_p": 0.4}, {"temperature": 0}])
def test_ids_at_minus_infinity_in_the_noise_are_out_before_the_filters(options):
    """The most likely id suppressed: top-1, the 0.4-nucleus (id 1 holds 0.47 of the
    rest) and greedy all fall to the second, as if the first were not in the vocabulary."""
    noise = torch.zeros(200, LOGITS.shape[1])
    noise[:, 0] = float("-inf")
    if options.get("temperature") != 0:
        noise[:, 1:] = gumbel_noise((200, LOGITS.shape[1] - 1), torch.Generator().manual_seed(0))
    ids = sample_next(LOGITS.expand(200, -1), noise=noise, **options)
    assert 0 not in ids.tolist()
    if options:
        assert set(ids.tolist()) == {1}


@pytest.mark.parametrize("options", [{"temperature": 1e-40}, {"temperature": 1e-46},
                                     {"top_p": 1e-46}, {"top_p": 1e-300}])  # fmt: skip
def test_a_temperature_or_p_near_zero_is_the_limit_greedy_never_a_suppressed_id(options):
    """logits / 1e-40 overflow float32 and 1e-46 rounds to 0 in it; a p that rounds to 0
    dropped every id, and the argmax of all -inf was id 0 (``<pad>``, suppressed)."""
    noise = gumbel_noise((50, LOGITS.shape[1]), torch.Generator().manual_seed(0))
    noise[:, 0] = float("-inf")  # the most likely id is suppressed: the next one is the limit
    ids = sample_next(LOGITS.expand(50, -1), noise=noise, **options)
    assert set(ids.tolist()) == {1}
    assert sample_next(LOGITS.expand(50, -1), **options).tolist() == [0] * 50


def test_gumbel_noise_is_finite_with_the_standard_gumbel_mean():
    g = gumbel_noise((200_000,), torch.Generator().manual_seed(1))
    assert torch.isfinite(g).all()
    assert abs(g.mean().item() - 0.5772) < 0.01  # the Euler-Mascheroni constant


@pytest.mark.parametrize(
    "options, name",
    [
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": 0}, "top_k"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": float("nan")}, "top_p"),
    ],
)
def test_bad_sampling_options_raise_config_error(options, name):
    with pytest.raises(ConfigError, match=name):
        sample_next(LOGITS, **options)


class Counter(torch.nn.Module):
    """A model whose logits favour (last id + 1) mod V: the contract of stream_generate."""

    def __init__(self, vocab=5):
        super().__init__()
        self.vocab = vocab
        self.scale = torch.nn.Parameter(torch.tensor(20.0))

    def forward(self, x, state=None):  # (1, L) -> (1, L, V)
        return self.scale * torch.nn.functional.one_hot((x + 1) % self.vocab, self.vocab), None

    def step(self, token, state=None):  # (1,) -> (1, V)
        logits, state = self(token.unsqueeze(1), state)
        return logits[:, -1], state


def test_stream_generate_draws_from_the_model_and_never_a_suppressed_id():
    class Fixed(Counter):
        def forward(self, x, state=None):
            return LOGITS.expand(x.shape[1], -1).unsqueeze(0), None

    ids = torch.tensor(list(stream_generate(Fixed(), [0], 20_000, seed=0, suppress_ids=[1])))
    got = torch.bincount(ids, minlength=LOGITS.shape[1]).float() / ids.numel()
    want = LOGITS[0].index_fill(0, torch.tensor([1]), float("-inf")).softmax(-1)
    torch.testing.assert_close(got, want, atol=0.015, rtol=0)  # standard error <= 0.0036
    assert got[1] == 0
    short = list(stream_generate(Fixed(), [0], 100, seed=4))
    assert short == list(stream_generate(Fixed(), [0], 300, seed=4))[:100]


def test_stream_generate_suppresses_stops_and_restores_training_mode():
    model = Counter().train()
    assert list(stream_generate(model, [0], 6, temperature=0)) == [1, 2, 3, 4, 0, 1]
    # id 3 suppressed: greedy takes the next best (every other id ties at 0; argmax picks 0)
    assert list(stream_generate(model, [1], 3, temperature=0, suppress_ids=[3])) == [2, 0, 1]
    assert list(stream_generate(model, [0], 6, temperature=0, stop_ids=[3])) == [1, 2, 3]
    assert model.training
    with pytest.raises(ConfigError, match="prompt"):
        list(stream_generate(model, [], 3))
