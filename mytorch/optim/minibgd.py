"""Plain mini-batch gradient descent."""

import numpy as np

from mytorch.optim.optimizer import Optimizer


class MiniBGD(Optimizer):
    r"""Mini-batch gradient descent with no momentum, decay or other options.

    .. math::
        \theta_t \leftarrow \theta_{t-1} - \gamma \, g_t

    where :math:`g_t` is ``p.grad`` (the gradient of the mini-batch loss) and :math:`\gamma` is
    ``lr``. This is mytorch's own optimizer, with no torch counterpart of the same name. It
    performs the same update as ``SGD(params, lr)`` with every option off, in fewer operations.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): the learning rate :math:`\gamma`. It is required, because no default suits every
            problem.
    """

    def __init__(self, params, lr):
        defaults = {"lr": lr}
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        lr = group["lr"]
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")

    def step(self, closure=None):
        """Update every parameter that has a gradient and return the closure's loss, if any."""
        loss = self._run_closure(closure)
        scratch = self._scratch
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                data = p.data
                # One work array per parameter, reused by every step, because a new lr * grad
                # array per step let malloc return large layers' memory to the system and fault
                # it back in. This is _scratch_arrays(p, 1)[0] written out, saving a call.
                arrays = scratch.get(p)
                if arrays is None or arrays[0].shape != data.shape or arrays[0].dtype != data.dtype:
                    arrays = scratch[p] = (np.empty_like(data),)
                update = arrays[0]
                np.multiply(grad.data, lr, out=update)
                np.subtract(data, update, out=data)
        return loss
