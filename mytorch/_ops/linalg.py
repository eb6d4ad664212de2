"""Matrix products and their gradient rules."""

import numpy as np

from mytorch._ops import as_input, data_of, result
from mytorch._tensor import Tensor


def _needs_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


def matmul(a, b):
    """``a @ b`` with numpy's rules: 1-D operands, 2-D matrices, batches that broadcast.

    A 1-D operand acts as a row (on the left) or a column (on the right) whose added dimension is
    dropped from the result; the gradient rules put it back before multiplying.
    """
    a_data, b_data = data_of(a), data_of(b)
    try:
        out = np.matmul(a_data, b_data)
    except ValueError:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied: {np.shape(a_data)} @ "
                           f"{np.shape(b_data)}; the last dimension of the first must equal the "
                           "second-to-last of the second (the only one, if 1-D)") from None

    def backward(g):
        a2 = a_data[np.newaxis, :] if a_data.ndim == 1 else a_data  # row vector
        b2 = b_data[:, np.newaxis] if b_data.ndim == 1 else b_data  # column vector
        # The column axis goes back first: for vector @ vector, g is 0-d and has no axis -2 yet.
        g2 = g
        if b_data.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        if a_data.ndim == 1:
            g2 = np.expand_dims(g2, -2)

        grad_a = grad_b = None
        if _needs_grad(a):
            grad_a = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a_data.ndim == 1:
                grad_a = grad_a.squeeze(-2)
        if _needs_grad(b):
            grad_b = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b_data.ndim == 1:
                grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b

    return result(out, (as_input(a), as_input(b)), backward, "MmBackward0")


def linear(x, weight, bias=None):
    """``x @ weight.T + bias``, as one graph node (torch's ``addmm``).

    Shapes: ``x`` (..., in_features), ``weight`` (out_features, in_features), ``bias``
    (out_features,); the output is (..., out_features). Fusing the three steps saves two nodes per
    layer, which is most of the cost for small networks.
    """
    x_data, w_data = x.data, weight.data
    if x_data.shape[-1:] != w_data.shape[1:]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, x_data.shape))} and "
                           f"{'x'.join(map(str, w_data.shape[::-1]))})")
    out = x_data @ w_data.T
    if bias is not None:
        out += bias.data

    def backward(g):
        grad_x = g @ w_data if x.requires_grad else None
        # Batch dimensions beyond the first fold into one, so one product covers them all.
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        grad_w = grad_b = None
        if weight.requires_grad:
            x2 = x_data if x_data.ndim == 2 else x_data.reshape(-1, x_data.shape[-1])
            grad_w = g2.T @ x2
        if bias is not None and bias.requires_grad:
            grad_b = np.add.reduce(g2, axis=0)
        return grad_x, grad_w, grad_b

    return result(out, (x, weight, bias), backward, "AddmmBackward0")
