"""The operations as ``mytorch.*`` functions, as in ``torch.exp(x)`` or ``torch.cat([a, b])``."""

import builtins as _builtins
import types as _types

import numpy as _np

from mytorch._ops import data_of as _data_of
from mytorch._ops import linalg, pointwise, reduction, shape
from mytorch._tensor import Tensor as _Tensor

mul = multiply = pointwise.mul
div = divide = true_divide = pointwise.div
pow = pointwise.pow  # noqa: A001 - torch's name
neg = negative = pointwise.neg
exp = pointwise.exp
log = pointwise.log
sin = pointwise.sin
cos = pointwise.cos
remainder = pointwise.remainder
floor_divide = pointwise.floor_divide
masked_fill = pointwise.masked_fill
log1p = pointwise.log1p
sqrt = pointwise.sqrt
abs = pointwise.abs  # noqa: A001 - torch's name
round = pointwise.round  # noqa: A001 - torch's name
clamp = clip = pointwise.clamp
maximum = pointwise.maximum
minimum = pointwise.minimum
tanh = pointwise.tanh
sigmoid = pointwise.sigmoid
relu = pointwise.relu
clone = pointwise.clone
eq = pointwise.eq
ne = pointwise.ne
lt = pointwise.lt
le = pointwise.le
gt = pointwise.gt
ge = pointwise.ge
logical_not = pointwise.logical_not

sum = reduction.sum  # noqa: A001 - torch's name
mean = reduction.mean
var = reduction.var
max = reduction.max  # noqa: A001 - torch's name
min = reduction.min  # noqa: A001 - torch's name
amax = reduction.amax
amin = reduction.amin
argmax = reduction.argmax
argmin = reduction.argmin
softmax = reduction.softmax
log_softmax = reduction.log_softmax
logsumexp = reduction.logsumexp
norm = reduction.norm

reshape = shape.reshape
flatten = shape.flatten
squeeze = shape.squeeze
unsqueeze = shape.unsqueeze
transpose = swapaxes = shape.transpose
permute = shape.permute
cat = concat = concatenate = shape.cat
stack = shape.stack

matmul = linalg.matmul
mm = linalg.matmul


def add(input, other, *, alpha=1):  # noqa: A002 - torch's argument names
    """Return ``input + alpha * other``."""
    return pointwise.add(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):  # noqa: A002 - torch's argument names
    """Return ``input - alpha * other``."""
    return pointwise.sub(input, other if alpha == 1 else other * alpha)


subtract = sub


def where(condition, input, other):  # noqa: A002 - torch's argument names
    return pointwise.where(condition, input, other)


def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):  # noqa: A002
    return reduction.var(input, dim, unbiased, keepdim, correction=correction) ** 0.5


def equal(a, b):
    return a.equal(b)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _builtins.bool(_np.allclose(_data_of(a), _data_of(b), rtol, atol, equal_nan))


def isnan(a):
    return _Tensor._wrap(_np.isnan(a.data))


def isinf(a):
    return _Tensor._wrap(_np.isinf(a.data))


def isfinite(a):
    return _Tensor._wrap(_np.isfinite(a.data))


__all__ = [name for name, value in globals().items()
           if not name.startswith("_") and not isinstance(value, _types.ModuleType)]
