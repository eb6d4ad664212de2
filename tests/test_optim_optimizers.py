"""Behaviour of the optimizers: exact updates, dtypes, identity, groups and input checks."""

import numpy as np
import pytest

import mytorch
from mytorch import optim

# Each optimizer with every option that touches the gradient or adds state switched on.
ALL_OPTIONS = [
    (optim.MiniBGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True,
                 "maximize": True}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    (optim.AdamW, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    (optim.RMSprop, {"lr": 0.1, "weight_decay": 0.1, "momentum": 0.5, "centered": True,
                     "maximize": True}),
    (optim.Adagrad, {"lr": 0.1, "weight_decay": 0.1, "lr_decay": 0.1,
                     "initial_accumulator_value": 0.1, "maximize": True}),
]
ALL_OPTIONS_IDS = [f"{cls.__name__}-{index}" for index, (cls, _) in enumerate(ALL_OPTIONS)]


def _param(values, dtype=np.float64):
    return mytorch.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _set_grad(param, values):
    param.grad = mytorch.tensor(np.asarray(values, dtype=param.data.dtype))


def _tanh_model_loss(weight, bias):
    inputs = mytorch.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], dtype=weight.data.dtype))
    targets = mytorch.tensor(np.array([[0.1, -0.2], [0.3, 0.4]], dtype=weight.data.dtype))
    return ((mytorch.tanh(inputs @ weight.T + bias) - targets) ** 2).mean()


# ----------------------------------------------------------------- exact updates


def test_minibgd_step_is_lr_times_grad():
    p = _param([1.0, -2.0, 3.0])
    _set_grad(p, [0.5, 0.25, -1.0])
    optimizer = optim.MiniBGD([p], lr=0.1)

    optimizer.step()

    np.testing.assert_array_equal(p.data, [1.0 - 0.1 * 0.5, -2.0 - 0.1 * 0.25, 3.0 + 0.1])


def test_minibgd_requires_lr():
    with pytest.raises(TypeError):
        optim.MiniBGD([_param([1.0])])


def test_sgd_first_momentum_buffer_is_grad_copy():
    p = _param([1.0, 2.0])
    _set_grad(p, [0.3, -0.6])
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)

    optimizer.step()

    buffer = optimizer.state[p]["momentum_buffer"]
    np.testing.assert_array_equal(buffer.data, [0.3, -0.6])
    assert not np.shares_memory(buffer.data, p.grad.data)
    np.testing.assert_array_equal(p.data, [1.0 - 0.1 * 0.3, 2.0 + 0.1 * 0.6])


def test_sgd_second_step_uses_dampened_buffer():
    p = _param([1.0])
    _set_grad(p, [2.0])
    optimizer = optim.SGD([p], lr=0.5, momentum=0.9, dampening=0.5)
    optimizer.step()
    _set_grad(p, [4.0])

    optimizer.step()

    # b = 0.9 * 2 + (1 - 0.5) * 4 = 3.8
    np.testing.assert_allclose(optimizer.state[p]["momentum_buffer"].data, [3.8], rtol=1e-15)
    np.testing.assert_allclose(p.data, [1.0 - 0.5 * 2.0 - 0.5 * 3.8], rtol=1e-15)


def test_adamw_zero_grad_decays_geometrically():
    p0 = np.array([1.5, -2.0, 0.25])
    p = _param(p0)
    optimizer = optim.AdamW([p], lr=0.1, weight_decay=0.2)
    expected = p0.copy()

    for step in range(1, 21):
        _set_grad(p, np.zeros(3))
        optimizer.step()
        expected *= 1 - 0.1 * 0.2

        np.testing.assert_array_equal(p.data, expected)
        np.testing.assert_allclose(p.data, p0 * (1 - 0.1 * 0.2) ** step, rtol=1e-14)


def test_adamw_and_adam_decay_differ():
    trajectories = []
    for cls in (optim.Adam, optim.AdamW):
        weight = _param([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
        bias = _param([0.05, -0.05])
        optimizer = cls([weight, bias], lr=0.05, weight_decay=0.5)
        for _ in range(10):
            optimizer.zero_grad()
            _tanh_model_loss(weight, bias).backward()
            optimizer.step()
        trajectories.append(weight.data.copy())

    assert np.abs(trajectories[0] - trajectories[1]).max() > 1e-3


def test_adam_first_step_with_tiny_grad():
    grad, lr, eps = 1e-9, 0.1, 1e-8
    p = _param([1.0, -1.0])
    _set_grad(p, [grad, -grad])
    optimizer = optim.Adam([p], lr=lr, eps=eps)

    optimizer.step()

    # The bias corrections cancel at t = 1, leaving lr * g / (|g| + eps).
    step = lr * grad / (grad + eps)
    np.testing.assert_allclose(p.data, [1.0 - step, -1.0 + step], rtol=1e-14)
    assert step == pytest.approx(lr / 11)


def test_adagrad_lr_decay_and_accumulator():
    p = _param([1.0])
    optimizer = optim.Adagrad([p], lr=0.5, lr_decay=0.25, initial_accumulator_value=3.0, eps=0.0)
    _set_grad(p, [1.0])
    optimizer.step()
    _set_grad(p, [2.0])

    optimizer.step()

    # Step 1: sum = 4, p -= 0.5 * 1 / 2. Step 2: clr = 0.5 / 1.25, sum = 8.
    expected = 1.0 - 0.25 - (0.5 / 1.25) * 2.0 / np.sqrt(8.0)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-15)
    assert optimizer.state[p]["step"] == 2.0


def test_rmsprop_first_step():
    p = _param([1.0])
    _set_grad(p, [2.0])
    optimizer = optim.RMSprop([p], lr=0.01, alpha=0.75, eps=0.0)

    optimizer.step()

    # v = 0.25 * 4 = 1, so the step is lr * g / sqrt(v) = 0.02.
    np.testing.assert_allclose(p.data, [0.98], rtol=1e-15)


# ----------------------------------------------------------------- contracts of step()


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIONS, ids=ALL_OPTIONS_IDS)
def test_float32_stays_float32(cls, kwargs):
    weight = _param(np.full((2, 3), 0.3), dtype=np.float32)
    bias = _param([0.1, -0.1], dtype=np.float32)
    optimizer = cls([weight, bias], **kwargs)

    for _ in range(3):
        optimizer.zero_grad()
        _tanh_model_loss(weight, bias).backward()
        optimizer.step()

    assert weight.data.dtype == np.float32
    assert bias.data.dtype == np.float32
    for state in optimizer.state.values():
        for name, value in state.items():
            if name != "step":
                assert value.data.dtype == np.float32, name


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIONS, ids=ALL_OPTIONS_IDS)
def test_step_keeps_param_and_grad(cls, kwargs):
    weight = _param(np.full((2, 3), 0.3))
    bias = _param([0.1, -0.1])
    optimizer = cls([weight, bias], **kwargs)
    _tanh_model_loss(weight, bias).backward()
    weight_data, grad = weight.data, weight.grad
    grad_values = grad.data.copy()
    before = weight.data.copy()

    optimizer.step()

    assert optimizer.param_groups[0]["params"][0] is weight
    assert weight.data is weight_data
    assert weight.grad is grad
    np.testing.assert_array_equal(weight.grad.data, grad_values)
    assert not np.array_equal(weight.data, before)
    assert weight.is_leaf
    assert weight.requires_grad


@pytest.mark.parametrize(("cls", "kwargs"), ALL_OPTIONS, ids=ALL_OPTIONS_IDS)
def test_step_skips_param_without_grad(cls, kwargs):
    used = _param([1.0, 2.0])
    unused = _param([3.0, 4.0])
    optimizer = cls([used, unused], **kwargs)
    _set_grad(used, [0.5, 0.5])

    optimizer.step()

    np.testing.assert_array_equal(unused.data, [3.0, 4.0])
    assert unused.grad is None
    assert optimizer.state.get(unused, {}).get("step", 0.0) == 0.0
    assert not np.array_equal(used.data, [1.0, 2.0])


def test_step_returns_closure_loss():
    p = _param([2.0])
    optimizer = optim.SGD([p], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    with mytorch.no_grad():
        loss = optimizer.step(closure)

    assert loss.item() == 4.0
    np.testing.assert_array_equal(p.data, [2.0 - 0.25 * 4.0])


def test_zero_grad_to_none_and_to_zeros():
    p = _param([1.0, 2.0])
    optimizer = optim.SGD([p], lr=0.1)
    _set_grad(p, [3.0, 4.0])
    grad = p.grad

    optimizer.zero_grad(set_to_none=False)

    assert p.grad is grad
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])

    optimizer.zero_grad()

    assert p.grad is None


# ----------------------------------------------------------------- parameter groups


def test_param_groups_fill_defaults_and_use_own_lr():
    first, second = _param([1.0]), _param([1.0])
    optimizer = optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.5}],
                          lr=0.1, momentum=0.0)
    _set_grad(first, [1.0])
    _set_grad(second, [1.0])

    optimizer.step()

    assert optimizer.param_groups[0]["lr"] == 0.1
    assert optimizer.param_groups[1]["lr"] == 0.5
    assert optimizer.param_groups[1]["momentum"] == 0.0
    assert optimizer.param_groups[1]["nesterov"] is False
    np.testing.assert_array_equal(first.data, [0.9])
    np.testing.assert_array_equal(second.data, [0.5])


def test_group_lr_change_applies_at_next_step():
    p = _param([1.0])
    optimizer = optim.Adam([p], lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.0
    _set_grad(p, [1.0])

    optimizer.step()

    np.testing.assert_array_equal(p.data, [1.0])


def test_add_param_group():
    first, second = _param([1.0]), _param([1.0])
    optimizer = optim.Adam([first], lr=0.1, betas=(0.8, 0.9))

    optimizer.add_param_group({"params": second, "lr": 0.01})

    assert len(optimizer.param_groups) == 2
    assert optimizer.param_groups[1]["params"][0] is second
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["betas"] == (0.8, 0.9)


def test_param_in_two_groups_raises():
    p = _param([1.0])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_empty_params_raise():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


def test_single_tensor_params_raise():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(_param([1.0]), lr=0.1)


def test_non_leaf_param_raises():
    p = _param([1.0])
    with pytest.raises(ValueError, match="non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)


def test_params_from_generator():
    params = [_param([1.0]), _param([2.0])]
    optimizer = optim.SGD((p for p in params), lr=0.1)

    assert len(optimizer.param_groups[0]["params"]) == 2


# ----------------------------------------------------------------- input checks


@pytest.mark.parametrize(("cls", "kwargs", "message"), [
    (optim.MiniBGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.SGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    (optim.SGD, {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    (optim.SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    (optim.Adam, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    (optim.AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    (optim.AdamW, {"lr": -0.1}, "Invalid learning rate: -0.1"),
    (optim.RMSprop, {"alpha": -0.9}, "Invalid alpha value: -0.9"),
    (optim.RMSprop, {"momentum": -0.1}, "Invalid momentum value: -0.1"),
    (optim.RMSprop, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    (optim.Adagrad, {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
    (optim.Adagrad, {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
])
def test_invalid_hyperparameter_raises(cls, kwargs, message):
    if cls is optim.MiniBGD or "lr" in kwargs:
        args = kwargs
    else:
        args = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError) as error:
        cls([_param([1.0])], **args)

    assert str(error.value) == message


def test_invalid_group_hyperparameter_raises():
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        optim.SGD([{"params": [_param([1.0])], "lr": -1.0}], lr=0.1)


# ----------------------------------------------------------------- printing


def test_repr_lists_group_hyperparameters():
    optimizer = optim.SGD([_param([1.0])], lr=0.1, momentum=0.9)

    text = repr(optimizer)

    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text
    assert "    momentum: 0.9\n" in text
    assert text.endswith(")")


# ----------------------------------------------------------------- flat and per-parameter paths

FLAT_CAPABLE = [
    (optim.Adam, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
]


def _mlp_params():
    rng = np.random.default_rng(5)
    return [_param(rng.normal(size=shape)) for shape in [(2, 3), (2,), (1, 2), (1,)]]


def _mlp_loss(params):
    weight1, bias1, weight2, bias2 = params
    inputs = mytorch.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [0.1, 0.1, 0.4]]))
    hidden = mytorch.tanh(inputs @ weight1.T + bias1)
    return ((hidden @ weight2.T + bias2 - 0.5) ** 2).mean()


def _run_mlp(cls, kwargs, one_group, drop_grad_at=None):
    params = _mlp_params()
    # One group of several parameters takes the flat path, one group per parameter does not.
    groups = [{"params": params}] if one_group else [{"params": [p]} for p in params]
    optimizer = cls(groups, **kwargs)
    for step in range(12):
        optimizer.zero_grad()
        _mlp_loss(params).backward()
        if step == drop_grad_at:
            params[1].grad = None
        optimizer.step()
    return params, optimizer


@pytest.mark.parametrize(("cls", "kwargs"), FLAT_CAPABLE,
                         ids=[cls.__name__ for cls, _ in FLAT_CAPABLE])
@pytest.mark.parametrize("drop_grad_at", [None, 4])
def test_flat_path_matches_per_parameter_path(cls, kwargs, drop_grad_at):
    flat_params, flat_optimizer = _run_mlp(cls, kwargs, True, drop_grad_at)
    single_params, single_optimizer = _run_mlp(cls, kwargs, False, drop_grad_at)

    # Without a dropped gradient the one-group run must really have used the flat layout.
    if drop_grad_at is None:
        assert len(flat_optimizer._flat_groups) == 1
    assert not single_optimizer._flat_groups

    for flat, single in zip(flat_params, single_params, strict=True):
        assert np.array_equal(flat.data, single.data)
        flat_state = flat_optimizer.state[flat]
        single_state = single_optimizer.state[single]
        assert set(flat_state) == set(single_state)
        for name, value in single_state.items():
            if name == "step":
                assert flat_state[name] == value
            else:
                assert np.array_equal(flat_state[name].data, value.data), name


def test_flat_path_state_survives_load():
    params, optimizer = _run_mlp(optim.Adam, {"lr": 0.05}, True)
    state_dict = optimizer.state_dict()

    assert [state["step"] for state in state_dict["state"].values()] == [12.0] * 4
    other = optim.Adam(_mlp_params(), lr=0.05)
    other.load_state_dict(state_dict)
    for index, p in enumerate(other.param_groups[0]["params"]):
        np.testing.assert_array_equal(other.state[p]["exp_avg"].data,
                                      state_dict["state"][index]["exp_avg"].data)
