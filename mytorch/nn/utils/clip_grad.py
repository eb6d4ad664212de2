"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``."""

import numpy as np

from mytorch._tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of the vector of every gradient element. When it
    exceeds ``max_norm``, each gradient is multiplied by ``max_norm / (norm + 1e-6)`` in place, as
    in torch. Returns the joint norm before clipping, as a 0-d tensor.
    """
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.zeros((), dtype=np.float32))
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coefficient
    return Tensor._wrap(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
