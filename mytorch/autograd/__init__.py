"""Reverse-mode automatic differentiation: grad mode switches, the engine and gradcheck."""

from mytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mytorch.autograd.gradcheck import GradcheckError, gradcheck
from mytorch.autograd.graph import Node


def backward(tensors, grad_tensors=None, retain_graph=None):
    """Run ``backward`` from each tensor, with its matching gradient from ``grad_tensors``."""
    tensors = tensors if isinstance(tensors, (tuple, list)) else (tensors,)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif not isinstance(grad_tensors, (tuple, list)):
        grad_tensors = (grad_tensors,)
    for i, (tensor, grad) in enumerate(zip(tensors, grad_tensors, strict=True)):
        keep = retain_graph if retain_graph is not None else False
        # Later roots may share nodes with earlier ones, so keep the graph until the last.
        tensor.backward(grad, retain_graph=keep or i < len(tensors) - 1)


__all__ = ["GradcheckError", "Node", "backward", "enable_grad", "gradcheck", "is_grad_enabled",
           "no_grad", "set_grad_enabled"]
