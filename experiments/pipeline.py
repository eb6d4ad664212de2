"""From a composed config to a trained model and its metrics, with no tracking involved.

``experiments.job`` wraps this in an MLflow run. ``reproduce.py`` calls it directly and compares
what it records with a logged run.
"""

import logging
from dataclasses import dataclass

import numpy as np
from hydra.utils import instantiate
from omegaconf import OmegaConf

import mytorch
from experiments.datasets import Splits, load_splits
from experiments.metrics import predictions
from experiments.training import TrainResult, evaluate, fit, make_eval_set, make_targets
from mytorch import nn
from mytorch.utils.data import DataLoader, TensorDataset

log = logging.getLogger(__name__)

# Metrics that measure time. No rerun reproduces them, so reproduce.py skips them.
TIMING_METRICS = ("epoch_time", "mlflow_seconds", "job_seconds")


@dataclass(frozen=True)
class Seeds:
    """Independent seeds for the data split, weight init and batch shuffling."""

    split: int
    init: int
    shuffle: int


def derive_seeds(seed):
    """Spawn one seed per random consumer from ``seed``, so that none shares another's stream."""
    # Negative seeds are folded to 64 bits, as mytorch.manual_seed does.
    children = np.random.SeedSequence(int(seed) & 0xFFFF_FFFF_FFFF_FFFF).spawn(3)
    split, init, shuffle = (int(child.generate_state(1, np.uint32)[0]) for child in children)
    return Seeds(split=split, init=init, shuffle=shuffle)


@dataclass
class Outcome:
    model: nn.Module
    splits: Splits
    train: TrainResult
    test_metrics: dict
    test_predictions: np.ndarray

    def predict(self, features):
        """Return class ids for standardised feature rows (m, d)."""
        self.model.eval()
        with mytorch.no_grad():
            logits = self.model(mytorch.from_numpy(np.asarray(features, dtype=np.float32)))
        return predictions(logits.numpy())


def instantiate_optimizer(optimizer_cfg, parameters):
    """Build the optimizer from its config, leaving out ``name``, which only labels the config."""
    arguments = OmegaConf.to_container(optimizer_cfg, resolve=True)
    arguments.pop("name", None)
    return instantiate(arguments)(parameters)


def build_loss(n_classes):
    """Return BCEWithLogitsLoss (one logit) for two classes, else CrossEntropyLoss (k logits)."""
    return nn.BCEWithLogitsLoss() if n_classes == 2 else nn.CrossEntropyLoss()


def prepare_data(cfg):
    """Load and split the data set of ``cfg`` with the split seed derived from ``cfg.seed``."""
    return load_splits(cfg.data, derive_seeds(cfg.seed).split)


def train_from_splits(cfg, splits, log_metric, description=None, result=None):
    """Build model, loss, optimizer and loader from ``cfg``, train, and evaluate on test.

    Every metric goes to ``log_metric(key, value, step)``, and the test metrics are logged as
    ``test_<metric>`` at step 0. ``result``, a TrainResult, is filled while training runs.
    """
    seeds = derive_seeds(cfg.seed)
    n_classes = splits.n_classes
    out_features = 1 if n_classes == 2 else n_classes

    mytorch.manual_seed(seeds.init)
    model = instantiate(cfg.model)(in_features=splits.n_features, out_features=out_features)
    criterion = build_loss(n_classes)
    optimizer = instantiate_optimizer(cfg.optimizer, model.parameters())
    log.info("model:\n%s\noptimizer: %s", model, optimizer)

    if cfg.trainer.batch_size < 1:
        raise ValueError(f"trainer.batch_size={cfg.trainer.batch_size} must be >= 1")
    dataset = TensorDataset(mytorch.from_numpy(splits.x_train.astype(np.float32)),
                            make_targets(splits.y_train, n_classes))
    shuffle_generator = mytorch.Generator().manual_seed(seeds.shuffle)
    loader = DataLoader(dataset, batch_size=cfg.trainer.batch_size, shuffle=cfg.trainer.shuffle,
                        generator=shuffle_generator)

    eval_sets = [make_eval_set("train", splits.x_train, splits.y_train, n_classes),
                 make_eval_set("val", splits.x_val, splits.y_val, n_classes)]
    result = fit(model, criterion, optimizer, loader, eval_sets, cfg.trainer, n_classes,
                 log_metric, description=description, result=result)

    if result.diverged:
        # Non-finite weights give non-finite test metrics, which MLflow must not receive.
        return Outcome(model, splits, result, {}, None)

    test_set = make_eval_set("test", splits.x_test, splits.y_test, n_classes)
    test_metrics, test_logits = evaluate(model, criterion, test_set, n_classes)
    for key, value in test_metrics.items():
        log_metric(f"test_{key}", value, 0)
    log.info("test metrics after %d epochs: %s", result.epochs_run,
             ", ".join(f"{key}={value:.4f}" for key, value in test_metrics.items()))

    test_predictions = predictions(test_logits) if np.isfinite(test_logits).all() else None
    return Outcome(model, splits, result, test_metrics, test_predictions)
