"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

import numpy as np

from mytorch._tensor import Tensor
from mytorch.optim.optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, with the options and arithmetic of ``torch.optim.SGD``.

    With learning rate :math:`\gamma`, momentum :math:`\mu`, dampening :math:`\tau` and weight
    decay :math:`\lambda`, each step does, for every parameter :math:`\theta` with a gradient:

    .. math::
        g_t &\leftarrow \nabla_\theta f_t(\theta_{t-1})
            \quad (\text{negated if maximize}) \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        b_t &\leftarrow \begin{cases} g_t & t = 1 \\
                                      \mu b_{t-1} + (1 - \tau) g_t & t > 1 \end{cases}
            \quad \text{if } \mu \ne 0 \\
        g_t &\leftarrow \begin{cases} g_t + \mu b_t & \text{if nesterov} \\
                                      b_t & \text{otherwise} \end{cases}
            \quad \text{if } \mu \ne 0 \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma g_t

    The first momentum buffer is a copy of the gradient, undamped, as in torch. ``state[p]``
    contains ``"momentum_buffer"`` (a tensor) once a step with momentum has run.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        dampening (float): dampening :math:`\tau` of the momentum. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`, added to the gradient. Default: 0.
        nesterov (bool): use Nesterov momentum, which needs momentum > 0 and zero dampening.
            Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        if group["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure=None):
        """Update every parameter that has a gradient and return the closure's loss, if any."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]

            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p.data
                grad = p.grad.data
                work = self._scratch_arrays(p, 1)[0]

                # The options that change the gradient work on a new array, never on p.grad.
                if maximize:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * param

                if momentum != 0:
                    state = self.state[p]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = np.array(grad, copy=True)
                        state["momentum_buffer"] = Tensor._wrap(buffer)
                    else:
                        buffer = buffer.data
                        buffer *= momentum
                        if dampening == 0:
                            buffer += grad
                        else:
                            np.multiply(grad, 1 - dampening, out=work)
                            buffer += work
                    if nesterov:
                        np.multiply(buffer, momentum, out=work)
                        np.add(grad, work, out=work)
                        grad = work
                    else:
                        grad = buffer

                np.multiply(grad, lr, out=work)
                np.subtract(param, work, out=param)
        return loss
