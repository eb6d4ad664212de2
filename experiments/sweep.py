"""A multirun as one MLflow parent run, with every job a child run, and its comparison report.

``SweepTrackingCallback`` (named in conf/config.yaml) creates the MLflow store and experiment
before any job starts and opens the parent run. The parent's id reaches each job inside the
callback itself. Every launcher hands Hydra's callbacks to its jobs, pickled when the jobs start,
whether it runs them in this process, in local worker processes or on a Ray or SLURM node. When
the sweep ends, the parent receives the comparison report, the best child's params and metrics,
and the sweep's timing.

The parent ends FAILED when a child failed or diverged, and KILLED when Ctrl-C or SIGTERM stopped
the sweep. The sweep's last output line counts the jobs that finished, failed and diverged, and
the command exits with status 1 when any job failed.
"""

import atexit
import contextlib
import copy
import json
import logging
import math
import shlex
import signal
import sys
import time
from pathlib import Path

from hydra.experimental.callback import Callback

import mytorch
from experiments.job_signals import received_signal
from experiments.tracking import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MLFLOW_TIMER,
    TimedClient,
    ensure_experiment,
    git_state,
)

log = logging.getLogger(__name__)

REPORT_FOLDER = "report"
TIMING_FILE = "sweep_timing.json"
# Files that Hydra or its sweepers leave in the sweep folder, logged on the parent when present.
SWEEP_FILES = ("multirun.yaml", "optimization_results.yaml")
# MLflow shows this tag as the run's description, so the parent's page opens on the verdict.
NOTE_TAG = "mlflow.note.content"
MAX_TAG_LENGTH = 5000


# The launching process's parent run, as (run_id, tracking_uri), and git state, as
# (commit, dirty), for the job running in this process. SweepTrackingCallback.on_job_start
# sets both.
_job_parent = None
_launch_git_state = None


def job_parent_run_id(tracking_uri):
    """Return the id of the parent run of the sweep that this job belongs to, or None.

    None also when the parent was made in another tracking store, because a child must live in
    its parent's store and experiment for MLflow to group them.
    """
    if _job_parent is None:
        log.warning("this job has no sweep parent run, so it is logged as a top-level run")
        return None
    run_id, parent_uri = _job_parent
    if parent_uri != tracking_uri:
        log.warning("the sweep's parent run is in %s, not in this job's store %s, so "
                    "the job gets no parent run", parent_uri, tracking_uri)
        return None
    return run_id


def job_git_state():
    """Return (commit, dirty) of the checkout that launched this job.

    A job that Ray runs has a copy of the repository without its .git folder, so the sweep's
    launching process reads the state once and hands it to every job.
    """
    return _launch_git_state or git_state()


def sweep_folder(hydra_cfg):
    """Return the absolute sweep folder, the same in the launching process and in every job.

    A relative ``hydra.sweep.dir`` is taken from the launch directory, because a job that Ray
    runs starts in a copy of the repository, not where the sweep was launched.
    """
    return (Path(hydra_cfg.runtime.cwd) / hydra_cfg.sweep.dir).resolve()


def count_children(client, experiment_id, parent_run_id):
    """Return the counts of a sweep's jobs by outcome.

    The keys are jobs, finished, failed, diverged, stopped (KILLED) and running. A diverged run
    also counts as failed, because it ends FAILED.
    """
    runs, token = [], None
    while True:
        page = client.search_runs([experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
                                  page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    statuses = [run.info.status for run in runs]
    return {
        "jobs": len(runs),
        "finished": statuses.count("FINISHED"),
        "failed": statuses.count("FAILED"),
        "diverged": sum(run.data.tags.get("diverged") == "true" for run in runs),
        "stopped": statuses.count("KILLED"),
        "running": statuses.count("RUNNING"),
    }


def format_counts(counts):
    line = (f"{counts['jobs']} jobs: {counts['finished']} finished, {counts['failed']} failed, "
            f"{counts['diverged']} diverged")
    if counts["stopped"]:
        line += f", {counts['stopped']} stopped"
    return line


def sweep_timing(wall_seconds, timer_at_start, jobs):
    """Return the sweep's timing summary.

    ``jobs`` is the report's summary table. The MLflow share of the jobs is computed from their
    own ``job_seconds`` and ``mlflow_seconds`` metrics, so it counts the jobs of every launcher.
    This process's MLflow calls include all the jobs only with the basic launcher, which runs them
    here.
    """
    in_process = MLFLOW_TIMER.seconds - timer_at_start.seconds
    by_method = {
        name: round(seconds - timer_at_start.seconds_by_method.get(name, 0.0), 3)
        for name, seconds in sorted(MLFLOW_TIMER.seconds_by_method.items(),
                                    key=lambda item: -item[1])
    }
    job_seconds = float(jobs["job_seconds"].sum()) if "job_seconds" in jobs else 0.0
    job_mlflow = float(jobs["mlflow_seconds"].sum()) if "mlflow_seconds" in jobs else 0.0
    return {
        "wall_seconds": round(wall_seconds, 3),
        "jobs": len(jobs),
        "jobs_seconds": round(job_seconds, 3),
        "jobs_mlflow_seconds": round(job_mlflow, 3),
        "jobs_mlflow_share": round(job_mlflow / job_seconds, 4) if job_seconds > 0 else 0.0,
        "process_mlflow_seconds": round(in_process, 3),
        "process_mlflow_calls": MLFLOW_TIMER.calls - timer_at_start.calls,
        "process_mlflow_seconds_by_method": by_method,
    }


class SweepTrackingCallback(Callback):
    """Create the MLflow store and experiment before any job, and run a sweep's parent run.

    Jobs that start together on a SQLite file that does not exist yet race on creating its
    tables, so the database is created here, before the launcher starts any job.

    The parent ends FINISHED in ``on_multirun_end``. Hydra skips that hook when a job fails or
    Ctrl-C stops the sweep, so an exit handler then ends the parent FAILED or KILLED.
    """

    def __init__(self):
        self.client = None
        self.experiment_id = None
        self.parent_run_id = None
        self.tracking_uri = None
        self.git_state = None
        self.started = None
        self.timer_at_start = None
        self.interrupted = False
        self._previous_sigint = None

    def __getstate__(self):
        # Launchers that run jobs in other processes pickle the callbacks. A client cannot be
        # pickled, and the jobs do not need it.
        state = self.__dict__.copy()
        state["client"] = None
        state["_previous_sigint"] = None
        return state

    def _setup(self, config):
        self.client = TimedClient(config.tracking.uri)
        return ensure_experiment(self.client, config.tracking.experiment)

    def on_run_start(self, config, **kwargs):
        self._setup(config)

    def on_job_start(self, config, **kwargs):
        # In a job's process this callback is the launcher's copy, made after the parent
        # run was created, so it carries the parent's id to the job.
        global _job_parent, _launch_git_state
        _job_parent = (None if self.parent_run_id is None
                       else (self.parent_run_id, self.tracking_uri))
        _launch_git_state = self.git_state

    def on_multirun_start(self, config, **kwargs):
        self.started = time.perf_counter()
        self.timer_at_start = copy.deepcopy(MLFLOW_TIMER)
        experiment_id = self._setup(config)
        self.experiment_id = experiment_id

        sweep_dir = sweep_folder(config.hydra)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        choices = config.hydra.runtime.choices
        preset = choices.get("experiment")
        commit, dirty = self.git_state = git_state()
        tags = {
            "sweep_parent": "true",
            # The children carry the same tag, so `tags.sweep = '...'` finds the whole sweep.
            "sweep": str(sweep_dir),
            "command_line": shlex.join(["python", *sys.argv]),
            "experiment_preset": preset or "none",
            "sweeper": config.hydra.sweeper._target_,
            "launcher": config.hydra.launcher._target_,
            "mlflow.source.git.commit": commit,
            "git_dirty": dirty,
            "mytorch_version": mytorch.__version__,
        }
        run_name = f"{preset} {sweep_dir}" if preset else str(sweep_dir)
        run = self.client.create_run(experiment_id, run_name=run_name, tags=tags)
        self.parent_run_id = run.info.run_id
        self.tracking_uri = config.tracking.uri
        log.info("MLflow parent run %s (%s) for the sweep in %s", self.parent_run_id,
                 run.info.run_name, sweep_dir)

        atexit.register(self._end_unfinished)
        self._watch_sigint()

    def _watch_sigint(self):
        """Note Ctrl-C, so the exit handler can tell an interrupted sweep from a failed one."""
        with contextlib.suppress(ValueError):  # signal handlers live in the main thread only
            previous = signal.getsignal(signal.SIGINT)

            def on_sigint(signum, frame):
                self.interrupted = True
                if callable(previous):
                    previous(signum, frame)
                else:
                    raise KeyboardInterrupt

            signal.signal(signal.SIGINT, on_sigint)
            self._previous_sigint = previous

    def _stop_watching(self):
        atexit.unregister(self._end_unfinished)
        if self._previous_sigint is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGINT, self._previous_sigint)
            self._previous_sigint = None

    def _end_parent(self, status, error=None):
        run_id, self.parent_run_id = self.parent_run_id, None
        try:
            if error is not None:
                self.client.set_tag(run_id, "error", error[:MAX_TAG_LENGTH])
        finally:
            self.client.set_terminated(run_id, status=status)
            log.info("MLflow parent run %s ended %s", run_id, status)

    def _end_unfinished(self):
        """End a parent run that on_multirun_end never reached, at interpreter exit."""
        if self.parent_run_id is None:
            return
        # SIGTERM is noted by experiments.job_signals, whose handler run.py installs.
        signum = received_signal()
        stopped = self.interrupted or signum is not None
        reason = (f"the sweep was stopped by {signal.Signals(signum or signal.SIGINT).name}"
                  if stopped else "the sweep stopped before its end, most likely because a job "
                                  "failed; see the children's error tags")
        self._end_running_children(reason)
        counts = self._print_counts("sweep stopped before its end")
        if not stopped and counts is not None and counts["jobs"] == 0:
            self._delete_empty_parent()
            return
        self._end_parent("KILLED" if stopped else "FAILED", reason)

    def _delete_empty_parent(self):
        """Delete the parent of a sweep whose first job was rejected before its run started.

        Bad input stops a job before it creates a run, so the parent has no child and nothing
        to report. A single job leaves no run in that case, and the sweep then leaves none
        either (MLflow keeps the deleted run in its trash until ``mlflow gc``).
        """
        run_id, self.parent_run_id = self.parent_run_id, None
        try:
            self.client.set_terminated(run_id, status="FAILED")
        finally:
            self.client.delete_run(run_id)
            log.info("MLflow parent run %s deleted: no job of the sweep started a run", run_id)

    def _end_running_children(self, reason):
        """End as KILLED the children still RUNNING when the sweep process exits.

        A signal to the launching process does not reach joblib's worker processes, which are
        then shut down with their jobs unfinished, so their runs would stay RUNNING for good.
        """
        query = (f"tags.mlflow.parentRunId = '{self.parent_run_id}' "
                 "and attributes.status = 'RUNNING'")
        try:
            running = self.client.search_runs([self.experiment_id], filter_string=query)
            for run in running:
                self.client.set_tag(run.info.run_id, "stopped_by", reason[:MAX_TAG_LENGTH])
                self.client.set_terminated(run.info.run_id, status="KILLED")
                log.info("MLflow run %s of the stopped sweep ended KILLED", run.info.run_id)
        except Exception:
            # The parent still has to be ended, so a failure here is logged, not raised.
            log.exception("ending the running children of parent run %s failed",
                          self.parent_run_id)

    def _print_counts(self, prefix):
        """Print the job counts as the sweep's last line, and return them."""
        try:
            counts = count_children(self.client, self.experiment_id, self.parent_run_id)
        except Exception:
            # The counts only inform, and the parent still has to be ended.
            log.exception("counting the jobs of parent run %s failed", self.parent_run_id)
            return None
        print(f"{prefix}: {format_counts(counts)}", flush=True)
        return counts

    def on_multirun_end(self, config, **kwargs):
        if self.parent_run_id is None:
            return
        self._stop_watching()
        sweep_dir = sweep_folder(config.hydra)
        try:
            self._report(config, sweep_dir)
        except Exception as error:
            # Every job has finished and is logged, so only the parent's comparison is incomplete.
            log.exception("writing the sweep report of parent run %s failed", self.parent_run_id)
            self._end_parent("FAILED", f"the report failed: {type(error).__name__}: {error}")
            return

        counts = count_children(self.client, self.experiment_id, self.parent_run_id)
        if counts["failed"]:
            self._end_parent("FAILED", f"{counts['failed']} jobs failed, {counts['diverged']} "
                                       f"of them diverged; see the children's error tags")
        else:
            self._end_parent("FINISHED")
        print(f"sweep done: {format_counts(counts)}", flush=True)
        if counts["failed"]:
            # Exit status 1 lets scripts and CI see the failures.
            raise SystemExit(1)

    def _report(self, config, sweep_dir):
        """Build the comparison from the store and log it, the best child and the timing."""
        # Imported here because a single run, which also loads this callback, needs no pandas.
        from experiments.sweep_report import build_report, format_summary, search_runs_frame

        run_id = self.parent_run_id
        experiment_id = ensure_experiment(self.client, config.tracking.experiment)
        frame = search_runs_frame(self.client, [experiment_id],
                                  f"tags.mlflow.parentRunId = '{run_id}'")
        parent = self.client.get_run(run_id)
        report = build_report(self.client, frame, sweep_dir / REPORT_FOLDER,
                              title=f"Sweep {parent.info.run_name}")

        jobs = frame.rename(columns=lambda column: column.removeprefix("metrics."))
        timing = sweep_timing(time.perf_counter() - self.started, self.timer_at_start, jobs)
        (sweep_dir / TIMING_FILE).write_text(json.dumps(timing, indent=2) + "\n")
        log.info("sweep of %d jobs took %.1f s; the jobs spent %.1f%% of their time in MLflow "
                 "calls; see %s", timing["jobs"], timing["wall_seconds"],
                 100 * timing["jobs_mlflow_share"], sweep_dir / TIMING_FILE)
        if len(report.summary):
            log.info("sweep results, lowest final validation loss first:\n%s",
                     format_summary(report.summary))

        self.client.log_artifacts(run_id, str(sweep_dir / REPORT_FOLDER))
        for name in (TIMING_FILE, *SWEEP_FILES):
            if (sweep_dir / name).exists():
                self.client.log_artifact(run_id, str(sweep_dir / name))
        self._copy_best_child(run_id, report, frame)
        from mlflow.entities import Metric

        sweep_metrics = [Metric("sweep_seconds", timing["wall_seconds"], 0, 0),
                         Metric("jobs_mlflow_share", timing["jobs_mlflow_share"], 0, 0)]
        self.client.log_batch(run_id, metrics=sweep_metrics)
        note = (sweep_dir / REPORT_FOLDER / "report.md").read_text()
        self.client.set_tag(run_id, NOTE_TAG, note[:MAX_TAG_LENGTH])

    def _copy_best_child(self, run_id, report, frame):
        """Copy the best child's params and final metrics onto the parent, with best_run_id."""
        from mlflow.entities import Metric, Param, RunTag

        best = report.best_run
        if best is None:
            log.warning("no child of parent run %s finished without diverging, so there is "
                        "no best run", run_id)
            return
        child = self.client.get_run(best["run_id"])
        params = [Param(key, value) for key, value in child.data.params.items()]
        for start in range(0, len(params), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(run_id, params=params[start:start + MAX_PARAMS_PER_BATCH])
        now = int(time.time() * 1000)
        metrics = [Metric(key, value, now, 0) for key, value in child.data.metrics.items()
                   if math.isfinite(value)]
        for start in range(0, len(metrics), MAX_METRICS_PER_BATCH):
            self.client.log_batch(run_id, metrics=metrics[start:start + MAX_METRICS_PER_BATCH])
        tags = [RunTag("best_run_id", best["run_id"]), RunTag("best_run_name", best["run_name"])]
        self.client.log_batch(run_id, tags=tags)
