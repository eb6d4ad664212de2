"""Adam, with optional AMSGrad and either L2 or decoupled weight decay."""

import numpy as np

from mytorch._tensor import Tensor
from mytorch.optim.optimizer import Optimizer, lerp_


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), with the options and arithmetic of ``torch.optim.Adam``.

    With learning rate :math:`\gamma`, betas :math:`(\beta_1, \beta_2)`, epsilon
    :math:`\epsilon` and weight decay :math:`\lambda`, step :math:`t` does, for every parameter
    :math:`\theta` with a gradient:

    .. math::
        g_t &\leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (\text{negated if maximize}) \\
        \theta_{t-1} &\leftarrow \theta_{t-1} (1 - \gamma\lambda)
            \quad \text{if decoupled\_weight\_decay, else} \quad
            g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        m_t &\leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}) \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &\leftarrow \max(\hat v_{t-1}, v_t) \quad \text{if amsgrad, else} \quad
            \hat v_t \leftarrow v_t \\
        \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \cdot
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`m_0 = v_0 = \hat v_0 = 0`. The L2 decay is added to a copy of the gradient, never
    to ``p.grad``. The bias corrections are Python floats and the operations run in torch's
    order, so in float64 the parameters stay within 1e-12 of torch's over the 50-step runs of
    tests/test_optim_reference.py. ``state[p]`` contains ``"step"`` (a float), ``"exp_avg"``
    (:math:`m`), ``"exp_avg_sq"`` (:math:`v`) and, with amsgrad, ``"max_exp_avg_sq"``
    (:math:`\hat v`).

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): decay rates :math:`(\beta_1, \beta_2)` of the running
            averages of the gradient and of its square. Default: (0.9, 0.999).
        eps (float): :math:`\epsilon`, added to the denominator. Default: 1e-8.
        weight_decay (float): weight decay :math:`\lambda`. Default: 0.
        amsgrad (bool): divide by the maximum of all :math:`v_t` so far (AMSGrad).
            Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay (bool): shrink the parameter before the step instead of adding
            the L2 term to the gradient, which makes this AdamW. Default: False.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        if not 0.0 <= group["lr"]:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if not 0.0 <= group["eps"]:
            raise ValueError(f"Invalid epsilon value: {group['eps']}")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas}. Pass two values (beta1, beta2)")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
        if not 0.0 <= group["weight_decay"]:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def step(self, closure=None):
        """Update every parameter that has a gradient and return the closure's loss, if any."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            buffer_fills = _BUFFERS_WITH_MAX if group["amsgrad"] else _BUFFERS
            flat = self._flat_group(group, params, buffer_fills, 2)
            if flat is not None:
                self._step_flat(group, flat)
                continue

            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    for name in buffer_fills:
                        state[name] = Tensor._wrap(np.zeros_like(p.data))
                state["step"] += 1.0
                max_exp_avg_sq = state["max_exp_avg_sq"].data if group["amsgrad"] else None
                _adam_update(group, state["step"], p.data, p.grad.data, state["exp_avg"].data,
                             state["exp_avg_sq"].data, max_exp_avg_sq,
                             *self._scratch_arrays(p, 2))
        return loss

    def _step_flat(self, group, flat):
        states = [self.state[p] for p in flat.params]
        step = states[0]["step"] + 1.0
        for state in states:
            state["step"] = step

        flat.gather()
        buffers = flat.buffers
        _adam_update(group, step, flat.param, flat.grad, buffers["exp_avg"],
                     buffers["exp_avg_sq"], buffers.get("max_exp_avg_sq"), *flat.work)
        flat.scatter()


_BUFFERS = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
_BUFFERS_WITH_MAX = {**_BUFFERS, "max_exp_avg_sq": 0.0}


def _adam_update(group, step, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, work, update):
    """Apply step number ``step`` to the arrays ``param`` and the moments, in place.

    ``max_exp_avg_sq`` is None without amsgrad. ``work`` and ``update`` are scratch arrays shaped
    like ``param``. ``grad`` is only read.
    """
    lr = group["lr"]
    beta1, beta2 = group["betas"]
    eps = group["eps"]
    weight_decay = group["weight_decay"]

    if group["maximize"]:
        grad = -grad
    if weight_decay != 0:
        if group["decoupled_weight_decay"]:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param

    lerp_(exp_avg, grad, 1 - beta1, work)
    exp_avg_sq *= beta2
    np.multiply(grad, 1 - beta2, out=work)
    work *= grad
    exp_avg_sq += work

    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5

    second_moment = exp_avg_sq
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq

    denom = work
    np.sqrt(second_moment, out=denom)
    denom /= bias_correction2_sqrt
    denom += eps
    np.multiply(exp_avg, step_size, out=update)
    update /= denom
    param -= update
