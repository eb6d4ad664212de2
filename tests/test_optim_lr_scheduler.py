"""Learning-rate schedulers: known values, closed forms, bookkeeping and input checks."""

import math
import warnings

import numpy as np
import pytest

import mytorch
from mytorch import optim
from mytorch.optim import lr_scheduler


def _optimizer(lrs=(0.1,)):
    groups = [{"params": [mytorch.tensor(np.ones(2), requires_grad=True)], "lr": lr}
              for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def _run(optimizer, scheduler, epochs):
    """Step optimizer and scheduler ``epochs`` times and return the lrs of group 0, start first."""
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def test_step_lr_values():
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    lrs = _run(optimizer, scheduler, 6)

    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], rtol=1e-15)


def test_multistep_lr_repeated_milestone_decays_twice():
    optimizer = _optimizer()
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[1, 3, 3], gamma=0.1)

    lrs = _run(optimizer, scheduler, 4)

    np.testing.assert_allclose(lrs, [0.1, 0.01, 0.01, 1e-4, 1e-4], rtol=1e-14)


def test_exponential_lr_values():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)

    lrs = _run(optimizer, scheduler, 5)

    np.testing.assert_allclose(lrs, 0.1 * 0.9 ** np.arange(6), rtol=1e-14)


def test_cosine_annealing_follows_closed_form():
    optimizer = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)

    lrs = _run(optimizer, scheduler, 20)

    # Over two half periods the recursion follows the closed form, down to eta_min and back up.
    epochs = np.arange(21)
    closed_form = 0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * epochs / 10)) / 2
    np.testing.assert_allclose(lrs, closed_form, rtol=1e-12)
    assert lrs[10] == pytest.approx(0.01, rel=1e-12)


def test_linear_lr_warmup_values():
    optimizer = _optimizer()
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.25, end_factor=1.0,
                                      total_iters=3)

    lrs = _run(optimizer, scheduler, 5)

    np.testing.assert_allclose(lrs, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], rtol=1e-14)


def test_lambda_lr_scales_initial_lr():
    optimizer = _optimizer((0.1, 0.2))
    scheduler = lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 / (epoch + 1))

    _run(optimizer, scheduler, 3)

    assert scheduler.get_last_lr() == [0.1 / 4, 0.2 / 4]


def test_lambda_lr_list_length_mismatch_raises():
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(_optimizer((0.1, 0.2)), [lambda epoch: 1.0])


def test_scheduler_sets_initial_lr_and_last_epoch():
    optimizer = _optimizer((0.1, 0.3))
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.3]
    assert scheduler.base_lrs == [0.1, 0.3]
    assert scheduler.last_epoch == 0

    _run(optimizer, scheduler, 2)

    assert scheduler.last_epoch == 2
    assert scheduler.get_last_lr() == [0.025, 0.075]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.3]


def test_resume_without_initial_lr_raises():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_optimizer(), step_size=1, last_epoch=3)


def test_step_with_epoch_uses_closed_form():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    optimizer.step()

    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(3)

    assert scheduler.last_epoch == 3
    assert scheduler.get_last_lr() == [0.1 * 0.5 ** 3]


def test_scheduler_step_before_optimizer_step_warns():
    scheduler = lr_scheduler.StepLR(_optimizer(), step_size=1)

    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_scheduler_step_after_optimizer_step_is_silent():
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()


def test_scheduler_rejects_non_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)


def test_lr_scheduler_alias():
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start_factor": 0.0}, "Starting multiplicative factor"),
    ({"start_factor": 1.5}, "Starting multiplicative factor"),
    ({"end_factor": -0.1}, "Ending multiplicative factor"),
])
def test_linear_lr_invalid_factor_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_scheduler.LinearLR(_optimizer(), **kwargs)


# ----------------------------------------------------------------- ReduceLROnPlateau


def test_plateau_reduces_after_patience():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)
    lrs = []

    for metric in [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])

    # Three epochs without improvement exceed patience=2, then the count starts over.
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_plateau_relative_threshold():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, threshold=0.1)

    scheduler.step(1.0)
    scheduler.step(0.95)  # not below 1.0 * (1 - 0.1)

    assert scheduler.get_last_lr()[0] == pytest.approx(0.01)
    assert scheduler.best == 1.0


def test_plateau_max_mode_and_min_lr():
    optimizer = _optimizer((0.1, 0.2))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=0, factor=0.1,
                                               min_lr=[0.05, 0.0])

    for metric in [0.5, 0.4, 0.3]:
        scheduler.step(metric)

    assert scheduler.get_last_lr()[0] == 0.05
    assert scheduler.get_last_lr()[1] == pytest.approx(0.002)


def test_plateau_cooldown_ignores_bad_epochs():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, cooldown=2, factor=0.5)

    for metric in [1.0, 2.0, 2.0, 2.0, 2.0]:
        scheduler.step(metric)

    # Reduced at epoch 2, epochs 3 and 4 are cooldown, reduced again at epoch 5.
    assert scheduler.get_last_lr() == [0.025]


def test_plateau_skips_reduction_below_eps():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5, eps=0.06)

    scheduler.step(1.0)
    scheduler.step(1.0)

    assert scheduler.get_last_lr() == [0.1]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"factor": 1.0}, ValueError, "Factor should be < 1.0"),
    ({"mode": "lowest"}, ValueError, "mode 'lowest' is unknown"),
    ({"threshold_mode": "ratio"}, ValueError, "threshold mode 'ratio' is unknown"),
    ({"min_lr": [0.1, 0.2]}, ValueError, "expected 1 min_lrs, got 2"),
])
def test_plateau_invalid_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), **kwargs)


def test_cosine_resumed_recurses_from_current_lr():
    optimizer = _optimizer()
    for group in optimizer.param_groups:
        group["initial_lr"] = 0.1

    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=8, last_epoch=3)

    # As in torch 2.13, building the scheduler keeps the current lr, and the next step
    # multiplies it by the ratio of the cosine terms of epochs 5 and 4.
    assert scheduler.last_epoch == 4
    assert scheduler.get_last_lr() == [0.1]

    optimizer.step()
    scheduler.step()

    ratio = (1 + math.cos(math.pi * 5 / 8)) / (1 + math.cos(math.pi * 4 / 8))
    assert scheduler.last_epoch == 5
    assert scheduler.get_last_lr()[0] == pytest.approx(0.1 * ratio, rel=1e-15)
