"""Learning-rate schedulers with the names, arguments and arithmetic of torch.optim.lr_scheduler.

A scheduler changes ``group["lr"]`` of its optimizer's parameter groups. Call ``scheduler.step()``
once per epoch (or per batch) after ``optimizer.step()``. The epoch-based schedulers update the
learning rate recursively from its current value, as torch does, so the sequences agree with
torch's to the last bits and compose with other code that changes ``group["lr"]``.
"""

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter

from mytorch.optim.optimizer import Optimizer

_EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available.")


class LRScheduler:
    """Base class of the schedulers: tracks ``last_epoch`` and writes ``get_lr()`` into the groups.

    Building a scheduler with ``last_epoch=-1`` stores each group's current lr as
    ``group["initial_lr"]`` (unless the key exists), sets ``base_lrs`` from it and takes the first
    step, to epoch 0. To resume, build it with the ``last_epoch`` reached, or load its
    ``state_dict()``.

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        last_epoch (int): index of the last epoch run, or -1 to start a new schedule. Default: -1.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer

        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{index}] when "
                        f"resuming a scheduler with last_epoch={last_epoch}. Load the "
                        "optimizer's state_dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """Compute the learning rate of each group for ``last_epoch``. Subclasses implement it."""
        raise NotImplementedError

    def get_last_lr(self):
        """Return the learning rate of each group as set by the last ``step()``."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance ``last_epoch`` by one and set each group's lr to the schedule's next value.

        ``epoch`` is deprecated, as in torch: it jumps to that epoch and uses the closed form
        of the schedule where the scheduler has one.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call "
                "`optimizer.step()` first, or the first value of the learning rate schedule is "
                "skipped.", UserWarning, stacklevel=2)
        self._step_count += 1

        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()

        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Return every attribute except the optimizer, as a dict ``load_state_dict`` accepts."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the attributes saved by ``state_dict()``."""
        self.__dict__.update(state_dict)


class _LRScheduler(LRScheduler):
    """The old name of :class:`LRScheduler`, kept because code written for torch < 2.0 uses it."""


class LambdaLR(LRScheduler):
    r"""Set each group's lr to its initial lr times a function of the epoch.

    .. math::
        \eta_t = \eta_0 \cdot \text{lr\_lambda}(t)

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        lr_lambda (callable or list): a function of the epoch index, or one per group.
        last_epoch (int): index of the last epoch run. Default: -1.

    ``state_dict()`` stores ``None`` for a plain function (functions cannot be saved) and the
    attribute dict of a callable object, as torch does.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, "
                                 f"but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * lr_lambda(self.last_epoch)
                for lr_lambda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if _is_plain_function(fn) else dict(vars(fn))
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, saved_lambdas, strict=True):
            if saved is not None:
                vars(fn).update(saved)


def _is_plain_function(fn):
    return isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")


class StepLR(LRScheduler):
    r"""Multiply each group's lr by ``gamma`` every ``step_size`` epochs.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        step_size (int): the number of epochs between two decays.
        gamma (float): the factor of each decay. Default: 0.1.
        last_epoch (int): index of the last epoch run. Default: -1.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply each group's lr by ``gamma`` at each milestone epoch.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\#\{m \in \text{milestones} : m \le t\}}

    A milestone listed twice decays twice. Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        milestones (iterable of int): the epochs at which the lr decays.
        gamma (float): the factor of each decay. Default: 0.1.
        last_epoch (int): index of the last epoch run. Default: -1.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]

    def state_dict(self):
        # A sorted list with repeats survives savers that turn int dict keys into strings.
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.milestones = Counter(state_dict["milestones"])


class ExponentialLR(LRScheduler):
    r"""Multiply each group's lr by ``gamma`` every epoch.

    .. math::
        \eta_t = \eta_{t-1} \cdot \gamma

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        gamma (float): the factor of each decay.
        last_epoch (int): index of the last epoch run. Default: -1.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale each group's lr by a factor that moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then stays.

    .. math::
        \eta_t = \eta_0 \left(s + (e - s) \frac{\min(t, T)}{T}\right)

    computed recursively as torch does: each step multiplies the current lr by
    :math:`1 + (e - s) / (T s + (t - 1)(e - s))`.

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        start_factor (float): factor :math:`s` at epoch 0, in (0, 1]. Default: 1/3.
        end_factor (float): factor :math:`e` from epoch ``total_iters`` on, in [0, 1].
            Default: 1.0.
        total_iters (int): the number of epochs :math:`T` of the ramp. Default: 5.
        last_epoch (int): index of the last epoch run. Default: -1.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             f"less or equal to 1, but got start_factor={start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1, but "
                             f"got end_factor={end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()

        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor
                                 + (self.last_epoch - 1) * change)
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)
                for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's lr along a cosine from its initial value to ``eta_min``.

    .. math::
        \eta_t = \eta_{min} + \frac{1}{2}(\eta_0 - \eta_{min})
                 \left(1 + \cos\left(\frac{t \pi}{T_{max}}\right)\right)

    The update is the recursive form torch uses, which follows this curve while nothing else
    changes the lr, and continues as a cosine of period :math:`2 T_{max}` after :math:`T_{max}`
    (the lr rises back to :math:`\eta_0`):

    .. math::
        \eta_{t} = \eta_{min} + (\eta_{t-1} - \eta_{min})
                   \frac{1 + \cos(t \pi / T_{max})}{1 + \cos((t - 1) \pi / T_{max})}

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        T_max (int): the number of epochs of half a period.
        eta_min (float): the minimum learning rate. Default: 0.
        last_epoch (int): index of the last epoch run. Default: -1.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # noqa: N803 - torch's name
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        eta_min = self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # At the trough the ratio below is 0/0, so the rise is added instead.
            rise = (1 - math.cos(math.pi / self.T_max)) / 2
            return [lr + (base_lr - eta_min) * rise
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs(), strict=True)]

        ratio = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) \
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply each group's lr by ``factor`` when a metric has stopped improving.

    ``step(metric)`` counts the epochs in a row without improvement. After more than
    ``patience`` of them, each lr becomes ``max(lr * factor, min_lr)`` (changes smaller than
    ``eps`` are skipped), and then ``cooldown`` epochs pass before counting resumes.

    A value ``a`` improves on the best value so far when, with ``threshold`` :math:`\\tau`:
    ``a < best * (1 - tau)`` (mode "min", threshold_mode "rel"), ``a < best - tau`` ("min",
    "abs"), ``a > best * (1 + tau)`` ("max", "rel") or ``a > best + tau`` ("max", "abs").

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        mode (str): "min" for a metric that should fall (a loss), "max" for one that should
            rise (an accuracy). Default: "min".
        factor (float): the factor of each reduction, < 1. Default: 0.1.
        patience (int): the number of epochs without improvement that are tolerated.
            Default: 10.
        threshold (float): the least change that counts as an improvement. Default: 1e-4.
        threshold_mode (str): "rel" or "abs", see above. Default: "rel".
        cooldown (int): the number of epochs to wait after a reduction. Default: 0.
        min_lr (float or list): the lower bound of the lr, for all groups or one per group.
            Default: 0.
        eps (float): the smallest reduction that is applied. Default: 1e-8.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, but got factor={factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown. Use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown. Use 'rel' or 'abs'")

        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, "
                                 f"got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, value, best):
        """Return whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return value < best * (1.0 - self.threshold)
        if self.mode == "min":
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    def step(self, metrics, epoch=None):
        """Record the metric of one epoch and reduce the learning rates if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0

        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the optimizer "
                    f"({len(self.optimizer.param_groups)}) differs from when ReduceLROnPlateau "
                    f"was initialized ({len(self.min_lrs)}). Set min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)

        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
