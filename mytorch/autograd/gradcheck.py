"""Compare analytic gradients with central finite differences, as ``torch.autograd.gradcheck``."""

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when an analytic gradient differs from the numerical one."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def _flat_output(fn, inputs):
    outputs = _as_tuple(fn(*inputs))
    return np.concatenate([np.asarray(o.data, dtype=np.float64).ravel() for o in outputs])


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    ``fn`` takes the tensors in ``inputs`` and returns a tensor or a tuple of tensors. Each input
    that requires grad is checked element by element: the numerical Jacobian column
    ``(fn(x + eps) - fn(x - eps)) / 2eps`` against the analytic one from one backward per output
    element. Inputs should be float64, because float32 round-off exceeds the default tolerances.
    Returns True, or raises :class:`GradcheckError` (returns False with ``raise_exception=False``).
    """
    from mytorch._tensor import Tensor

    inputs = _as_tuple(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")

    n_out = _flat_output(fn, inputs).size
    for position, x in enumerate(checked):
        numerical = np.zeros((x.data.size, n_out))
        if not (x.data.flags.c_contiguous and x.data.flags.writeable):
            # np.ascontiguousarray would turn a 0-d array into shape (1,).
            x.data = np.array(x.data, order="C", copy=True)
        flat = x.data.reshape(-1)  # a view, so the perturbation reaches fn
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = _flat_output(fn, inputs)
            flat[i] = original - eps
            minus = _flat_output(fn, inputs)
            flat[i] = original
            numerical[i] = (plus - minus) / (2 * eps)

        analytic = np.zeros_like(numerical)
        for j in range(n_out):
            for t in checked:
                t.grad = None
            outputs = _as_tuple(fn(*inputs))
            seeds, offset = [], 0
            for out in outputs:
                seed = np.zeros(out.data.size)
                if offset <= j < offset + out.data.size:
                    seed[j - offset] = 1.0
                seeds.append(seed.reshape(out.data.shape))
                offset += out.data.size
            for out, seed in zip(outputs, seeds, strict=True):
                if out.requires_grad and seed.any():
                    out.backward(Tensor._wrap(seed.astype(out.data.dtype)))
            if x.grad is not None:
                analytic[:, j] = x.grad.data.reshape(-1)
        for t in checked:
            t.grad = None

        if not np.allclose(analytic, numerical, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(np.abs(analytic - numerical)), analytic.shape)
            raise GradcheckError(
                f"Jacobian mismatch for input {position} (shape {x.data.shape}) at element "
                f"{worst[0]}, output {worst[1]}: numerical {numerical[worst]:.10g}, analytical "
                f"{analytic[worst]:.10g}\nnumerical:\n{numerical}\nanalytical:\n{analytic}")
    return True
