"""Rerun a logged run from its logged config and compare every metric history, value by value.

    python experiments/reproduce.py RUN_ID [--tracking-uri sqlite:///mlflow.db]

Exits 0 when every metric matches bit for bit, and 1 when any metric differs or is missing on
one side, listing those metrics. Exits 2 with a one-line error when the run, its config or its
data cannot be found. Timing metrics (epoch_time, mlflow_seconds, job_seconds) are
skipped. The rerun creates no MLflow run and writes no files.
"""

import argparse
import logging
import sys
import tempfile
from pathlib import Path

# The script runs by path, so the repository root is put on sys.path to import experiments.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlflow.exceptions import MlflowException  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from experiments.errors import InputError  # noqa: E402
from experiments.pipeline import TIMING_METRICS, prepare_data, train_from_splits  # noqa: E402
from experiments.schemas import Config  # noqa: E402
from experiments.tracking import MetricBuffer, TimedClient, git_state  # noqa: E402
from experiments.validation import check_tracking_uri  # noqa: E402

log = logging.getLogger("reproduce")


def logged_histories(client, run_id, keys):
    """Return {key: [(step, value), ...]} of a logged run, ordered by step."""
    histories = {}
    for key in keys:
        history = client.get_metric_history(run_id, key)
        histories[key] = sorted(((m.step, m.value) for m in history), key=lambda pair: pair[0])
    return histories


def rerun_histories(cfg):
    """Train ``cfg`` again without tracking and return histories as ``logged_histories`` does."""
    buffer = MetricBuffer()
    splits = prepare_data(cfg)
    train_from_splits(cfg, splits, buffer.add)
    histories = {}
    for metric in buffer.drain():
        histories.setdefault(metric.key, []).append((metric.step, metric.value))
    return {key: sorted(pairs, key=lambda pair: pair[0]) for key, pairs in histories.items()}


def compare_histories(logged, rerun):
    """Return one line per metric whose history differs, empty when all match."""
    differences = []
    for key in sorted(set(logged) | set(rerun)):
        if key in TIMING_METRICS:
            continue
        if key not in rerun:
            differences.append(f"{key}: logged, but the rerun did not record it")
            continue
        if key not in logged:
            differences.append(f"{key}: recorded by the rerun, but not logged")
            continue

        old, new = logged[key], rerun[key]
        if len(old) != len(new):
            differences.append(f"{key}: {len(old)} logged values, {len(new)} in the rerun")
            continue
        for (old_step, old_value), (new_step, new_value) in zip(old, new, strict=True):
            if old_step != new_step or old_value != new_value:
                differences.append(f"{key}: first differs at step {old_step}: logged "
                                   f"{old_value!r}, rerun {new_value!r} (step {new_step})")
                break
    return differences


def load_logged_config(client, run_id):
    """Download the run's resolved config.yaml and validate it against the schemas."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = client.download_artifacts(run_id, "config.yaml", folder)
        except (MlflowException, OSError) as error:
            raise InputError(f"run {run_id} has no config.yaml artifact to rerun from "
                             f"({type(error).__name__}); reproduce a run that logged "
                             f"its config") from None
        logged = OmegaConf.load(path)
    return OmegaConf.merge(OmegaConf.structured(Config), logged)


def get_run(client, run_id, tracking_uri):
    """Return the run ``run_id``, raising InputError when the store does not contain it."""
    try:
        return client.get_run(run_id)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise InputError(f"run {run_id!r} not found in {tracking_uri}; check the run id "
                         f"(`mlflow ui` lists them) or pass --tracking-uri") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_id", help="id of the MLflow run to reproduce")
    parser.add_argument("--tracking-uri", default="sqlite:///mlflow.db",
                        help="MLflow store that contains the run (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return reproduce(args.run_id, args.tracking_uri)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def reproduce(run_id, tracking_uri):
    """Rerun ``run_id`` and print whether every metric matches; return the exit status."""
    check_tracking_uri(tracking_uri)
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix) and not Path(tracking_uri[len(prefix):]).is_file():
        # MLflow would create an empty database there and then report the run as missing.
        raise InputError(f"no MLflow database at {tracking_uri}; run reproduce.py from the "
                         f"launch directory of the run or pass --tracking-uri")
    client = TimedClient(tracking_uri)
    run = get_run(client, run_id, tracking_uri)
    logged_commit = run.data.tags.get("mlflow.source.git.commit", "unknown")
    commit, dirty = git_state()
    if logged_commit != commit:
        log.warning("run %s was logged at commit %s, the checkout is at %s", run_id,
                    logged_commit, commit)
    if run.data.tags.get("git_dirty") == "true" or dirty == "true":
        log.warning("the run's or the current tree has uncommitted changes; the code may differ")

    cfg = load_logged_config(client, run_id)
    logged = logged_histories(client, run_id, run.data.metrics.keys())
    rerun = rerun_histories(cfg)

    differences = compare_histories(logged, rerun)
    checked = len([key for key in logged if key not in TIMING_METRICS])
    if differences:
        print(f"run {run_id} NOT reproduced: {len(differences)} of {checked} metrics differ")
        for line in differences:
            print(f"  {line}")
        return 1
    values = sum(len(logged[key]) for key in logged if key not in TIMING_METRICS)
    print(f"run {run_id} reproduced: {checked} metrics, {values} values, all identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
