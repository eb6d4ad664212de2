"""Adagrad, with learning-rate decay and an initial accumulator value."""

import numpy as np

from mytorch._tensor import Tensor
from mytorch.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with the options and arithmetic of ``torch.optim.Adagrad``.

    With learning rate :math:`\gamma`, learning-rate decay :math:`\eta`, weight decay
    :math:`\lambda`, initial accumulator value :math:`s_0` and epsilon :math:`\epsilon`, step
    :math:`t` does, for every parameter :math:`\theta` with a gradient:

    .. math::
        g_t &\leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (\text{negated if maximize}) \\
        g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{if } \lambda \ne 0 \\
        \tilde\gamma_t &\leftarrow \gamma / (1 + (t - 1)\eta) \\
        s_t &\leftarrow s_{t-1} + g_t^2 \\
        \theta_t &\leftarrow \theta_{t-1} - \tilde\gamma_t \, g_t / (\sqrt{s_t} + \epsilon)

    As in torch, ``state[p]`` is filled when the optimizer is built, for every parameter:
    ``"step"`` (a float, 0) and ``"sum"`` (:math:`s`, filled with :math:`s_0`).

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-2.
        lr_decay (float): learning-rate decay :math:`\eta`. Default: 0.
        weight_decay (float): L2 penalty :math:`\lambda`. Default: 0.
        initial_accumulator_value (float): start value :math:`s_0` of the sum of squared
            gradients. Default: 0.
        eps (float): :math:`\epsilon`, added to the denominator. Default: 1e-10.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _validate_group(self, group):
        if not 0.0 <= group["lr"]:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["lr_decay"]:
            raise ValueError(f"Invalid lr_decay value: {group['lr_decay']}")
        if not 0.0 <= group["weight_decay"]:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if not 0.0 <= group["initial_accumulator_value"]:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{group['initial_accumulator_value']}")
        if not 0.0 <= group["eps"]:
            raise ValueError(f"Invalid epsilon value: {group['eps']}")

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = 0.0
        state["sum"] = Tensor._wrap(np.full_like(p.data, group["initial_accumulator_value"]))

    def step(self, closure=None):
        """Update every parameter that has a gradient and return the closure's loss, if any."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            buffer_fills = {"sum": group["initial_accumulator_value"]}

            flat = self._flat_group(group, params, buffer_fills, 2)
            if flat is not None:
                states = [self.state[p] for p in flat.params]
                step = states[0]["step"] + 1.0
                for state in states:
                    state["step"] = step
                flat.gather()
                _adagrad_update(group, step, flat.param, flat.grad, flat.buffers["sum"],
                                *flat.work)
                flat.scatter()
                continue

            for p in params:
                state = self.state[p]
                if not state:
                    # A group added with add_param_group after construction.
                    self._init_state(p, group)
                state["step"] += 1.0
                _adagrad_update(group, state["step"], p.data, p.grad.data, state["sum"].data,
                                *self._scratch_arrays(p, 2))
        return loss


def _adagrad_update(group, step, param, grad, state_sum, work, std):
    """Apply step number ``step`` to the array ``param`` and the sum of squares, in place.

    ``work`` and ``std`` are scratch arrays shaped like ``param``. ``grad`` is only read.
    """
    weight_decay = group["weight_decay"]
    if group["maximize"]:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param

    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])

    np.multiply(grad, grad, out=work)
    state_sum += work
    np.sqrt(state_sum, out=std)
    std += group["eps"]
    np.multiply(grad, clr, out=work)
    work /= std
    param -= work
