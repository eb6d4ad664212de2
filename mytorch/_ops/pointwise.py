"""Element-wise operations and their gradient rules."""

import math

import numpy as np

from mytorch import _dtype
from mytorch._ops import as_input, data_of, float_data, promote, result, result_dtype
from mytorch._tensor import Tensor

# ------------------------------------------------------------------ arithmetic


def add(a, b):
    return result(promote(data_of(a) + data_of(b), a, b), (as_input(a), as_input(b)),
                  lambda g: (g, g), "AddBackward0")


def sub(a, b):
    return result(promote(data_of(a) - data_of(b), a, b), (as_input(a), as_input(b)),
                  lambda g: (g, -g), "SubBackward0")


def mul(a, b):
    a_data, b_data = data_of(a), data_of(b)
    return result(promote(a_data * b_data, a, b), (as_input(a), as_input(b)),
                  lambda g: (g * b_data, g * a_data), "MulBackward0")


def div(a, b):
    a_data, b_data = data_of(a), data_of(b)
    out = a_data / b_data
    out_dtype = out.dtype
    if (isinstance(a, Tensor) and a_data.dtype is not out_dtype) or \
            (isinstance(b, Tensor) and b_data.dtype is not out_dtype):
        torch_dtype = result_dtype(a, b)
        if torch_dtype.kind != "f":
            torch_dtype = _dtype.get_default_dtype().numpy_dtype  # torch: int / int is a float
        out = out.astype(torch_dtype, copy=False)

    def backward(g):
        grad_b = -g * out / b_data if isinstance(b, Tensor) and b.requires_grad else None
        return g / b_data, grad_b

    return result(out, (as_input(a), as_input(b)), backward, "DivBackward0")


def pow(a, b):  # noqa: A001 - torch's name
    """``a ** b``. The gradient of ``a`` is 0 where ``b == 0``; that of ``b`` is 0 where ``a == 0``.

    Both conventions are torch's: they keep ``0 * inf`` out of the gradient.
    """
    a_data, b_data = data_of(a), data_of(b)
    out = promote(np.asarray(a_data ** b_data), a, b)

    def backward(g):
        grad_a = grad_b = None
        if isinstance(a, Tensor) and a.requires_grad:
            if np.ndim(b_data) == 0 and b_data == 0:
                grad_a = np.zeros_like(g)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    grad_a = np.where(b_data == 0, 0.0, g * b_data * a_data ** (b_data - 1))
                grad_a = grad_a.astype(g.dtype, copy=False)
        if isinstance(b, Tensor) and b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                # 0 * log(0) is NaN, but np.where replaces it where a == 0.
                grad_b = g * np.where((a_data == 0) & (b_data >= 0), 0.0, out * np.log(a_data))
        return grad_a, grad_b

    return result(out, (as_input(a), as_input(b)), backward, "PowBackward0")


def remainder(a, b):
    """``a - floor(a / b) * b``, with the sign of ``b`` as Python's ``%`` and torch's."""
    a_data, b_data = data_of(a), data_of(b)
    out = promote(np.asarray(np.remainder(a_data, b_data)), a, b)

    def backward(g):
        grad_b = None
        if isinstance(b, Tensor) and b.requires_grad:
            grad_b = -g * np.floor_divide(a_data, b_data)
        return g, grad_b

    return result(out, (as_input(a), as_input(b)), backward, "RemainderBackward0")


def floor_divide(a, b):
    """``floor(a / b)``. It records no graph: torch defines no derivative for it."""
    return Tensor._wrap(promote(np.asarray(np.floor_divide(data_of(a), data_of(b))), a, b))


def neg(a):
    return result(-a.data, (a,), lambda g: (-g,), "NegBackward0")


def clone(a):
    return result(a.data.copy(), (a,), lambda g: (g,), "CloneBackward0")


def cast(a, numpy_dtype):
    """Convert to another dtype; the gradient flows back in the source dtype."""
    source = a.data.dtype
    inputs = (a,) if np.dtype(numpy_dtype).kind == "f" else (None,)
    return result(a.data.astype(numpy_dtype), inputs, lambda g: (g.astype(source),),
                  "ToCopyBackward0")


# ------------------------------------------------------------------ math functions


def exp(a):
    with np.errstate(under="ignore"):
        out = np.exp(float_data(a))
    return result(out, (a,), lambda g: (g * out,), "ExpBackward0")


def sin(a):
    x = float_data(a)
    return result(np.sin(x), (a,), lambda g: (g * np.cos(x),), "SinBackward0")


def cos(a):
    x = float_data(a)
    return result(np.cos(x), (a,), lambda g: (-g * np.sin(x),), "CosBackward0")


def log(a):
    x = float_data(a)
    return result(np.log(x), (a,), lambda g: (g / x,), "LogBackward0")


def log1p(a):
    x = float_data(a)
    return result(np.log1p(x), (a,), lambda g: (g / (1 + x),), "Log1PBackward0")


def sqrt(a):
    out = np.sqrt(float_data(a))
    return result(out, (a,), lambda g: (g / (2 * out),), "SqrtBackward0")


def round(a, decimals=0):  # noqa: A001 - torch's name
    """Round half to even, as torch and numpy do; the gradient is zero everywhere, as in torch."""
    out = np.round(a.data, decimals)
    return result(out, (a,), lambda g: (np.zeros_like(g),), "RoundBackward0")


def abs(a):  # noqa: A001 - torch's name
    x = a.data
    return result(np.abs(x), (a,), lambda g: (g * np.sign(x),), "AbsBackward0")


def clamp(a, min=None, max=None):  # noqa: A002 - torch's argument names
    """Limit values to ``[min, max]``, which may be numbers or tensors that broadcast with ``a``.

    As in torch, ``a`` gets the gradient where ``min <= a <= max``, a tensor ``min`` where
    ``a < min < max``, and a tensor ``max`` where ``a > max`` or ``max < min`` (the result is
    ``max`` there, because the upper bound applies last).
    """
    x = a.data
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    low, high = data_of(min), data_of(max)
    out = np.clip(x, low, high).astype(result_dtype(a, min, max), copy=False)

    def backward(g):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        grad_low = grad_high = None
        if isinstance(min, Tensor) and min.requires_grad:
            below = x < low if high is None else (x < low) & (low < high)
            grad_low = g * below
        if isinstance(max, Tensor) and max.requires_grad:
            above = x > high if low is None else (x > high) | (high < low)
            grad_high = g * above
        return g * inside, grad_low, grad_high

    return result(out, (a, as_input(min), as_input(max)), backward, "ClampBackward1")


def maximum(a, b):
    """Element-wise maximum; at ties each operand gets half the gradient, as in torch."""
    a_data, b_data = data_of(a), data_of(b)
    out = promote(np.maximum(a_data, b_data), a, b)

    def backward(g):
        share = (a_data > b_data) + 0.5 * (a_data == b_data)
        return g * share, g * (1 - share)

    return result(out, (as_input(a), as_input(b)), backward, "MaximumBackward0")


def minimum(a, b):
    """Element-wise minimum; at ties each operand gets half the gradient, as in torch."""
    a_data, b_data = data_of(a), data_of(b)
    out = promote(np.minimum(a_data, b_data), a, b)

    def backward(g):
        share = (a_data < b_data) + 0.5 * (a_data == b_data)
        return g * share, g * (1 - share)

    return result(out, (as_input(a), as_input(b)), backward, "MinimumBackward0")


def where(condition, a, b):
    """Pick ``a`` where ``condition`` is true, else ``b``. Each gets the gradient where picked."""
    mask = data_of(condition).astype(bool, copy=False)
    out = np.where(mask, data_of(a), data_of(b)).astype(result_dtype(a, b), copy=False)

    def backward(g):
        zero = np.zeros((), dtype=g.dtype)
        return None, np.where(mask, g, zero), np.where(mask, zero, g)

    return result(out, (None, as_input(a), as_input(b)), backward, "WhereBackward0")


def masked_fill(a, mask, value):
    """Return ``a`` with ``value`` (a number or 0-d tensor) wherever ``mask`` is true."""
    mask_data = data_of(mask)
    if mask_data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                           f"{mask_data.dtype}; pass mask.bool()")
    x = a.data
    out = np.where(mask_data, np.asarray(data_of(value), dtype=x.dtype), x)

    def backward(g):
        zero = np.zeros((), dtype=g.dtype)
        grad_value = None
        if isinstance(value, Tensor) and value.requires_grad:
            grad_value = np.where(mask_data, g, zero).sum()
        return np.where(mask_data, zero, g), grad_value

    return result(out, (a, as_input(value)), backward, "MaskedFillBackward0")


# ------------------------------------------------------------------ activations


def tanh(a):
    out = np.tanh(float_data(a))
    return result(out, (a,), lambda g: (g * (1 - out * out),), "TanhBackward0")


def _exp_minus_abs(x):
    # exp(-|x|) never overflows, and its underflow to 0 for |x| > ~745 (float64) gives the exact
    # limits 0 and 1 of sigmoid.
    with np.errstate(under="ignore"):
        return np.exp(-np.abs(x))


def _stable_sigmoid(x, exp_minus_abs=None):
    """Return sigmoid(x), given exp(-|x|) if the caller has it already."""
    e = _exp_minus_abs(x) if exp_minus_abs is None else exp_minus_abs
    reciprocal = 1 / (1 + e)
    return np.where(x >= 0, reciprocal, e * reciprocal)


def sigmoid(a):
    """``1 / (1 + exp(-x))``, computed without overflow: exactly 0, 0.5 and 1 at -1000, 0, 1000."""
    out = _stable_sigmoid(float_data(a))
    return result(out, (a,), lambda g: (g * out * (1 - out),), "SigmoidBackward0")


def relu(a):
    x = a.data
    return result(np.maximum(x, 0), (a,), lambda g: (g * (x > 0),), "ReluBackward0")


def leaky_relu(a, negative_slope=0.01):
    x = a.data
    positive = x > 0
    out = np.where(positive, x, x * negative_slope)
    return result(out, (a,), lambda g: (np.where(positive, g, g * negative_slope),),
                  "LeakyReluBackward0")


def softplus(a, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta·x)) / beta``, linear where ``beta·x > threshold`` as in torch.

    Computed as ``max(z, 0) + log1p(exp(-|z|))`` with ``z = beta·x``, which never overflows.
    ``threshold=None`` turns the linear cut-off off (the losses use that exact form).
    """
    x = float_data(a)
    z = x * beta if beta != 1 else x
    e = _exp_minus_abs(z)
    out = np.maximum(z, 0) + np.log1p(e)
    if beta != 1:
        out /= beta
    linear = None if threshold is None else z > threshold
    if linear is not None:
        out = np.where(linear, x, out)

    def backward(g):
        grad = g * _stable_sigmoid(z, e)
        return (grad if linear is None else np.where(linear, g, grad),)

    return result(out, (a,), backward, "SoftplusBackward0")


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(a, approximate="none"):
    """``x·Φ(x)`` with Φ the standard normal CDF, or torch's tanh approximation of it."""
    x = float_data(a)
    if approximate == "none":
        # np.asarray, because the ufunc returns a bare Python float for a 0-d input.
        cdf = np.asarray(0.5 * (1.0 + _erf(x / math.sqrt(2.0))), dtype=x.dtype)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        out = x * cdf

        def backward(g):
            return (g * (cdf + x * pdf),)
    elif approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        inner = k * (x + 0.044715 * x ** 3)
        t = np.tanh(inner)
        out = 0.5 * x * (1 + t)

        def backward(g):
            d_inner = k * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner),)
    else:
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return result(out, (a,), backward, "GeluBackward0")


# ------------------------------------------------------------------ comparisons (no gradient)


def eq(a, b):
    return Tensor._wrap(np.equal(data_of(a), data_of(b)))


def ne(a, b):
    return Tensor._wrap(np.not_equal(data_of(a), data_of(b)))


def lt(a, b):
    return Tensor._wrap(np.less(data_of(a), data_of(b)))


def le(a, b):
    return Tensor._wrap(np.less_equal(data_of(a), data_of(b)))


def gt(a, b):
    return Tensor._wrap(np.greater(data_of(a), data_of(b)))


def ge(a, b):
    return Tensor._wrap(np.greater_equal(data_of(a), data_of(b)))


def logical_not(a):
    return Tensor._wrap(np.logical_not(a.data) if a.data.dtype == bool else ~a.data)
