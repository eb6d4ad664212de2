"""One Hydra job: an MLflow run around training, with its params, tags, data set and artifacts."""

import logging
import math
import time
from pathlib import Path

import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import OmegaConf

import mytorch
from experiments import plots
from experiments.datasets import check_data_config
from experiments.pipeline import prepare_data, train_from_splits
from experiments.sweep import read_parent_run_id
from experiments.tracking import MLFLOW_TIMER, TrackedRun, flatten_config, git_state

log = logging.getLogger(__name__)


def hydra_output_dir():
    """Return this job's Hydra output folder, or None when Hydra is not running the job."""
    if not HydraConfig.initialized():
        return None
    return Path(HydraConfig.get().runtime.output_dir)


def dataset_frame(splits):
    """Return the whole data set as a table of features and a ``label`` column."""
    arrays = splits.arrays
    frame = pd.DataFrame(arrays.features, columns=arrays.feature_names)
    frame["label"] = arrays.labels
    return frame


def run_tags(cfg, output_dir):
    commit, dirty = git_state()
    hydra_cfg = HydraConfig.get()
    sweep = "none"
    sweep_tags = {}
    if hydra_cfg.mode == RunMode.MULTIRUN:
        sweep = str(Path(hydra_cfg.sweep.dir).resolve())
        sweep_tags["sweep_job"] = str(hydra_cfg.job.num)
        parent_run_id = read_parent_run_id(hydra_cfg.sweep.dir, cfg.tracking.uri)
        if parent_run_id is not None:
            # MLflow's UI nests a run under the run this tag names.
            sweep_tags["mlflow.parentRunId"] = parent_run_id
    return {
        "optimizer": cfg.optimizer.name,
        "model": cfg.model.name,
        "data": cfg.data.name,
        "seed": str(cfg.seed),
        "mlflow.source.git.commit": commit,
        "git_dirty": dirty,
        "hydra_output_dir": str(output_dir),
        # The sweep folder, shared by all runs of one multirun, so one filter lists them.
        "sweep": sweep,
        "mytorch_version": mytorch.__version__,
        **sweep_tags,
    }


def write_artifacts(cfg, outcome, folder):
    """Write plots, resolved config and weights under ``folder`` and return their paths."""
    splits = outcome.splits
    train = outcome.train
    plot_dir = folder / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)

    val_losses = [metrics["val_loss"] for metrics in train.epoch_metrics]
    plots.save_loss_curve(plot_dir / "loss_curve.png", train.step_losses, val_losses,
                          train.updates_per_epoch)
    title = f"{cfg.data.name}: {cfg.model.name}, {cfg.optimizer.name} lr={cfg.optimizer.lr}"
    plots.save_decision_boundary(plot_dir / "decision_boundary.png", outcome.predict,
                                 splits.x_train, splits.y_train, splits.arrays.class_names, title)
    if outcome.test_predictions is not None:
        accuracy = outcome.test_metrics["accuracy"]
        plots.save_confusion_matrix(plot_dir / "confusion_matrix.png", splits.y_test,
                                    outcome.test_predictions, splits.arrays.class_names,
                                    title=f"test set, accuracy {accuracy:.3f}")

    config_path = folder / "config.yaml"
    config_path.write_text(OmegaConf.to_yaml(cfg, resolve=True))

    model_dir = folder / "model"
    model_dir.mkdir(exist_ok=True)
    mytorch.save(outcome.model.state_dict(), model_dir / "state_dict.pt")
    return plot_dir, config_path, model_dir


def flush_log_handlers():
    for handler in logging.getLogger().handlers:
        handler.flush()


def run_job(cfg):
    """Train one configuration inside an MLflow run and return its final validation loss.

    A sweeper that minimises the return value (Optuna) therefore never uses the test set. A run
    that diverged returns infinity, which ranks it last but still counts as a finished trial.
    """
    started = time.perf_counter()
    mlflow_seconds_at_start = MLFLOW_TIMER.seconds

    # Fail on a missing value before any run is created.
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    check_data_config(cfg.data)

    output_dir = hydra_output_dir()
    if output_dir is None:
        raise RuntimeError("run_job needs a Hydra job; start it through experiments/run.py")

    with TrackedRun(cfg.tracking, run_tags(cfg, output_dir)) as run:
        run.log_params(flatten_config(cfg))

        splits = prepare_data(cfg)
        run.log_dataset(dataset_frame(splits), cfg.data.name, splits.arrays.source, "label")
        log.info("data %s: %d train, %d val, %d test samples, %d features, %d classes",
                 cfg.data.name, len(splits.y_train), len(splits.y_val), len(splits.y_test),
                 splits.n_features, splits.n_classes)

        outcome = train_from_splits(cfg, splits, run.log_metric, description=run.run_name)
        train = outcome.train
        run.set_tags({"epochs_run": train.epochs_run,
                      "stopped_early": str(train.stopped_early).lower(),
                      "diverged": str(train.diverged).lower()})
        if run.buffer.dropped:
            log.warning("%d NaN or infinite metric values were not sent to MLflow",
                        run.buffer.dropped)

        plot_dir, config_path, model_dir = write_artifacts(cfg, outcome, output_dir)
        run.log_artifacts(plot_dir, "plots")
        run.log_artifact(config_path)
        run.log_artifacts(model_dir, "model")
        run.log_artifacts(output_dir / ".hydra", "hydra")

        # Sending the buffered metrics first lets mlflow_seconds count them. Only the two timing
        # metrics, the job log and ending the run are left out.
        run.flush()
        run.log_metric("job_seconds", time.perf_counter() - started, 0)
        run.log_metric("mlflow_seconds", MLFLOW_TIMER.seconds - mlflow_seconds_at_start, 0)
        flush_log_handlers()
        job_log = output_dir / f"{HydraConfig.get().job.name}.log"
        if job_log.exists():
            run.log_artifact(job_log, "logs")

    if train.diverged or not train.epoch_metrics:
        return math.inf
    return float(train.epoch_metrics[-1]["val_loss"])
