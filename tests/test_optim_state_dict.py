"""Optimizer and scheduler state_dict: structure, plain types, deep copies and exact resumption."""

import json

import numpy as np
import pytest

import mytorch
from mytorch import optim
from mytorch.optim import lr_scheduler

RESUMABLE = [
    (optim.MiniBGD, {"lr": 0.05}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.02, "betas": (0.8, 0.95)}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.3, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
]
RESUMABLE_IDS = [cls.__name__ for cls, _ in RESUMABLE]

INPUTS = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [-0.7, 0.9, 0.1]])
TARGETS = np.array([[0.3], [-0.4], [0.2]])


def _make_params(values=None):
    rng = np.random.default_rng(3)
    values = values or [rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(1, 4))]
    return [mytorch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]


def _make_optimizer(cls, kwargs, params):
    # Two groups, so the indices of the second group continue after the first.
    return cls([{"params": params[:2]}, {"params": params[2:], "lr": kwargs["lr"] / 2}],
               **kwargs)


def _train(params, optimizer, steps, scheduler=None):
    weight1, bias1, weight2 = params
    for _ in range(steps):
        optimizer.zero_grad()
        hidden = mytorch.tanh(mytorch.tensor(INPUTS) @ weight1.T + bias1)
        loss = ((hidden @ weight2.T - mytorch.tensor(TARGETS)) ** 2).mean()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def _save_without_pickle(state_dict):
    """Store a state_dict as JSON text plus a dict of arrays, as a no-pickle checkpoint would."""
    arrays = {}

    def encode(value):
        if isinstance(value, mytorch.Tensor):
            key = f"array{len(arrays)}"
            arrays[key] = value.data.copy()
            return {"__tensor__": key}
        if isinstance(value, dict):
            return {str(k): encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        assert value is None or isinstance(value, (bool, int, float, str)), type(value)
        return value

    return json.dumps(encode(state_dict)), arrays


def _load_without_pickle(text, arrays):
    def decode(value):
        if isinstance(value, dict):
            if "__tensor__" in value:
                return mytorch.tensor(arrays[value["__tensor__"]])
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return decode(json.loads(text))


def _assert_plain(value, path="state_dict"):
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, (int, str)), f"{path} has key {key!r}"
            _assert_plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _assert_plain(item, f"{path}[{index}]")
    else:
        allowed = (mytorch.Tensor, bool, int, float, str, type(None))
        assert isinstance(value, allowed), f"{path} is a {type(value).__name__}"


# ----------------------------------------------------------------- structure


def test_state_dict_structure_matches_torch():
    params = _make_params()
    optimizer = _make_optimizer(optim.Adam, {"lr": 0.01}, params)
    _train(params, optimizer, 2)

    state_dict = optimizer.state_dict()

    assert set(state_dict) == {"state", "param_groups"}
    assert sorted(state_dict["state"]) == [0, 1, 2]
    assert [g["params"] for g in state_dict["param_groups"]] == [[0, 1], [2]]
    assert set(state_dict["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state_dict["state"][0]["step"] == 2.0
    assert state_dict["param_groups"][1]["lr"] == 0.005
    assert state_dict["param_groups"][0]["betas"] == [0.9, 0.999]


@pytest.mark.parametrize(("cls", "kwargs"), RESUMABLE, ids=RESUMABLE_IDS)
def test_state_dict_holds_plain_types(cls, kwargs):
    params = _make_params()
    optimizer = _make_optimizer(cls, kwargs, params)
    _train(params, optimizer, 2)

    _assert_plain(optimizer.state_dict())


# ----------------------------------------------------------------- resumption


@pytest.mark.parametrize(("cls", "kwargs"), RESUMABLE, ids=RESUMABLE_IDS)
def test_resume_continues_bit_identically(cls, kwargs):
    uninterrupted = _make_params()
    optimizer = _make_optimizer(cls, kwargs, uninterrupted)
    _train(uninterrupted, optimizer, 20)

    first_half = _make_params()
    optimizer = _make_optimizer(cls, kwargs, first_half)
    _train(first_half, optimizer, 10)
    text, arrays = _save_without_pickle(optimizer.state_dict())
    saved_values = [p.data.copy() for p in first_half]
    del optimizer

    resumed = _make_params(saved_values)
    optimizer = _make_optimizer(cls, kwargs, resumed)
    optimizer.load_state_dict(_load_without_pickle(text, arrays))
    _train(resumed, optimizer, 10)

    for expected, actual in zip(uninterrupted, resumed, strict=True):
        assert np.array_equal(actual.data, expected.data)


def test_resume_with_scheduler_continues_bit_identically():
    uninterrupted = _make_params()
    optimizer = _make_optimizer(optim.SGD, {"lr": 0.1, "momentum": 0.9}, uninterrupted)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[4, 12, 12], gamma=0.5)
    _train(uninterrupted, optimizer, 16, scheduler)

    first_half = _make_params()
    optimizer = _make_optimizer(optim.SGD, {"lr": 0.1, "momentum": 0.9}, first_half)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[4, 12, 12], gamma=0.5)
    _train(first_half, optimizer, 8, scheduler)
    optimizer_text, arrays = _save_without_pickle(optimizer.state_dict())
    scheduler_text, _ = _save_without_pickle(scheduler.state_dict())
    saved_values = [p.data.copy() for p in first_half]

    resumed = _make_params(saved_values)
    optimizer = _make_optimizer(optim.SGD, {"lr": 0.1, "momentum": 0.9}, resumed)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[1], gamma=0.9)
    optimizer.load_state_dict(_load_without_pickle(optimizer_text, arrays))
    scheduler.load_state_dict(json.loads(scheduler_text))
    _train(resumed, optimizer, 8, scheduler)

    assert scheduler.get_last_lr() == [0.1 * 0.5 ** 3, 0.05 * 0.5 ** 3]
    for expected, actual in zip(uninterrupted, resumed, strict=True):
        assert np.array_equal(actual.data, expected.data)


# ----------------------------------------------------------------- copies and casts


def test_load_state_dict_deep_copies():
    params = _make_params()
    optimizer = _make_optimizer(optim.Adam, {"lr": 0.01}, params)
    _train(params, optimizer, 2)
    state_dict = optimizer.state_dict()

    other_params = _make_params()
    other = _make_optimizer(optim.Adam, {"lr": 0.01}, other_params)
    other.load_state_dict(state_dict)
    loaded = other.state[other_params[0]]["exp_avg"].data
    before = loaded.copy()
    state_dict["state"][0]["exp_avg"].data[...] = 123.0
    state_dict["param_groups"][0]["lr"] = 9.0

    np.testing.assert_array_equal(loaded, before)
    assert other.param_groups[0]["lr"] == 0.01
    assert other.param_groups[0]["params"][0] is other_params[0]
    assert other.param_groups[0]["betas"] == (0.9, 0.999)


def test_load_state_dict_casts_to_param_dtype():
    params64 = _make_params()
    optimizer = _make_optimizer(optim.Adam, {"lr": 0.01}, params64)
    _train(params64, optimizer, 1)

    params32 = [mytorch.tensor(p.data.astype(np.float32), requires_grad=True) for p in params64]
    other = _make_optimizer(optim.Adam, {"lr": 0.01}, params32)
    other.load_state_dict(optimizer.state_dict())

    assert other.state[params32[0]]["exp_avg"].data.dtype == np.float32
    assert other.state[params32[0]]["step"] == 1.0


def test_load_state_dict_rejects_other_group_count():
    params = _make_params()
    optimizer = _make_optimizer(optim.SGD, {"lr": 0.1}, params)
    single_group = optim.SGD(_make_params(), lr=0.1)

    with pytest.raises(ValueError, match="different number of parameter groups"):
        single_group.load_state_dict(optimizer.state_dict())


def test_load_state_dict_rejects_other_group_size():
    optimizer = optim.SGD(_make_params(), lr=0.1)
    smaller = optim.SGD(_make_params()[:2], lr=0.1)

    with pytest.raises(ValueError, match="doesn't match the size"):
        smaller.load_state_dict(optimizer.state_dict())


def test_adamw_keeps_decoupled_decay_after_loading_adam_state():
    params = _make_params()
    adam = optim.Adam(params, lr=0.01, weight_decay=0.1)
    adamw = optim.AdamW(_make_params(), lr=0.01, weight_decay=0.1)

    adamw.load_state_dict(adam.state_dict())

    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


# ----------------------------------------------------------------- schedulers


def test_lambda_lr_state_dict_stores_callable_object_attributes():
    class Warmup:
        def __init__(self, epochs):
            self.epochs = epochs

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.epochs)

    optimizer = optim.SGD([{"params": [_make_params()[0]]}, {"params": [_make_params()[1]]}],
                          lr=0.1)
    scheduler = lr_scheduler.LambdaLR(optimizer, [Warmup(4), lambda epoch: 0.5])

    state = scheduler.state_dict()

    assert state["lr_lambdas"] == [{"epochs": 4}, None]
    other_warmup = Warmup(10)
    other = lr_scheduler.LambdaLR(optimizer, [other_warmup, lambda epoch: 1.0])
    other.load_state_dict(state)
    assert other_warmup.epochs == 4


def test_reduce_lr_on_plateau_resumes():
    def run(metrics, scheduler):
        for value in metrics:
            scheduler.step(value)

    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85]
    optimizer = optim.SGD(_make_params(), lr=0.1)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5, cooldown=1)
    run(metrics, scheduler)

    first = optim.SGD(_make_params(), lr=0.1)
    half = lr_scheduler.ReduceLROnPlateau(first, patience=2, factor=0.5, cooldown=1)
    run(metrics[:5], half)
    saved = json.loads(json.dumps(half.state_dict()))
    second = optim.SGD(_make_params(), lr=0.1)
    second.load_state_dict(first.state_dict())
    resumed = lr_scheduler.ReduceLROnPlateau(second)
    resumed.load_state_dict(saved)
    run(metrics[5:], resumed)

    assert scheduler.get_last_lr() == [0.025]
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert resumed.num_bad_epochs == scheduler.num_bad_epochs
    assert resumed.best == scheduler.best
