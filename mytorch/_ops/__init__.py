"""Differentiable operations, one forward and one gradient rule each.

Every operation reads its operands' ndarrays, computes the output with numpy, and hands
:func:`result` a ``backward`` closure that maps the output's gradient to one gradient per operand.
Python numbers and ndarrays may stand in for tensors; they get no gradient. Gradients may come back
in the output's broadcast shape, because the engine reduces them to each operand's shape.
"""

import numpy as np

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
    """Wrap ``data`` in a Tensor, recording a graph node if grad mode is on and an input needs it."""
    if _GradMode.enabled:
        for tensor in inputs:
            if tensor is not None and tensor.requires_grad:
                return Tensor._wrap(data, Node(name, inputs, backward))
    return Tensor._wrap(data)


def normalize_dims(dim, ndim):
    """Return ``dim`` (an int, a sequence or None for all) as a sorted tuple of non-negative axes."""
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
