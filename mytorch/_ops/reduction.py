"""Reductions (sum, mean, max, ...) and the normalisations along a dimension (softmax, ...)."""

import builtins
import warnings
from collections import namedtuple

import numpy as np

from mytorch._ops import float_data, normalize_dims, pointwise, result
from mytorch._tensor import Tensor

# What ``max(dim=...)`` and ``min(dim=...)`` return, unpackable as ``values, indices``.
return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


def _keep_reduced_dims(g, axes, keepdim, shape):
    """Give the gradient of a reduction back the reduced axes as size 1, ready to broadcast."""
    if keepdim or len(axes) == len(shape):
        return g  # already shaped to broadcast, or 0-d
    return g.reshape(tuple(1 if i in axes else size for i, size in enumerate(shape)))


def _spread(g, shape):
    # A new writable array rather than np.broadcast_to, which costs three times as long for the
    # small arrays where per-operation time matters.
    grad = np.empty(shape, dtype=g.dtype)
    grad[...] = g
    return grad


def sum(a, dim=None, keepdim=False):  # noqa: A001 - torch's name
    x = a.data
    axes = normalize_dims(dim, x.ndim)
    if x.dtype.kind == "f":
        out = np.add.reduce(x, axis=axes, keepdims=keepdim)
    else:
        # ndarray.sum widens small integers and bools to int64, as torch does.
        out = x.sum(axis=axes, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)

    def backward(g):
        return (_spread(_keep_reduced_dims(g, axes, keepdim, x.shape), x.shape),)

    return result(out, (a,), backward, "SumBackward1" if dim is not None else "SumBackward0")


def mean(a, dim=None, keepdim=False):
    x = a.data
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {a.dtype}; use .float() first")
    axes = normalize_dims(dim, x.ndim)
    count = 1
    for axis in axes:
        count *= x.shape[axis]
    if x.dtype == np.float16:
        out = x.mean(axis=axes, keepdims=keepdim)  # accumulates in float32
    else:
        out = np.add.reduce(x, axis=axes, keepdims=keepdim) / count

    def backward(g):
        return (_spread(_keep_reduced_dims(g, axes, keepdim, x.shape) / count, x.shape),)

    return result(out, (a,), backward, "MeanBackward1" if dim is not None else "MeanBackward0")


def var(a, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance with ``correction`` (default 1, Bessel's) subtracted from the count, as in torch."""
    if correction is None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, a.ndim)
    count = int(np.prod([a.shape[i] for i in axes]))
    centred = a - mean(a, axes, keepdim=True)
    return sum(centred * centred, axes, keepdim) / builtins.max(count - correction, 0)


def _extreme(a, dim, keepdim, pick, arg_pick, name):
    x = a.data
    if dim is None:
        # A full reduction shares the gradient evenly between tied extremes, as torch does.
        out = pick(x)

        def backward(g):
            ties = x == out
            return (g * ties / ties.sum(),)

        return result(out, (a,), backward, name + "Backward1")

    axis = normalize_dims(dim, x.ndim)[0] if x.ndim else None
    if axis is None:
        return a.clone(), Tensor._wrap(np.zeros((), dtype=np.int64))
    index = np.expand_dims(arg_pick(x, axis=axis), axis)
    values = np.take_along_axis(x, index, axis=axis)
    if not keepdim:
        values, index_out = values.squeeze(axis), index.squeeze(axis)
    else:
        index_out = index

    def backward(g):
        grad = np.zeros(x.shape, dtype=g.dtype)
        np.put_along_axis(grad, index, g if keepdim else np.expand_dims(g, axis), axis=axis)
        return (grad,)

    values = result(values, (a,), backward, name + "Backward0")
    return values, Tensor._wrap(index_out.astype(np.int64))


def max(a, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Return the maximum of all elements, ``(values, indices)`` along ``dim``, or ``maximum``.

    A tensor in place of ``dim`` makes this the element-wise ``maximum(a, other)``.
    """
    if isinstance(dim, Tensor):
        return pointwise.maximum(a, dim)
    out = _extreme(a, dim, keepdim, np.max, np.argmax, "Max")
    return out if dim is None else return_types_max(*out)


def min(a, dim=None, keepdim=False):  # noqa: A001 - torch's name
    """Return the minimum of all elements, ``(values, indices)`` along ``dim``, or ``minimum``.

    A tensor in place of ``dim`` makes this the element-wise ``minimum(a, other)``.
    """
    if isinstance(dim, Tensor):
        return pointwise.minimum(a, dim)
    out = _extreme(a, dim, keepdim, np.min, np.argmin, "Min")
    return out if dim is None else return_types_min(*out)


def _amax_amin(a, dim, keepdim, pick, name):
    x = a.data
    axes = normalize_dims(dim if dim != () else None, x.ndim)
    out = pick(x, axis=axes, keepdims=True)

    def backward(g):
        ties = x == out
        kept_g = _keep_reduced_dims(g, axes, keepdim, x.shape)
        return (kept_g * ties / ties.sum(axis=axes, keepdims=True),)

    return result(out if keepdim else out.squeeze(axes), (a,), backward, name)


def amax(a, dim=(), keepdim=False):
    """Maximum over ``dim`` (all by default); ties share the gradient evenly."""
    return _amax_amin(a, dim, keepdim, np.max, "AmaxBackward0")


def amin(a, dim=(), keepdim=False):
    """Minimum over ``dim`` (all by default); ties share the gradient evenly."""
    return _amax_amin(a, dim, keepdim, np.min, "AminBackward0")


def argmax(a, dim=None, keepdim=False):
    x = a.data
    if dim is None:
        out = np.asarray(np.argmax(x))
        return Tensor._wrap(out.reshape((1,) * x.ndim) if keepdim else out)
    return Tensor._wrap(np.argmax(x, axis=dim, keepdims=keepdim).astype(np.int64))


def argmin(a, dim=None, keepdim=False):
    x = a.data
    if dim is None:
        out = np.asarray(np.argmin(x))
        return Tensor._wrap(out.reshape((1,) * x.ndim) if keepdim else out)
    return Tensor._wrap(np.argmin(x, axis=dim, keepdims=keepdim).astype(np.int64))


# ------------------------------------------------------------------ along one dimension


def _softmax_dim(dim, ndim, name):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _max_keepdims(x, axis):
    """Return ``x.max(axis=axis, keepdims=True)``.

    numpy runs one short inner loop per row to reduce along the last axis, so for short rows
    it takes the maximum down the columns of a transposed copy instead: for 128 rows of 10
    float32 values that is 2 us against 8 us (numpy 2.4, benchmarks/README.md's machine). A
    maximum is exact in any order, so the values are the same. Above about 100 columns the copy
    costs more than it saves.
    """
    if x.ndim == 2 and axis in (1, -1) and x.shape[1] <= 32:
        return np.ascontiguousarray(x.T).max(axis=0)[:, np.newaxis]
    return x.max(axis=axis, keepdims=True)


def _shifted(x, axis):
    # Subtracting the maximum keeps exp() from overflowing; a row of -inf stays -inf, not NaN.
    peak = _max_keepdims(x, axis)
    if not np.isfinite(peak).all():
        peak = np.where(np.isfinite(peak), peak, 0)
    with np.errstate(over="ignore"):
        # Only a value more than the dtype's max below the peak overflows, to -inf: its exact
        # log-probability rounds there too.
        return x - peak


def softmax(a, dim=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, computed on ``x - max`` so it never overflows."""
    x = float_data(a)
    axis = _softmax_dim(dim, x.ndim, "softmax")
    with np.errstate(under="ignore"):
        e = np.exp(_shifted(x, axis))
    out = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return result(out, (a,), backward, "SoftmaxBackward0")


def log_softmax(a, dim=None):
    """``x - logsumexp(x)`` along ``dim``, shifted by the row maximum."""
    x = float_data(a)
    axis = _softmax_dim(dim, x.ndim, "log_softmax")
    shifted = _shifted(x, axis)
    with np.errstate(under="ignore", divide="ignore"):
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        with np.errstate(under="ignore"):
            return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return result(out, (a,), backward, "LogSoftmaxBackward0")


def logsumexp(a, dim, keepdim=False):
    """``log(sum(exp(x)))`` over ``dim``, shifted by the maximum so it never overflows."""
    x = float_data(a)
    axes = normalize_dims(dim, x.ndim)
    peak = x.max(axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    with np.errstate(under="ignore", divide="ignore"):
        kept = np.log(np.exp(x - peak).sum(axis=axes, keepdims=True)) + peak

    def backward(g):
        with np.errstate(under="ignore"):
            return (_keep_reduced_dims(g, axes, keepdim, x.shape) * np.exp(x - kept),)

    return result(kept if keepdim else kept.squeeze(axes), (a,), backward, "LogsumexpBackward0")


def norm(a, p="fro", dim=None, keepdim=False):
    """Return the vector ``p``-norm over ``dim`` (all elements by default), as ``torch.norm``.

    ``p`` is ``"fro"`` or 2 (Euclidean), 1, ``inf``, ``-inf`` or any other number. The gradient at
    a zero vector is 0, as in torch, rather than the NaN the formula gives.
    """
    if p in ("fro", 2, 2.0):
        x = a.data
        axes = normalize_dims(dim, x.ndim)
        kept = np.sqrt(np.add.reduce(x * x, axis=axes, keepdims=True))

        def backward(g):
            with np.errstate(invalid="ignore", divide="ignore"):
                grad = x * _keep_reduced_dims(g, axes, keepdim, x.shape) / kept
            return (np.where(kept == 0, 0, grad),)

        return result(kept if keepdim else kept.squeeze(axes), (a,), backward,
                      "LinalgVectorNormBackward0")
    magnitude = pointwise.abs(a)
    if p == 1:
        return sum(magnitude, dim, keepdim)
    if p == float("inf"):
        return amax(magnitude, dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(magnitude, dim if dim is not None else (), keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported p={p!r}; use 'fro' or a number")
    return sum(magnitude ** p, dim, keepdim) ** (1.0 / p)
