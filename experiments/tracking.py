"""MLflow tracking: one run per job, buffered metrics, and the time spent in MLflow calls.

Only ``MlflowClient`` is used, never the fluent ``mlflow.start_run`` API, so no active run and
no ``MLFLOW_RUN_ID`` variable exist to leak from one job to the next when a sweep runs all its
jobs in one process.
"""

import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import time
import traceback
import warnings
from pathlib import Path

# Telemetry would send usage data to an outside host. A user may still turn it on by setting the
# variable before starting the harness.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402 - must come after the telemetry switch
from mlflow import MlflowClient  # noqa: E402
from mlflow.data.dataset_source_registry import get_dataset_source_from_json  # noqa: E402
from mlflow.data.http_dataset_source import HTTPDatasetSource  # noqa: E402
from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunTag  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from experiments.datasets import launch_dir  # noqa: E402
from experiments.job_signals import deferred_signals, received_signal  # noqa: E402
from experiments.store_safety import (  # noqa: E402
    MAX_TAG_LENGTH,
    safe_params,
    safe_tags,
    safe_value,
)

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]

# MLflow's limits per log_batch call.
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
# While metrics arrive, the buffer is sent at least this often, so `mlflow ui` shows progress.
FLUSH_INTERVAL_SECONDS = 5.0


class CallTimer:
    """Wall time and count of the MLflow calls made in this process, in total and per method."""

    def __init__(self):
        self.seconds = 0.0
        self.calls = 0
        self.seconds_by_method = {}

    def add(self, method, seconds):
        self.seconds += seconds
        self.calls += 1
        self.seconds_by_method[method] = self.seconds_by_method.get(method, 0.0) + seconds


MLFLOW_TIMER = CallTimer()


@contextlib.contextmanager
def timed(name):
    """Add the wall time of the ``with`` block to ``MLFLOW_TIMER`` under ``name``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        MLFLOW_TIMER.add(name, time.perf_counter() - started)


def store_uri(tracking_uri):
    """Return ``tracking_uri`` with a relative SQLite path taken from the launch directory."""
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix) and not tracking_uri.startswith(prefix + "/"):
        return prefix + str(launch_dir() / tracking_uri[len(prefix):])
    return tracking_uri


class TimedClient:
    """An ``MlflowClient`` whose method calls add their wall time to ``MLFLOW_TIMER``.

    A Ctrl-C or SIGTERM during a call waits until the call returns (see
    ``experiments.job_signals``), so the store is never left mid-transaction.
    """

    def __init__(self, tracking_uri):
        with timed("MlflowClient"):
            self._client = MlflowClient(store_uri(tracking_uri))

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def timed_method(*args, **kwargs):
            with deferred_signals(), timed(name):
                return method(*args, **kwargs)

        return timed_method


def ensure_experiment(client, name):
    """Return the id of experiment ``name``, creating it (and the database) if needed."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage == "deleted":
            raise RuntimeError(f"MLflow experiment {name!r} is deleted; restore it with "
                               f"`mlflow experiments restore` or set tracking.experiment")
        return experiment.experiment_id
    log.info("creating MLflow experiment %r", name)
    return client.create_experiment(name)


def flatten_config(cfg):
    """Flatten a resolved DictConfig to {"optimizer.lr": "0.01", ...} with string values."""
    container = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    flat = {}

    def walk(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        else:
            flat[prefix[:-1]] = "null" if node is None else str(node)

    walk(container, "")
    return flat


def git_state():
    """Return (commit, dirty) of the repository, or ("unknown", "unknown") without git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("git state unavailable, tagging the run 'unknown': %s", error)
        return "unknown", "unknown"
    return commit, str(bool(status.strip())).lower()


def is_duplicate_dataset_error(error):
    """Return True if ``error`` is a unique-key violation on MLflow's datasets table."""
    message = str(error)
    duplicate = "UNIQUE constraint failed" in message or "duplicate key" in message
    return duplicate and "datasets" in message


class MetricBuffer:
    """Metrics kept in memory until ``drain``, with NaN and infinite values dropped.

    MLflow's UI breaks on NaN and stores inf as 1.797e308, so such values are counted in
    ``dropped`` and not sent. Divergence itself is reported by the training loop.
    """

    def __init__(self):
        self.pending = []
        self.dropped = 0

    def add(self, key, value, step):
        value = float(value)
        if not math.isfinite(value):
            self.dropped += 1
            return
        self.pending.append(Metric(key, value, int(time.time() * 1000), int(step)))

    def drain(self):
        pending, self.pending = self.pending, []
        return pending


class TrackedRun:
    """One MLflow run, used as a context manager that ends it FINISHED, FAILED or KILLED.

    An exception inside the ``with`` block ends the run FAILED, with its type and message in
    the ``error`` tag and its traceback as the artifact ``error/traceback.txt``. KeyboardInterrupt
    (Ctrl-C, or SIGTERM through ``experiments.job_signals``) ends it KILLED, with the signal in
    the ``stopped_by`` tag. Either way the exception propagates afterwards. Hydra skips its
    ``on_job_end`` callback on Ctrl-C, so the run has to be ended here.
    """

    def __init__(self, tracking_cfg, tags):
        self.client = TimedClient(tracking_cfg.uri)
        self.experiment_id = ensure_experiment(self.client, tracking_cfg.experiment)
        self.run_name = tracking_cfg.run_name
        self.tags = tags
        self.buffer = MetricBuffer()
        self.last_flush = time.perf_counter()
        self.run_id = None

    def __enter__(self):
        try:
            # A signal during create_run waits until run_id is set, so the run can be ended.
            with deferred_signals():
                run = self.client.create_run(self.experiment_id, run_name=self.run_name,
                                             tags=safe_tags(self.tags))
                self.run_id = run.info.run_id
            log.info("MLflow run %s (%s) in experiment %s", self.run_id, run.info.run_name,
                     self.experiment_id)
        except BaseException as error:
            # The with block that would end the run has not begun yet.
            if self.run_id is not None:
                self._end(type(error), error)
            raise
        return self

    def __exit__(self, exc_type, exc, traceback):
        self._end(exc_type, exc)
        return False

    def _end(self, exc_type, exc=None):
        """Send the buffered metrics and end the run with the status that ``exc_type`` implies."""
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"

        # A second Ctrl-C while the run ends waits until it has ended.
        with deferred_signals():
            try:
                self.flush()
                if status == "FAILED":
                    self.record_error(exc_type, exc)
                elif status == "KILLED":
                    signum = received_signal()
                    name = signal.Signals(signum).name if signum else exc_type.__name__
                    self.client.set_tag(self.run_id, "stopped_by", name)
            except Exception:
                # The run still has to be ended, and the job's own error propagates after.
                log.exception("sending the last metrics or tags of run %s failed", self.run_id)
            finally:
                self.client.set_terminated(self.run_id, status=status)
                log.info("MLflow run %s ended %s", self.run_id, status)

    def record_error(self, exc_type, exc):
        """Tag the run with the exception's type and message and log its traceback."""
        message = f"{exc_type.__name__}: {exc}"
        self.client.set_tag(self.run_id, "error", safe_value(message, MAX_TAG_LENGTH))
        if exc is not None:
            lines = traceback.format_exception(exc_type, exc, exc.__traceback__)
            self.client.log_text(self.run_id, "".join(lines), "error/traceback.txt")

    def log_metric(self, key, value, step):
        """Buffer one value and send the buffer once it is full or FLUSH_INTERVAL_SECONDS passed."""
        self.buffer.add(key, value, step)
        full = len(self.buffer.pending) >= MAX_METRICS_PER_BATCH
        if full or time.perf_counter() - self.last_flush > FLUSH_INTERVAL_SECONDS:
            self.flush()

    def flush(self):
        """Send every buffered metric in batches of at most 1000."""
        pending = self.buffer.drain()
        for start in range(0, len(pending), MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id,
                                  metrics=pending[start:start + MAX_METRICS_PER_BATCH])
        self.last_flush = time.perf_counter()

    def log_params(self, params):
        """Log params with keys and values made safe for MLflow and credentials redacted."""
        items = [Param(key, value) for key, value in safe_params(params).items()]
        for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start:start + MAX_PARAMS_PER_BATCH])

    def set_tags(self, tags):
        items = [RunTag(key, value) for key, value in safe_tags(tags).items()]
        self.client.log_batch(self.run_id, tags=items)

    def log_artifact(self, path, artifact_path=None):
        self.client.log_artifact(self.run_id, str(path), artifact_path)

    def log_artifacts(self, folder, artifact_path=None):
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    def log_dataset(self, frame, name, source, target, context="train"):
        """Record the data set (name, digest, source) as an input of the run."""
        if source.startswith(("http://", "https://")):
            dataset_source = HTTPDatasetSource(source)
        else:
            dataset_source = get_dataset_source_from_json(json.dumps({"uri": source}), "local")
        with warnings.catch_warnings(), timed("from_pandas"):
            # MLflow warns that integer columns cannot contain missing values. Ours have none.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            dataset = mlflow.data.from_pandas(frame, source=dataset_source, name=name,
                                              targets=target)
            # NOTE: _to_mlflow_entity is what mlflow.log_input calls, because the client API has no
            # public way to turn a Dataset into the entity that log_inputs takes.
            entity = dataset._to_mlflow_entity()
        context_tag = InputTag(key="mlflow.data.context", value=context)
        inputs = [DatasetInput(entity, tags=[context_tag])]
        try:
            self.client.log_inputs(self.run_id, inputs)
        except MlflowException as error:
            # MLflow 3.17 looks a data set up, then inserts it when missing, in two steps. Jobs
            # of a parallel sweep that log the same data set into an experiment that lacks it
            # can both miss it, and the later insert fails. Its retry finds the stored data set.
            if not is_duplicate_dataset_error(error):
                raise
            log.info("data set %r was stored by a parallel job meanwhile; linking it to run %s",
                     name, self.run_id)
            self.client.log_inputs(self.run_id, inputs)
