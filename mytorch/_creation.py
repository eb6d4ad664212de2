"""Factories: ``tensor``, ``zeros``, ``randn``, ... with torch's dtype rules."""

import numpy as np

from mytorch import _dtype
from mytorch._random import numpy_rng
from mytorch._tensor import Tensor


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _finish(data, requires_grad):
    tensor = Tensor._wrap(data)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _float_dtype(dtype):
    return _dtype.to_numpy_dtype(dtype) or _dtype.get_default_dtype().numpy_dtype


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Copy ``data`` into a new leaf tensor.

    Without ``dtype``: Python floats become the default dtype (float32), Python ints int64, bools
    bool, and an ndarray keeps its own dtype, as in torch.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        array = np.array(data, dtype=_dtype.to_numpy_dtype(dtype))
    else:
        array = np.array(data)
        from_python = not isinstance(data, (np.ndarray, np.generic))
        if array.dtype.kind == "f" and from_python:
            array = array.astype(_dtype.get_default_dtype().numpy_dtype)
        elif array.dtype.kind in "iu" and from_python:
            array = array.astype(np.int64)
        elif array.dtype.kind not in "fiub":
            raise TypeError(f"could not convert data of type {type(data).__name__} "
                            f"(numpy dtype {array.dtype}) to a tensor; pass numbers or bools")
    _dtype.from_numpy_dtype(array.dtype)  # rejects dtypes mytorch has no name for
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares an ndarray's memory when the dtype already fits."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    same_dtype = dtype is None or _dtype.to_numpy_dtype(dtype) == getattr(data, "dtype", None)
    if isinstance(data, np.ndarray) and same_dtype:
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype)


def from_numpy(array, requires_grad=False):
    """Wrap an ndarray without copying: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return _finish(array, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(_sizes(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """Return a tensor filled with ``fill_value``, in a dtype that follows the value's type."""
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, int):
            dtype = _dtype.int64
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    return _finish(np.full(size, fill_value, dtype=_float_dtype(dtype)), requires_grad)


def zeros_like(other, dtype=None, requires_grad=False):
    return _finish(np.zeros_like(other.data, dtype=_dtype.to_numpy_dtype(dtype)), requires_grad)


def ones_like(other, dtype=None, requires_grad=False):
    return _finish(np.ones_like(other.data, dtype=_dtype.to_numpy_dtype(dtype)), requires_grad)


def full_like(other, fill_value, dtype=None, requires_grad=False):
    return _finish(np.full_like(other.data, fill_value, dtype=_dtype.to_numpy_dtype(dtype)),
                   requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from ``start`` up to but not including ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    return _finish(np.arange(start, end, step, dtype=_dtype.to_numpy_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False):
    """Samples of the standard normal distribution, drawn from ``generator`` or the default one."""
    draw = numpy_rng(generator).standard_normal(_sizes(size))
    return _finish(draw.astype(_float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False):
    """Return samples of the uniform distribution on [0, 1), drawn from ``generator``."""
    draw = numpy_rng(generator).random(_sizes(size))
    return _finish(draw.astype(_float_dtype(dtype)), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None):
    """Draw integers uniformly from ``[low, high)``, as int64 unless ``dtype`` sets another type."""
    if high is None:
        low, high = 0, low
    draw = numpy_rng(generator).integers(low, high, size=tuple(size))
    return Tensor._wrap(draw.astype(_dtype.to_numpy_dtype(dtype) or np.int64))


def randperm(n, generator=None, dtype=None):
    """Return a random permutation of ``0 .. n-1``."""
    draw = numpy_rng(generator).permutation(n)
    return Tensor._wrap(draw.astype(_dtype.to_numpy_dtype(dtype) or np.int64))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()
