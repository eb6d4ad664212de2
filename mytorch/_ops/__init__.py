"""Differentiable operations, one forward and one gradient rule each.

Every operation reads its operands' ndarrays, computes the output with numpy, and hands
:func:`result` a ``backward`` closure that maps the output's gradient to one gradient per operand.
Python numbers and ndarrays may stand in for tensors; they get no gradient. Gradients may come back
in the output's broadcast shape, because the engine reduces them to each operand's shape.
"""

import builtins

import numpy as np

from mytorch import _dtype
from mytorch._tensor import Tensor
from mytorch.autograd.grad_mode import _GradMode
from mytorch.autograd.graph import Node


def data_of(x):
    """Return a tensor's ndarray; pass Python numbers and arrays through unchanged."""
    return x.data if isinstance(x, Tensor) else x


def as_input(x):
    """Return ``x`` if it is a tensor that may need a gradient, else None."""
    return x if isinstance(x, Tensor) else None


def result(data, inputs, backward, name):
    """Wrap ``data`` in a Tensor, with a graph node if grad is enabled and an input requires it."""
    if _GradMode.enabled:
        for tensor in inputs:
            if tensor is not None and tensor.requires_grad:
                return Tensor._wrap(data, Node(name, inputs, backward))
    return Tensor._wrap(data)


# Torch promotes across the categories bool < integer < floating point.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(*operands):
    """Return the numpy dtype torch's type promotion gives ``operands``.

    Dimensioned tensors decide the dtype, unless a 0-d tensor or a scalar (a Python or numpy
    number) is of a higher category (bool < integer < floating point). A higher-category 0-d
    tensor then decides, and a higher-category scalar gives the default float dtype or int64.
    NumPy differs in these cases: it gives float64 for ``int64 + float32`` arrays and for an
    integer array times a Python float, where torch gives float32.
    """
    dimensioned, zero_dim, scalar_categories = [], [], []
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor):
            x = x.data
        if isinstance(x, np.ndarray):
            (dimensioned if x.ndim else zero_dim).append(x.dtype)
        else:
            scalar_categories.append(_CATEGORY[np.asarray(x).dtype.kind])

    top = builtins.max([_CATEGORY[d.kind] for d in dimensioned + zero_dim] + scalar_categories)
    for group in (dimensioned, zero_dim):
        members = [d for d in group if _CATEGORY[d.kind] == top]
        if members:
            return np.result_type(*members)
    if top >= 2:
        return _dtype.get_default_dtype().numpy_dtype
    return np.dtype(np.int64) if top == 1 else np.dtype(np.bool_)


def promote(out, a, b):
    """Cast ``out``, numpy's result of an operation on ``a`` and ``b``, to torch's result dtype.

    The check up front is the common case (every tensor operand already has ``out``'s dtype,
    where numpy and torch agree), so it costs two attribute reads per operation.
    """
    out_dtype = out.dtype
    if (not isinstance(a, Tensor) or a.data.dtype is out_dtype) and \
            (not isinstance(b, Tensor) or b.data.dtype is out_dtype):
        return out
    torch_dtype = result_dtype(a, b)
    return out if torch_dtype == out_dtype else out.astype(torch_dtype)


def float_data(a):
    """Return a tensor's ndarray, converted to the default float dtype if it is not floating."""
    x = a.data
    if x.dtype.kind == "f":
        return x
    return x.astype(_dtype.get_default_dtype().numpy_dtype)


def normalize_dims(dim, ndim):
    """Return ``dim`` (an int, a sequence or None for all) as sorted non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
        axes.append(d % ndim if ndim else 0)
    return tuple(sorted(axes))


from mytorch._ops import linalg, pointwise, reduction, shape  # noqa: E402, F401
