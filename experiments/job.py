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
from experiments.job_signals import deferred_signals
from experiments.pipeline import prepare_data, train_from_splits
from experiments.store_safety import redact_text, redact_uri, redact_value
from experiments.sweep import job_git_state, job_parent_run_id, sweep_folder
from experiments.tracking import MLFLOW_TIMER, TrackedRun, flatten_config
from experiments.training import TrainResult
from experiments.validation import check_config

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
    commit, dirty = job_git_state()
    hydra_cfg = HydraConfig.get()
    sweep = "none"
    sweep_tags = {}
    if hydra_cfg.mode == RunMode.MULTIRUN:
        sweep = str(sweep_folder(hydra_cfg))
        sweep_tags["sweep_job"] = str(hydra_cfg.job.num)
        parent_run_id = job_parent_run_id(cfg.tracking.uri)
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


class DivergedError(RuntimeError):
    """Raised inside the run when training diverged, so that the run ends FAILED."""


def resolved_config_yaml(cfg):
    """Return the resolved config as YAML, with credentials such as a URI's password redacted."""
    container = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)

    def redact(node, key=""):
        if isinstance(node, dict):
            return {name: redact(value, name) for name, value in node.items()}
        return redact_value(key, node)

    return OmegaConf.to_yaml(OmegaConf.create(redact(container)))


def write_artifacts(cfg, outcome, folder):
    """Write plots and weights under ``folder`` and return their folders."""
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

    model_dir = folder / "model"
    model_dir.mkdir(exist_ok=True)
    mytorch.save(outcome.model.state_dict(), model_dir / "state_dict.pt")
    return plot_dir, model_dir


def flush_log_handlers():
    for handler in logging.getLogger().handlers:
        handler.flush()


def log_job_record(run, cfg, train, output_dir):
    """Log what every run keeps, however it ends: the training tags, config and Hydra files."""
    tags = {"epochs_run": train.epochs_run,
            "stopped_early": str(train.stopped_early).lower(),
            "diverged": str(train.diverged).lower()}
    if train.diverged:
        tags["diverged_step"] = train.diverged_step
        tags["diverged_reason"] = train.diverged_reason
    run.set_tags(tags)

    config_path = output_dir / "config.yaml"
    config_path.write_text(resolved_config_yaml(cfg))
    run.log_artifact(config_path)
    # Hydra's copies of the config and command line contain the tracking URI as typed.
    for path in sorted((output_dir / ".hydra").glob("*.yaml")):
        run.client.log_text(run.run_id, redact_text(path.read_text()), f"hydra/{path.name}")
    run.flush()


def log_job_log(run, output_dir):
    """Log the job's log file as logs/<job name>.log; call it last, so it is complete."""
    flush_log_handlers()
    job_log = output_dir / f"{HydraConfig.get().job.name}.log"
    if job_log.exists():
        run.client.log_text(run.run_id, redact_text(job_log.read_text(errors="replace")),
                            f"logs/{job_log.name}")


def run_job(cfg):
    """Train one configuration inside an MLflow run and return its final validation loss.

    A sweeper that minimises the return value (Optuna) therefore never uses the test set. A run
    that diverged ends FAILED but does not raise, so the rest of a sweep goes on; it returns
    infinity, which ranks it last.

    Bad input raises InputError before the run is created. An exception or a signal after that
    ends the run FAILED or KILLED, after logging its config, job log and the tags of training.
    """
    started = time.perf_counter()
    mlflow_seconds_at_start = MLFLOW_TIMER.seconds

    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    check_config(cfg)
    output_dir = hydra_output_dir()
    if output_dir is None:
        raise RuntimeError("run_job needs a Hydra job; start it through experiments/run.py")
    # Reading the data here, before the run exists, makes a bad file leave no run behind.
    splits = prepare_data(cfg)

    train = TrainResult()
    try:
        with TrackedRun(cfg.tracking, run_tags(cfg, output_dir)) as run:
            try:
                outcome = train_and_log(run, cfg, splits, train, output_dir)
            except BaseException:
                # Nothing logged so far is lost: the partial record goes in before the run ends.
                with deferred_signals():
                    try:
                        log_job_record(run, cfg, train, output_dir)
                        log_job_log(run, output_dir)
                    except Exception:
                        # The job's own exception is the one to propagate.
                        log.exception("logging the record of stopped run %s failed", run.run_id)
                raise

            run.log_metric("job_seconds", time.perf_counter() - started, 0)
            run.log_metric("mlflow_seconds", MLFLOW_TIMER.seconds - mlflow_seconds_at_start, 0)
            log_job_log(run, output_dir)
            if train.diverged:
                raise DivergedError(f"{train.diverged_reason} after update {train.diverged_step}")
    except DivergedError:
        return math.inf

    return float(outcome.train.epoch_metrics[-1]["val_loss"])


def train_and_log(run, cfg, splits, train, output_dir):
    """Log params and data set, train into ``train``, and log the record and artifacts."""
    run.log_params(flatten_config(cfg))
    run.log_dataset(dataset_frame(splits), cfg.data.name, redact_uri(splits.arrays.source),
                    "label")
    log.info("data %s: %d train, %d val, %d test samples, %d features, %d classes",
             cfg.data.name, len(splits.y_train), len(splits.y_val), len(splits.y_test),
             splits.n_features, splits.n_classes)

    outcome = train_from_splits(cfg, splits, run.log_metric, description=run.run_name,
                                result=train)
    if run.buffer.dropped:
        log.warning("%d NaN or infinite metric values were not sent to MLflow",
                    run.buffer.dropped)
    log_job_record(run, cfg, train, output_dir)
    if not train.diverged:
        # A diverged model has non-finite weights, so its plots and weights would mislead.
        plot_dir, model_dir = write_artifacts(cfg, outcome, output_dir)
        run.log_artifacts(plot_dir, "plots")
        run.log_artifacts(model_dir, "model")
    # Sending the buffered metrics first lets mlflow_seconds count them. Only the two timing
    # metrics, the job log and ending the run are left out.
    run.flush()
    return outcome
