"""The ``reduction`` argument of the losses: validation, the legacy flags and the reduce step."""

import warnings

import numpy as np

_REDUCTIONS = ("none", "mean", "sum")


def legacy_get_string(size_average, reduce, emit_warning=True):
    """Translate the deprecated ``size_average``/``reduce`` flags into a ``reduction`` string.

    Either flag left as None counts as True, as in torch: ``reduce=False`` gives ``"none"``,
    otherwise ``size_average`` picks ``"mean"`` or ``"sum"``.
    """
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        reduction = "none"
    elif size_average:
        reduction = "mean"
    else:
        reduction = "sum"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


def resolve(size_average, reduce, reduction):
    """Return the reduction to use, after the legacy flags and a check of its value."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction; "
                         "use 'none', 'mean' or 'sum'")
    return reduction


def reduce_loss(loss, reduction):
    """Apply ``reduction`` to an ndarray of per-element losses."""
    if reduction == "mean":
        # The same pairwise sum and division as ndarray.mean, without its Python wrapper.
        if not loss.size:
            return np.full((), np.nan, loss.dtype)
        return np.add.reduce(loss, axis=None) / loss.size
    if reduction == "sum":
        return np.add.reduce(loss, axis=None)
    return loss


def expand_grad(g, reduction, shape):
    """Return a reduced loss's gradient ``g`` ready to multiply the per-element gradients.

    ``mean`` shares the gradient evenly between the elements. For ``mean`` and ``sum`` the result
    is 0-d and broadcasts against the per-element terms; callers whose result could stay 0-d
    broadcast it to the input's shape.
    """
    if reduction == "mean":
        count = loss_size(shape)
        return g / count if count else g
    return g


def loss_size(shape):
    size = 1
    for n in shape:
        size *= n
    return size
