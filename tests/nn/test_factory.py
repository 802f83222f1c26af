"""make_recurrent: one contract for every cell the rest of rnnkit builds."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnkit.nn
from rnnkit.errors import ConfigError
from rnnkit.nn import GRU, LSTM, RNN, MinGRU, MinLSTM, make_recurrent

EXPECTED = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "mingru": MinGRU, "minlstm": MinLSTM}


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("cell", sorted(EXPECTED))
def test_every_cell_follows_the_same_contract(cell, batch_first):
    torch.manual_seed(0)
    m = make_recurrent(cell, 3, 4, 2, bidirectional=True, batch_first=batch_first)
    assert type(m) is EXPECTED[cell]
    assert (m.hidden_size, m.num_layers, m.bidirectional, m.batch_first) == (
        4,
        2,
        True,
        batch_first,
    )
    x = torch.randn(2, 5, 3) if batch_first else torch.randn(5, 2, 3)
    out, state = m(x)
    h_n = state[0] if cell == "lstm" else state
    assert out.shape == ((2, 5, 8) if batch_first else (5, 2, 8))
    assert h_n.shape == (4, 2, 4)
    if cell == "lstm":
        assert state[1].shape == (4, 2, 4)
    # the state feeds back in, and a PackedSequence gives the same valid outputs
    out2, _ = m(x, state)
    assert out2.shape == out.shape and not torch.allclose(out2, out)
    lengths = torch.tensor([5, 3])
    packed_out, packed_state = m(pack_padded_sequence(x, lengths, batch_first=batch_first))
    padded, _ = pad_packed_sequence(packed_out, batch_first=batch_first)
    first = padded[0] if batch_first else padded[:, 0]
    want = out[0] if batch_first else out[:, 0]
    torch.testing.assert_close(first, want, atol=1e-5, rtol=1e-5)


def test_layer_norm_and_backend_are_passed_through():
    m = make_recurrent("gru", 3, 4, layer_norm=True)
    assert m.layer_norm and m.active_backend == "scratch"
    assert make_recurrent("lstm", 3, 4, backend="scratch").active_backend == "scratch"
    assert make_recurrent("lstm", 3, 4).active_backend == "torch"


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("transformer", 3, 4), {}, "cell"),
        (("rnn", 3, 4), {"layer_norm": True}, "layer_norm"),
        (("mingru", 3, 4), {"layer_norm": True}, "layer_norm"),
        (("minlstm", 3, 4), {"backend": "torch"}, "backend"),
        (("lstm", 3, 4), {"backend": "fast"}, "backend"),
    ],
)
def test_unavailable_combinations_raise_config_error(args, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        make_recurrent(*args, **kwargs)


def test_public_names_are_exported():
    for name in rnnkit.nn.__all__:
        assert hasattr(rnnkit.nn, name), name
    assert {"RNNCell", "LSTMCell", "GRUCell", "CRF", "LockedDropout", "WordDropout"} <= set(
        rnnkit.nn.__all__
    )


def test_nn_imports_nothing_from_rnnkit_but_errors():
    import ast
    import pathlib

    for path in pathlib.Path(rnnkit.nn.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name == "rnnkit" or name.startswith("rnnkit."):
                    assert name == "rnnkit.errors" or name.startswith("rnnkit.nn"), (path, name)
