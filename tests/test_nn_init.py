"""nn.init: gains, fans, bounds and standard deviations against their formulas.

Statistical checks draw 200,000 values from a fixed seed, so they are deterministic. The
tolerances are several standard errors wide: the standard error of a sample std is about
std / √(2n) = 0.16% here.
"""

import math
import warnings

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.nn import init

LARGE = (400, 500)  # fan_in 500, fan_out 400


@pytest.fixture(autouse=True)
def seeded():
    mytorch.manual_seed(1234)


@pytest.mark.parametrize(("nonlinearity", "param", "expected"), [
    ("linear", None, 1.0),
    ("conv2d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3),
    ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1.0 / 3)),
    ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_rejects_bad_input():
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope abc not a valid number"):
        init.calculate_gain("leaky_relu", "abc")


def test_fans_include_receptive_field():
    weight = mytorch.empty(8, 3, 5, 5)

    assert init._calculate_fan_in_and_fan_out(weight) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mytorch.empty(3))


def test_uniform_bounds_and_mean():
    tensor = init.uniform_(mytorch.empty(*LARGE, dtype=mytorch.float64), -2.0, 3.0)

    assert tensor.data.min() >= -2.0
    assert tensor.data.max() < 3.0
    assert tensor.data.mean() == pytest.approx(0.5, abs=0.02)


def test_normal_mean_and_std():
    tensor = init.normal_(mytorch.empty(*LARGE, dtype=mytorch.float64), mean=1.0, std=0.5)

    assert tensor.data.mean() == pytest.approx(1.0, abs=0.005)
    assert tensor.data.std() == pytest.approx(0.5, rel=0.01)


def test_constant_zeros_ones_on_parameter():
    param = nn.Parameter(mytorch.empty(2, 3))

    assert init.constant_(param, 0.3) is param
    np.testing.assert_allclose(param.data, 0.3, rtol=1e-7)
    init.ones_(param)
    assert param.data.tolist() == [[1.0] * 3] * 2
    init.zeros_(param)
    assert not param.data.any()
    assert param.requires_grad
    assert param.grad_fn is None


def test_xavier_uniform_bound():
    tensor = init.xavier_uniform_(mytorch.empty(*LARGE, dtype=mytorch.float64), gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (500 + 400))

    assert np.abs(tensor.data).max() <= bound
    assert np.abs(tensor.data).max() > 0.999 * bound
    assert tensor.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_xavier_normal_std():
    tensor = init.xavier_normal_(mytorch.empty(*LARGE, dtype=mytorch.float64))

    assert tensor.data.std() == pytest.approx(math.sqrt(2.0 / 900), rel=0.01)
    assert tensor.data.mean() == pytest.approx(0.0, abs=0.001)


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 500), ("fan_out", 400)])
@pytest.mark.parametrize(("nonlinearity", "a"), [("relu", 0), ("leaky_relu", 0.1),
                                                 ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming_uniform_bound(mode, fan, nonlinearity, a):
    tensor = init.kaiming_uniform_(mytorch.empty(*LARGE, dtype=mytorch.float64), a=a,
                                   mode=mode, nonlinearity=nonlinearity)
    bound = init.calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)

    assert np.abs(tensor.data).max() <= bound
    assert np.abs(tensor.data).max() > 0.999 * bound


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 500), ("fan_out", 400)])
def test_kaiming_normal_std(mode, fan):
    tensor = init.kaiming_normal_(mytorch.empty(*LARGE, dtype=mytorch.float64), mode=mode,
                                  nonlinearity="relu")

    assert tensor.data.std() == pytest.approx(math.sqrt(2.0 / fan), rel=0.01)


def test_kaiming_rejects_bad_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(mytorch.empty(3, 3), mode="fan_avg")


def test_kaiming_zero_element_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(mytorch.empty(0, 3))


def test_generator_argument_is_reproducible():
    first = init.normal_(mytorch.empty(4, 4), generator=mytorch.Generator().manual_seed(9))
    state = mytorch.get_rng_state()
    second = init.xavier_uniform_(mytorch.empty(4, 4), generator=mytorch.Generator().manual_seed(9))
    third = init.normal_(mytorch.empty(4, 4), generator=mytorch.Generator().manual_seed(9))

    assert np.array_equal(first.data, third.data)
    assert not np.array_equal(first.data, second.data)
    assert mytorch.get_rng_state()["bit_generator"] == state["bit_generator"]


def test_default_generator_is_reproducible():
    mytorch.manual_seed(77)
    first = init.kaiming_normal_(mytorch.empty(5, 5))
    mytorch.manual_seed(77)
    second = init.kaiming_normal_(mytorch.empty(5, 5))

    assert np.array_equal(first.data, second.data)


def test_init_records_no_graph():
    param = nn.Parameter(mytorch.empty(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.xavier_normal_(param)

    assert param.grad_fn is None
    assert param.is_leaf
