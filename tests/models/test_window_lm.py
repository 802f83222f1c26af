import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from rnnkit.errors import ConfigError
from rnnkit.models.window_lm import WindowLanguageModel

V = 13


def make_model(context=3, **kwargs):
    torch.manual_seed(0)
    kwargs.setdefault("embedding_dim", 4)
    kwargs.setdefault("hidden_size", 8)
    return WindowLanguageModel(V, context, **kwargs).eval()


def test_shapes_and_state_is_the_last_context_ids():
    model = make_model(context=3)
    x = torch.randint(1, V, (2, 7))
    logits, state = model(x)
    assert logits.shape == (2, 7, V)
    assert state.dtype == torch.long
    assert_close(state, x[:, -3:])
    # A window shorter than the context keeps the older ids of the state.
    _, state = model(x[:, :2], torch.full((2, 3), 5))
    assert_close(state, torch.cat([torch.full((2, 1), 5), x[:, :2]], dim=1))


def test_none_state_equals_padding_state():
    model = make_model(context=4, padding_idx=2)
    x = torch.randint(0, V, (3, 6))
    assert_close(model(x)[0], model(x, torch.full((3, 4), 2))[0])


@pytest.mark.parametrize("options", [{}, {"direct_connections": True, "tie_weights": True}])
def test_two_chunks_with_carried_state_equal_the_whole_sequence(options):
    model = make_model(context=4, **options)
    x = torch.randint(0, V, (2, 11))
    whole, whole_state = model(x)
    first, state = model(x[:, :3])  # a chunk shorter than the context
    second, state = model(x[:, 3:], state)
    assert_close(torch.cat([first, second], dim=1), whole)
    assert_close(state, whole_state)


def test_step_equals_forward():
    model = make_model(context=3, direct_connections=True)
    x = torch.randint(0, V, (2, 8))
    full, _ = model(x)
    state, steps = None, []
    for t in range(x.size(1)):
        logits, state = model.step(x[:, t], state)
        steps.append(logits)
    assert_close(torch.stack(steps, dim=1), full)


def test_logits_at_t_depend_only_on_the_window_ending_at_t():
    C, L, t = 3, 10, 6
    model = make_model(context=C, direct_connections=True)
    x = torch.randint(0, V, (1, L))
    logits, _ = model(x)
    outside = x.clone()
    outside[0, : t - C + 1] = (outside[0, : t - C + 1] + 1) % V  # before the window
    outside[0, t + 1 :] = (outside[0, t + 1 :] + 1) % V  # after t
    assert_close(model(outside)[0][0, t], logits[0, t])
    for inside in range(t - C + 1, t + 1):  # negative control: each id in the window matters
        changed = x.clone()
        changed[0, inside] = (changed[0, inside] + 1) % V
        assert not torch.allclose(model(changed)[0][0, t], logits[0, t])


def test_tied_weights_share_one_tensor_and_project_when_sizes_differ():
    model = make_model(tie_weights=True, embedding_dim=4, hidden_size=8)
    assert model.decoder.weight is model.embedding.weight
    assert model.projection is not None
    assert make_model(tie_weights=True, embedding_dim=8, hidden_size=8).projection is None


def test_learns_a_pattern_the_window_determines():
    torch.manual_seed(0)
    model = WindowLanguageModel(V, context=2, embedding_dim=8, hidden_size=32)
    x = torch.arange(40).remainder(5).view(1, 40)  # 0 1 2 3 4 0 1 ...
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        logits, _ = model(x[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), x[:, 1:].flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 < losses[0]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"vocab_size": 0}, "vocab_size"),
        ({"context": 0}, "context"),
        ({"context": 2.5}, "context"),
        ({"hidden_size": -1}, "hidden_size"),
        ({"dropout": 1.5}, "dropout"),
        ({"padding_idx": V}, "padding_idx"),
    ],
)
def test_bad_arguments_name_themselves_and_their_value(kwargs, name):
    options = {"vocab_size": V, **kwargs}
    with pytest.raises(ConfigError, match=name) as info:
        WindowLanguageModel(**options)
    assert repr(kwargs[name]) in str(info.value)


def test_state_of_the_wrong_shape_is_refused():
    model = make_model(context=3)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        model(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 2, dtype=torch.long))
