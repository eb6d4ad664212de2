"""Numerically stable forms: no overflow, no NaN and no numpy warning at extreme inputs."""

import numpy as np
import pytest

import mytorch
from mytorch._ops import pointwise

EXTREMES = [-1000.0, 0.0, 1000.0]


@pytest.fixture(autouse=True)
def _raise_on_numpy_warnings():
    # Every numpy floating-point warning (overflow, underflow, invalid value, division by zero)
    # becomes an error, so a test fails on any of them.
    with np.errstate(all="raise"):
        yield


@pytest.mark.parametrize("dtype", [mytorch.float32, mytorch.float64])
def test_sigmoid_extremes_exact(dtype):
    x = mytorch.tensor(EXTREMES, dtype=dtype, requires_grad=True)

    y = x.sigmoid()
    y.sum().backward()

    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25, 0.0])


def test_softmax_extremes_finite():
    x = mytorch.tensor(EXTREMES, dtype=mytorch.float64, requires_grad=True)

    y = x.softmax(dim=0)
    (y * mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64)).sum().backward()

    np.testing.assert_array_equal(y.data, [0.0, 0.0, 1.0])
    assert np.all(np.isfinite(x.grad.data))


def test_log_softmax_large_values():
    x = mytorch.tensor([[1000.0, 999.0, -1000.0]], dtype=mytorch.float64, requires_grad=True)

    y = x.log_softmax(dim=1)
    y[0, 0].backward()

    log_norm = np.log1p(np.exp(-1.0))
    np.testing.assert_allclose(y.data[0, :2], [-log_norm, -1.0 - log_norm], rtol=1e-15)
    assert y.data[0, 2] == pytest.approx(-2000.0 - log_norm, rel=1e-15)
    with np.errstate(under="ignore"):
        expected = np.array([1.0, 0.0, 0.0]) - np.exp(y.data[0])
    np.testing.assert_allclose(x.grad.data[0], expected, rtol=1e-12, atol=1e-300)


def test_log_softmax_float32_large_values():
    x = mytorch.tensor([3e38, 0.0, -3e38])

    y = x.log_softmax(dim=0)

    assert y.dtype == mytorch.float32
    assert y.data[0] == 0.0
    assert y.data[1] == np.float32(-3e38)
    assert y.data[2] == -np.inf


def test_logsumexp_large_values():
    x = mytorch.tensor([1000.0, 1000.0], dtype=mytorch.float64, requires_grad=True)

    y = x.logsumexp(dim=0)
    y.backward()

    assert y.item() == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    # 1000 + log(2) carries an absolute rounding error of about 1e-13 into the gradient.
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5], rtol=1e-12)


def test_logsumexp_of_negative_infinity_row():
    x = mytorch.tensor([[-np.inf, -np.inf], [0.0, 0.0]], dtype=mytorch.float64)

    with np.errstate(divide="ignore"):
        y = x.logsumexp(dim=1)

    assert y.data[0] == -np.inf
    assert y.data[1] == pytest.approx(np.log(2.0))


def test_softplus_extremes():
    x = mytorch.tensor(EXTREMES, dtype=mytorch.float64, requires_grad=True)

    y = pointwise.softplus(x, threshold=None)
    y.sum().backward()

    np.testing.assert_allclose(y.data, [0.0, np.log(2.0), 1000.0], rtol=1e-15)
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 1.0])


def test_softplus_matches_log1p_form():
    x = np.linspace(-30.0, 30.0, 13)

    y = pointwise.softplus(mytorch.tensor(x), threshold=None)

    expected = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(y.data, expected, rtol=1e-15)


def test_tanh_extremes():
    x = mytorch.tensor(EXTREMES, dtype=mytorch.float64, requires_grad=True)

    y = x.tanh()
    y.sum().backward()

    np.testing.assert_array_equal(y.data, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])


def test_exp_underflow_is_zero():
    x = mytorch.tensor([-1000.0], dtype=mytorch.float64)

    assert x.exp().item() == 0.0


def test_pow_zero_base_gradient():
    # d(x ** 2)/dx is 0 at x = 0, and torch takes d(x ** y)/dy at x = 0 as 0, so no NaN leaks out.
    x = mytorch.tensor([0.0, 3.0], dtype=mytorch.float64, requires_grad=True)
    y = mytorch.tensor([2.0, 2.0], dtype=mytorch.float64, requires_grad=True)

    (x ** y).sum().backward()

    np.testing.assert_array_equal(x.grad.data, [0.0, 6.0])
    np.testing.assert_allclose(y.grad.data, [0.0, 9.0 * np.log(3.0)], rtol=1e-15)


def test_pow_zero_exponent_gradient():
    x = mytorch.tensor([0.0, 2.0], dtype=mytorch.float64, requires_grad=True)

    (x ** 0).sum().backward()

    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
