"""Stateless versions of the layers and losses, as ``torch.nn.functional``.

Functions that take ``inplace=`` accept it for compatibility but always return a new tensor,
because mytorch records no in-place operations in the graph.
"""

import numpy as np

from mytorch._ops import linalg, pointwise, reduction, result
from mytorch._random import numpy_rng
from mytorch._tensor import Tensor
from mytorch.nn._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)


def linear(input, weight, bias=None):  # noqa: A002 - torch's argument name
    """Apply ``y = x Wᵀ + b``.

    Shapes: ``input`` (*, in_features), ``weight`` (out_features, in_features), ``bias``
    (out_features,) or None; the output is (*, out_features).
    """
    return linalg.linear(input, weight, bias)


def relu(input, inplace=False):  # noqa: A002
    """Apply ``max(x, 0)`` element-wise; the gradient at 0 is 0."""
    return pointwise.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """Apply ``x`` where ``x > 0`` and ``negative_slope·x`` elsewhere."""
    return pointwise.leaky_relu(input, negative_slope)


def gelu(input, approximate="none"):  # noqa: A002
    """Apply ``x·Φ(x)`` (Φ the standard normal CDF), or its tanh approximation."""
    return pointwise.gelu(input, approximate)


def sigmoid(input):  # noqa: A002
    """Apply ``1 / (1 + exp(-x))`` element-wise."""
    return pointwise.sigmoid(input)


def tanh(input):  # noqa: A002
    """Apply the hyperbolic tangent element-wise."""
    return pointwise.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """Apply ``log(1 + exp(β·x)) / β``, or ``x`` where ``β·x > threshold``."""
    return pointwise.softplus(input, beta, threshold)


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """Apply ``exp(x_i) / Σ_j exp(x_j)`` along ``dim``, after casting to ``dtype`` if given."""
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    return reduction.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """Apply ``x_i - log Σ_j exp(x_j)`` along ``dim``, after casting to ``dtype`` if given."""
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    return reduction.log_softmax(input, dim)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The mask is drawn from the default generator (seed it with ``mytorch.manual_seed``), so the
    mask differs from torch's for the same seed. With ``training=False`` or ``p=0`` the input is
    returned unchanged.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input

    x = input.data
    if p == 1.0:
        keep = np.zeros(x.shape, dtype=x.dtype)
    else:
        keep = (numpy_rng().random(x.shape) >= p).astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return result(x * keep, (input,), lambda g: (g * keep,), "MulBackward0")


def one_hot(tensor, num_classes=-1):
    """Return int64 one-hot rows: shape ``tensor.shape + (num_classes,)``.

    ``num_classes=-1`` uses ``max(tensor) + 1``. Any integer dtype is accepted (torch takes only
    int64).
    """
    indices = tensor.data
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of an integer dtype, got "
                           f"{tensor.dtype}; convert it with .long()")
    if indices.size and indices.min() < 0:
        raise RuntimeError(f"Class values must be non-negative, got {indices.min()}")
    if num_classes == -1:
        if indices.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor; "
                               "pass num_classes")
        num_classes = int(indices.max()) + 1
    elif indices.size and indices.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}), "
                           f"got {indices.max()}")
    out = (indices[..., np.newaxis] == np.arange(num_classes)).astype(np.int64)
    return Tensor._wrap(out)


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "gelu",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]
