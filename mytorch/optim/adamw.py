"""AdamW: Adam with decoupled weight decay."""

from mytorch.optim.adam import Adam


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019), with the arithmetic of ``torch.optim.AdamW``.

    With learning rate :math:`\gamma`, betas :math:`(\beta_1, \beta_2)`, epsilon
    :math:`\epsilon` and weight decay :math:`\lambda`, step :math:`t` does, for every parameter
    :math:`\theta` with a gradient:

    .. math::
        g_t &\leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (\text{negated if maximize}) \\
        \theta_{t-1} &\leftarrow \theta_{t-1} (1 - \gamma\lambda) \\
        m_t &\leftarrow m_{t-1} + (1 - \beta_1)(g_t - m_{t-1}) \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &\leftarrow \max(\hat v_{t-1}, v_t) \quad \text{if amsgrad, else} \quad
            \hat v_t \leftarrow v_t \\
        \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \cdot
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    The decay shrinks the parameter directly instead of entering :math:`m` and :math:`v`, so a
    zero gradient gives :math:`\theta_t = \theta_0 (1 - \gamma\lambda)^t`. ``state[p]`` contains
    the same entries as :class:`Adam`'s.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float]): decay rates :math:`(\beta_1, \beta_2)`.
            Default: (0.9, 0.999).
        eps (float): :math:`\epsilon`, added to the denominator. Default: 1e-8.
        weight_decay (float): decoupled weight decay :math:`\lambda`. Default: 1e-2.
        amsgrad (bool): use the AMSGrad maximum of :math:`v_t`. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        # A state_dict saved by Adam must not turn the decay of an AdamW back into L2.
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
