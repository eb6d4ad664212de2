"""The training loop: mini-batch updates, per-epoch evaluation, early stop on a flat loss.

Metrics go to ``log_metric(key, value, step)``, which is an MLflow run's buffered logger in a
job and an in-memory buffer when ``reproduce.py`` reruns a job.
"""

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

import mytorch
from experiments.metrics import classification_metrics

log = logging.getLogger(__name__)


@dataclass
class EvalSet:
    """Features and labels of one split, with the target tensor in the form the loss expects."""

    name: str
    inputs: mytorch.Tensor
    targets: mytorch.Tensor
    labels: np.ndarray


@dataclass
class TrainResult:
    # (update count, loss) of every recorded update.
    step_losses: list = field(default_factory=list)
    updates_per_epoch: list = field(default_factory=list)
    # One dict of "train_loss", "val_accuracy", ... per finished epoch.
    epoch_metrics: list = field(default_factory=list)
    stopped_early: bool = False
    diverged: bool = False
    # The update count at which the loss or a parameter became NaN or infinite, and which.
    diverged_step: int | None = None
    diverged_reason: str | None = None

    @property
    def epochs_run(self):
        return len(self.updates_per_epoch)


def make_targets(labels, n_classes):
    """Return the loss's target tensor: float (n, 1) for BCEWithLogitsLoss, int64 (n,) otherwise."""
    if n_classes == 2:
        return mytorch.from_numpy(labels.astype(np.float32).reshape(-1, 1))
    return mytorch.from_numpy(labels.astype(np.int64))


def make_eval_set(name, features, labels, n_classes):
    return EvalSet(name, mytorch.from_numpy(features.astype(np.float32)),
                   make_targets(labels, n_classes), labels)


def evaluate(model, criterion, eval_set, n_classes):
    """Return (metrics, logits) of ``model`` on a whole split, in eval mode and without grad."""
    model.eval()
    with mytorch.no_grad():
        logits = model(eval_set.inputs)
        loss = criterion(logits, eval_set.targets).item()
    model.train()
    logits = logits.numpy()
    metrics = {"loss": loss}
    if np.isfinite(logits).all():
        metrics.update(classification_metrics(eval_set.labels, logits, n_classes))
    return metrics, logits


def first_non_finite(named_parameters):
    """Return the name of the first parameter with a NaN or infinite entry, or None."""
    for name, parameter in named_parameters:
        if not np.isfinite(parameter.data).all():
            return name
    return None


def fit(model, criterion, optimizer, loader, eval_sets, trainer_cfg, n_classes, log_metric,
        description=None, result=None):
    """Train for up to ``trainer_cfg.epochs`` epochs, evaluating on ``eval_sets`` after each.

    Logs ``batch_loss`` every ``log_every_n_steps`` updates (step = update count), and per epoch
    (step = epoch, from 1) ``<split>_<metric>`` for each eval set, ``lr`` and ``epoch_time`` in
    seconds. Stops early once the mean batch loss of an epoch differs from the previous epoch's by
    less than ``tol``. Stops at once, marking the result diverged, when the loss or a parameter
    becomes NaN or infinite; the non-finite loss is not passed to ``log_metric``.

    ``result`` is filled as training goes when given, so a caller that is interrupted still has
    the epochs and losses recorded so far.
    """
    if trainer_cfg.log_every_n_steps < 1:
        raise ValueError(f"trainer.log_every_n_steps={trainer_cfg.log_every_n_steps} must be >= 1")

    result = TrainResult() if result is None else result
    named_parameters = list(model.named_parameters())
    update = 0
    previous_mean = None
    model.train()
    # disable=None turns the bar off when stderr is not a terminal, as in CI logs and Hydra jobs.
    epochs = tqdm(range(1, trainer_cfg.epochs + 1), desc=description, disable=None, leave=True,
                  dynamic_ncols=True)
    for epoch in epochs:
        started = time.perf_counter()
        losses = []
        for inputs, targets in loader:
            loss = criterion(model(inputs), targets)
            value = loss.item()
            if not math.isfinite(value):
                # The step would spread the NaN into every parameter, so it is not taken.
                result.diverged_reason = f"loss is {value}"
                break

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update += 1
            losses.append(value)
            if update % trainer_cfg.log_every_n_steps == 0:
                result.step_losses.append((update, value))
                log_metric("batch_loss", value, update)

            bad_parameter = first_non_finite(named_parameters)
            if bad_parameter is not None:
                result.diverged_reason = f"parameter {bad_parameter} is NaN or infinite"
                break

        result.updates_per_epoch.append(len(losses))
        if result.diverged_reason is not None:
            result.diverged = True
            result.diverged_step = update
            log.warning("%s after update %d, in epoch %d; stopping this run",
                        result.diverged_reason, update, epoch)
            break

        metrics = {}
        for eval_set in eval_sets:
            split_metrics, _ = evaluate(model, criterion, eval_set, n_classes)
            metrics.update({f"{eval_set.name}_{key}": v for key, v in split_metrics.items()})
        metrics["lr"] = optimizer.param_groups[0]["lr"]
        metrics["epoch_time"] = time.perf_counter() - started
        for key, value in metrics.items():
            log_metric(key, value, epoch)
        result.epoch_metrics.append(metrics)
        epochs.set_postfix(loss=f"{metrics.get('train_loss', math.nan):.4f}",
                           val_acc=f"{metrics.get('val_accuracy', math.nan):.3f}", refresh=False)

        mean_loss = float(np.mean(losses))
        if previous_mean is not None and abs(mean_loss - previous_mean) < trainer_cfg.tol:
            result.stopped_early = True
            log.info("mean training loss changed by %.3g < tol=%g after epoch %d; stopping",
                     abs(mean_loss - previous_mean), trainer_cfg.tol, epoch)
            break
        previous_mean = mean_loss

    epochs.close()
    return result
