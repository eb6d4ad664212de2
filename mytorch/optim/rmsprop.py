"""RMSprop, with optional centering and momentum."""

import numpy as np

from mytorch._tensor import Tensor
from mytorch.optim.optimizer import Optimizer, lerp_


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with the options and arithmetic of ``torch.optim.RMSprop``.

    With learning rate :math:`\gamma`, smoothing constant :math:`\alpha`, epsilon
    :math:`\epsilon`, weight decay :math:`\lambda` and momentum :math:`\mu`, each step does, for
    every parameter :math:`\theta` with a gradient:

    .. math::
        g_t &\leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (\text{negated if maximize}) \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        v_t &\leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \tilde v_t &\leftarrow \begin{cases}
            v_t - \bar g_t^2, \quad \bar g_t \leftarrow \bar g_{t-1} + (1 - \alpha)
                (g_t - \bar g_{t-1}) & \text{if centered} \\
            v_t & \text{otherwise} \end{cases} \\
        b_t &\leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon)
            \quad \text{then} \quad \theta_t \leftarrow \theta_{t-1} - \gamma b_t
            \quad \text{if } \mu > 0 \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon)
            \quad \text{otherwise}

    with :math:`v_0 = \bar g_0 = b_0 = 0`. ``state[p]`` contains ``"step"`` (a float),
    ``"square_avg"`` (:math:`v`), and ``"momentum_buffer"`` (:math:`b`) if momentum > 0 and
    ``"grad_avg"`` (:math:`\bar g`) if centered.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        alpha (float): smoothing constant :math:`\alpha`. Default: 0.99.
        eps (float): :math:`\epsilon`, added to the denominator. Default: 1e-8.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        momentum (float): momentum factor :math:`\mu`. Default: 0.
        centered (bool): normalize by an estimate of the gradient's variance instead of its
            second moment. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        if not 0.0 <= group["lr"]:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["eps"]:
            raise ValueError(f"Invalid epsilon value: {group['eps']}")
        if not 0.0 <= group["momentum"]:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if not 0.0 <= group["weight_decay"]:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if not 0.0 <= group["alpha"]:
            raise ValueError(f"Invalid alpha value: {group['alpha']}")

    def step(self, closure=None):
        """Update every parameter that has a gradient and return the closure's loss, if any."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            buffer_fills = {"square_avg": 0.0}
            if group["momentum"] > 0:
                buffer_fills["momentum_buffer"] = 0.0
            if group["centered"]:
                buffer_fills["grad_avg"] = 0.0

            flat = self._flat_group(group, params, buffer_fills, 2)
            if flat is not None:
                for p in flat.params:
                    self.state[p]["step"] += 1.0
                flat.gather()
                buffers = flat.buffers
                _rmsprop_update(group, flat.param, flat.grad, buffers["square_avg"],
                                buffers.get("momentum_buffer"), buffers.get("grad_avg"),
                                *flat.work)
                flat.scatter()
                continue

            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    for name in buffer_fills:
                        state[name] = Tensor._wrap(np.zeros_like(p.data))
                state["step"] += 1.0
                momentum_buffer = state["momentum_buffer"].data if group["momentum"] > 0 else None
                grad_avg = state["grad_avg"].data if group["centered"] else None
                _rmsprop_update(group, p.data, p.grad.data, state["square_avg"].data,
                                momentum_buffer, grad_avg, *self._scratch_arrays(p, 2))
        return loss


def _rmsprop_update(group, param, grad, square_avg, momentum_buffer, grad_avg, work, avg):
    """Apply one RMSprop step to the array ``param`` and the buffers, in place.

    ``momentum_buffer`` is None without momentum and ``grad_avg`` None unless centered. ``work``
    and ``avg`` are scratch arrays shaped like ``param``. ``grad`` is only read.
    """
    lr = group["lr"]
    alpha = group["alpha"]
    eps = group["eps"]
    weight_decay = group["weight_decay"]

    if group["maximize"]:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param

    square_avg *= alpha
    np.multiply(grad, 1 - alpha, out=work)
    work *= grad
    square_avg += work

    if grad_avg is not None:
        lerp_(grad_avg, grad, 1 - alpha, work)
        np.multiply(grad_avg, grad_avg, out=work)
        np.subtract(square_avg, work, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    avg += eps

    if momentum_buffer is not None:
        momentum_buffer *= group["momentum"]
        np.divide(grad, avg, out=work)
        momentum_buffer += work
        np.multiply(momentum_buffer, lr, out=work)
    else:
        np.multiply(grad, lr, out=work)
        work /= avg
    param -= work
