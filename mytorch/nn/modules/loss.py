"""Loss modules: each stores its options and calls the function of the same name in ``F``.

``reduction`` is ``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per element). The
deprecated ``size_average`` and ``reduce`` flags still work and warn, as in torch. ``weight`` and
``pos_weight`` are registered as buffers, so they appear in ``state_dict``.
"""

from mytorch.nn import _reduction
from mytorch.nn import functional as F  # noqa: N812 - torch's usual alias
from mytorch.nn.modules.module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = _reduction.resolve(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits: sigmoid and BCELoss in one numerically stable step.

    Per element: ``w · [(1 - y)·x + (1 + (p - 1)·y)·softplus(-x)]`` with ``p`` the ``pos_weight``
    (one value per class, the last dimension; values above 1 raise recall) and ``w`` the
    ``weight``. Shapes: input and target (*), the same.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002 - torch's argument name
        buffers = self._buffers  # as self.weight, without a Module.__getattr__ call per read
        return F.binary_cross_entropy_with_logits(input, target, buffers["weight"],
                                                  pos_weight=buffers["pos_weight"],
                                                  reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities: ``-w·[y·log x + (1 - y)·log(1 - x)]``.

    Each log is clamped at -100, so inputs of exactly 0 or 1 give a finite loss.
    """

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class MSELoss(_Loss):
    """Squared error ``(x - y)²`` per element."""

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Absolute error ``|x - y|`` per element."""

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices, given log-probabilities (see ``F.nll_loss``).

    Shapes: input (N, C) or (C,) or (N, C, d1, ...); target (N,) or () or (N, d1, ...).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits: ``log_softmax`` followed by ``NLLLoss`` (see ``F.cross_entropy``).

    The target contains class indices, shaped like the input without the class dimension, or class
    probabilities of the input's shape. ``label_smoothing`` ε mixes the one-hot target with the
    uniform distribution: ``(1 - ε)·onehot + ε/C``.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        weight = self._buffers["weight"]  # as self.weight, without a Module.__getattr__ call
        return F.cross_entropy(input, target, weight=weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)
