"""The forecaster head: shapes, what window normalisation promises, recursive rolling."""

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.models.forecaster import Forecaster


def _model(**kwargs):
    torch.manual_seed(0)
    options = dict(hidden_size=8, cell="gru")
    options.update(kwargs)
    return Forecaster(**options).eval()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "mingru"])
def test_direct_model_emits_horizon_rows_of_its_targets(cell):
    model = _model(input_size=4, horizon=3, targets=[3], cell=cell)
    assert model(torch.randn(5, 7, 4)).shape == (5, 3, 1)
    assert model.forecast(torch.randn(2, 7, 4), 2).shape == (2, 2, 1)


def test_the_lectures_scratch_rnn_is_a_tanh_rnn_with_torch_names():
    model = _model(input_size=4, horizon=1, targets=[3], cell="rnn", backend="scratch")
    names = {name for name, _ in model.named_parameters()}
    assert {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight"} <= names  # w_x, w_h, w_y
    same = _model(input_size=4, horizon=1, targets=[3], cell="rnn", backend="torch")
    same.load_state_dict(model.state_dict())
    x = torch.randn(3, 4, 4)
    torch.testing.assert_close(model(x), same(x), rtol=1e-5, atol=1e-5)


def test_last_norm_makes_the_forecast_move_with_the_level():
    model = _model(input_size=2, horizon=2, targets=[1], window_norm="last")
    x = torch.randn(4, 6, 2)
    shift = torch.tensor([3.0, -7.0])
    torch.testing.assert_close(model(x + shift), model(x) - 7.0)


def test_last_scale_norm_makes_the_forecast_follow_an_affine_change():
    model = _model(input_size=1, horizon=2, targets=[0], window_norm="last_scale")
    x = torch.randn(4, 6, 1)
    torch.testing.assert_close(model(2.5 * x + 10.0), 2.5 * model(x) + 10.0)


def test_without_norm_the_forecast_does_not_follow_the_level():
    model = _model(input_size=1, horizon=1, targets=[0], window_norm="none")
    x = torch.randn(4, 6, 1)
    assert not torch.allclose(model(x + 100.0), model(x) + 100.0, atol=1.0)


def test_recursive_forecast_rolls_one_step_predictions_into_the_window():
    model = _model(input_size=3, horizon=1, targets=None)
    x = torch.randn(2, 5, 3)
    rolled = model.forecast(x, 3)
    window, manual = x, []
    for _ in range(3):
        step = model(window)  # (2, 1, 3)
        manual.append(step)
        window = torch.cat([window[:, 1:], step], dim=1)
    torch.testing.assert_close(rolled, torch.cat(manual, dim=1))
    with pytest.raises(ConfigError, match="rolling"):
        _model(input_size=3, horizon=1, targets=[0]).forecast(x, 2)


def test_bad_arguments_and_inputs_are_refused():
    with pytest.raises(ConfigError, match="window_norm"):
        Forecaster(2, window_norm="mean")
    with pytest.raises(ConfigError, match="targets"):
        Forecaster(2, targets=[2])
    with pytest.raises(ConfigError, match=r"\(N, L, 2\)"):
        Forecaster(2, hidden_size=4)(torch.randn(3, 5, 3))


def test_gradients_reach_every_parameter():
    model = _model(input_size=2, horizon=2, targets=[0], num_layers=2, bidirectional=True).train()
    model(torch.randn(4, 6, 2)).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_with_the_recurrent_part_zeroed_the_highway_is_a_linear_map_of_the_window():
    model = _model(input_size=2, horizon=3, targets=[1], highway=True, lookback=5, patch=2)
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    x = torch.randn(4, 5, 2)
    last = x[:, -1:, 1]  # (N, 1)
    relative = x[:, :, 1] - last  # (N, L): the target's window minus its last value
    with torch.no_grad():
        model.highway.weight.normal_()
        model.highway.bias.normal_()
        expected = relative @ model.highway.weight.T + model.highway.bias + last  # (N, T_out)
        torch.testing.assert_close(model(x)[:, :, 0], expected)
        # the other column is not read by the highway
        other = x.clone()
        other[:, :, 0] += torch.randn(4, 5)
        torch.testing.assert_close(model(other)[:, :, 0], expected)


def test_the_highway_fits_a_linear_series_exactly():
    # x_t = a + b t: the next 2 values are linear in the window, so least squares is exact
    torch.manual_seed(0)
    model = Forecaster(1, horizon=2, targets=[0], hidden_size=4, highway=True, lookback=4)
    starts, slopes = torch.randn(64, 1), torch.randn(64, 1)
    t = torch.arange(6.0)
    series = (starts + slopes * t).unsqueeze(-1)  # (N, 6, 1)
    x, y = series[:, :4], series[:, 4:]
    for p in (*model.rnn.parameters(), *model.head.parameters()):
        p.requires_grad_(False)
        p.zero_()
    optimiser = torch.optim.LBFGS(
        model.highway.parameters(), max_iter=200, line_search_fn="strong_wolfe"
    )

    def closure():
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    optimiser.step(closure)
    torch.testing.assert_close(model(x), y, rtol=1e-4, atol=1e-4)
    fresh = torch.randn(3, 1) + torch.randn(3, 1) * torch.arange(6.0)  # other lines
    torch.testing.assert_close(model(fresh[:, :4, None]), fresh[:, 4:, None], rtol=1e-4, atol=1e-4)


def test_patches_feed_the_recurrent_stack_fewer_longer_steps():
    model = _model(input_size=2, horizon=1, targets=[0], patch=3)
    assert model.rnn.input_size == 6
    x = torch.randn(2, 7, 2)  # 7 rows: the oldest one is left out, two patches of 3
    torch.testing.assert_close(model(x), model(x[:, 1:]))
    with pytest.raises(ConfigError, match="patches of 3"):
        model(torch.randn(2, 2, 2))


def test_fit_highway_is_the_closed_form_least_squares_and_the_model_starts_there():
    torch.manual_seed(0)
    model = Forecaster(2, horizon=2, targets=[1], hidden_size=4, highway=True, lookback=4)
    x = torch.randn(256, 6, 2)
    relative = x[:, -4:, 1] - x[:, -1:, 1]  # (N, 4): what the highway reads
    true_w, true_b = torch.randn(4, 2), torch.randn(2)
    y = (relative @ true_w + true_b + x[:, -1:, 1]).unsqueeze(-1)  # (N, T_out, 1)
    # the noise-free map is found (the last column of `relative` is 0, so its weight is free)
    model.fit_highway(x, y, alphas=(1e-9,))
    torch.testing.assert_close(model.highway.weight.T[:3], true_w[:3], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(model.highway.bias, true_b, atol=1e-4, rtol=1e-4)
    assert not model.head.weight.any() and not model.head.bias.any()
    # ... and the model's forecast is that linear map, whatever the recurrent part holds
    torch.testing.assert_close(model(x), y, atol=1e-4, rtol=1e-4)


def test_fit_highway_picks_its_penalty_on_the_valid_windows():
    torch.manual_seed(0)
    model = Forecaster(1, horizon=1, targets=[0], hidden_size=4, highway=True, lookback=8)
    x, noise = torch.randn(12, 8, 1), torch.randn(12, 1, 1)
    y = x[:, -1:, :] + noise  # pure noise after the last value: the best map is ~0
    valid_x = torch.randn(500, 8, 1)
    valid_y = valid_x[:, -1:, :] + torch.randn(500, 1, 1)
    alpha = model.fit_highway(x, y, valid=(valid_x, valid_y), alphas=(1e-6, 1e3))
    assert alpha == 1e3  # 12 windows of noise: the unpenalised fit over-fits them
    assert model.fit_highway(x, y, alphas=(1e-6, 1e3)) == 1e-6  # no valid: the smallest
    with pytest.raises(ConfigError, match="highway=True"):
        Forecaster(1, hidden_size=4).fit_highway(x, y)


def test_a_univariate_highway_starts_at_the_ridge_baselines_forecasts():
    """A forecaster with a highway begins as RidgeWindow (standardised lags, the same
    penalties chosen on the same valid windows), so training starts at that baseline."""
    import numpy as np

    from rnnkit.baselines.forecasting import RidgeWindow

    torch.manual_seed(0)
    t = torch.arange(900, dtype=torch.float64)
    series = (
        torch.sin(t / 7) + 0.3 * torch.sin(t / 23) + 0.4 * torch.randn(900, dtype=torch.float64)
    )
    windows = series.unfold(0, 24 + 3, 1)  # (N, 27): 24 inputs, 3 targets
    x, y = windows[:, :24, None].float(), windows[:, 24:, None].float()
    train, valid = slice(0, 600), slice(600, None)
    model = Forecaster(1, horizon=3, targets=[0], hidden_size=4, highway=True, lookback=24)
    alpha = model.fit_highway(x[train], y[train], valid=(x[valid], y[valid]))
    ridge = RidgeWindow(lookback=24, target=0).fit(
        x[train].double().numpy(), y[train, :, 0].double().numpy(),
        x[valid].double().numpy(), y[valid, :, 0].double().numpy(),
    )  # fmt: skip
    assert alpha == ridge.alpha_
    expected = ridge.predict(x[valid].double().numpy())  # (N, 3)
    got = model.eval()(x[valid])[:, :, 0].detach().double().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_the_highway_needs_its_lookback():
    with pytest.raises(ConfigError, match="highway needs the lookback"):
        Forecaster(1, highway=True)
    model = Forecaster(1, hidden_size=4, highway=True, lookback=6)
    with pytest.raises(ConfigError, match=">= 6 rows"):
        model(torch.randn(2, 5, 1))
