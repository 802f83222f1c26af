"""examples/stock_rnn.py at a small size: the hand-written RNN learns, equals rnnkit's
scratch cells, and the rnnkit run is scored beside persistence with an honest verdict."""

import importlib.util
from pathlib import Path

import pytest
import torch

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "stock_rnn.py"

needs_pmdarima = pytest.mark.skipif(
    importlib.util.find_spec("pmdarima") is None, reason="the forecast extra (pmdarima)"
)


def _module():
    spec = importlib.util.spec_from_file_location("example_stock_rnn", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hand_written_rnn_equals_scratch_cells_and_a_changed_weight_breaks_it():
    module = _module()
    torch.manual_seed(1)
    model = module.StockRNN(4, 6)
    x = torch.rand(5, 4, 4)  # (N, L, F)
    assert model(x).shape == (5, 1)
    rnn = module.to_rnnkit(model)
    assert module.scratch_difference(model, x, rnn) < 1e-6
    with torch.no_grad():  # negative control: one recurrent weight off, parity must fail
        rnn.weight_hh_l0[0, 1] += 0.5
    assert module.scratch_difference(model, x, rnn) > 1e-3


@needs_pmdarima
def test_stock_rnn_learns_and_reports_against_persistence(tmp_path, capsys):
    argv = ["--iterations", "60", "--log-every", "20", "--epochs", "1", "--hidden", "8",
            "--out", str(tmp_path / "run")]  # fmt: skip
    result = _module().main(argv)
    losses = result["losses"]
    assert len(losses) == 60 and losses[-1] < 0.05 * losses[0]
    assert result["scratch_max_diff"] < 1e-6
    # fed raw levels, scaled on the training years only, it cannot reach the later prices
    assert result["test_mse"] > 2 * result["persistence"]

    metrics = result["metrics"]
    persistence = metrics["baselines"]["persistence"]["mse"]
    assert metrics["n"] == 1197 and metrics["baselines"]["persistence"]["n"] == 1197
    # both parts score the same test windows: the same persistence error
    assert persistence == pytest.approx(result["persistence"], rel=1e-6)
    # relative to its window's last day, one epoch already stays close to persistence
    assert metrics["mse"] < 1.1 * persistence
    assert result["beats_persistence"] == (metrics["mse"] < persistence)
    printed = capsys.readouterr().out
    verdict = "the RNN beats persistence" if result["beats_persistence"] else "does not beat"
    assert verdict in printed
    assert (tmp_path / "run" / "scaler.json").exists()
