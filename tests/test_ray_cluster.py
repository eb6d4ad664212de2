"""A sweep on a local Ray cluster that logs to a team MLflow server on PostgreSQL.

Everything runs for real: PostgreSQL and `mlflow server` started by experiments/server.py, a Ray
head started by `ray start --head`, and the sweep launched with `hydra/launcher=ray` from the Ray
environment (.venv-ray, or the interpreter that MYTORCH_RAY_PYTHON names). Ray's daemons listen
on every interface, even with --node-ip-address=127.0.0.1 (Ray 2.60), so the whole module runs
in a network namespace of its own whose only interface is loopback: nothing it starts can be
reached from outside.

Without PostgreSQL, the Ray environment or the right to make a network namespace, the tests skip,
unless MYTORCH_INTEGRATION=required (as CI sets it), which makes them fail instead.
"""

import math
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import HarnessStore

pytest.importorskip("mlflow", reason="the cluster tests need the [server] extra")
pytest.importorskip("psycopg2", reason="the cluster tests need the [server] extra")

from local_cluster import (  # noqa: E402
    RAY_PYTHON,
    RayHead,
    TeamServer,
    UnavailableError,
    check_ray_environment,
    loopback_only_network,
)
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

from experiments import server  # noqa: E402

EPOCHS = 3
TRAIN_SAMPLES = 341  # breast_cancer's training split
BATCH_SIZES = (16, 64)
SEEDS = (0, 1)
EPOCH_KEYS = ("train_loss", "val_loss", "val_accuracy", "lr", "epoch_time")
# The account of the basic-auth server. The head's daemons read it from their
# ~/.mlflow/credentials, and the launching process from its environment.
USERNAME = "lab-admin"
PASSWORD = "a-long-enough-password"


def missing(reason):
    if os.environ.get("MYTORCH_INTEGRATION") == "required":
        pytest.fail(f"MYTORCH_INTEGRATION=required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def loopback_network():
    try:
        check_ray_environment()
        server.find_postgres_bindir()
        with loopback_only_network():
            yield
    except (UnavailableError, server.ServerError) as error:
        missing(str(error))


@pytest.fixture(scope="module")
def team_server(loopback_network):
    """experiments/server.py's PostgreSQL and mlflow server; yields the tracking URI."""
    servers = TeamServer()
    try:
        yield servers.tracking_uri
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def ray_head(loopback_network):
    """A Ray head on 127.0.0.1 with 2 CPUs, stopped with all its daemons at the end."""
    head = RayHead(num_cpus=2, mlflow_credentials=(USERNAME, PASSWORD))
    try:
        yield head
    finally:
        head.stop()


def run_ray_sweep(cwd, tracking_uri, head, *overrides, env_extra=None, check=True):
    command, env = HarnessStore(cwd).command(
        "run.py", "-m", "hydra/launcher=ray", f"hydra.launcher.ray.init.address={head.address}",
        f"tracking.uri={tracking_uri}", "hydra.sweep.dir=multirun/ray", *overrides)
    command[0] = str(RAY_PYTHON)
    env.update(head.env)
    env.update(env_extra or {})
    cwd.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                               timeout=900)
    assert not check or completed.returncode == 0, (f"the Ray sweep exited {completed.returncode}\n"
                                       f"stdout:\n{completed.stdout[-3000:]}\n"
                                       f"stderr:\n{completed.stderr[-5000:]}")
    return completed, time.perf_counter() - started


def steps(client, run_id, key):
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def test_ray_sweep_logs_to_team_server(team_server, ray_head, tmp_path):
    completed, seconds = run_ray_sweep(
        tmp_path, team_server, ray_head, f"trainer.epochs={EPOCHS}", "optimizer.lr=0.03",
        "trainer.batch_size=" + ",".join(map(str, BATCH_SIZES)),
        "seed=" + ",".join(map(str, SEEDS)))
    assert "sweep done: 4 jobs: 4 finished, 0 failed, 0 diverged" in completed.stdout
    print(f"4-job sweep on the local Ray cluster: {seconds:.1f} s")

    client = MlflowClient(team_server)
    experiment = client.get_experiment_by_name("mytorch")
    parents = client.search_runs([experiment.experiment_id], "tags.sweep_parent = 'true'")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["launcher"].endswith("hydra_ray_launcher.ray_launcher.RayLauncher")
    sweep = str(tmp_path / "multirun" / "ray")
    assert parent.data.tags["sweep"] == sweep

    children = client.search_runs([experiment.experiment_id],
                                  f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted((int(run.data.params["trainer.batch_size"]), int(run.data.params["seed"]))
                  for run in children) == [(b, s) for b in BATCH_SIZES for s in SEEDS]
    for run in children:
        run_id = run.info.run_id
        assert run.info.status == "FINISHED"
        assert run.data.tags["sweep"] == sweep
        # Ray ran the job in its copy of the repository, inside the head's temporary folder.
        assert run.data.tags["hydra_output_dir"].startswith(str(ray_head.temp_dir))
        # That copy has no .git, so the commit is the one the launching checkout reported.
        assert run.data.tags["mlflow.source.git.commit"] == \
            parent.data.tags["mlflow.source.git.commit"]
        updates = EPOCHS * math.ceil(TRAIN_SAMPLES / int(run.data.params["trainer.batch_size"]))
        assert steps(client, run_id, "batch_loss") == list(range(1, updates + 1))
        for key in EPOCH_KEYS:
            assert steps(client, run_id, key) == list(range(1, EPOCHS + 1)), key
        assert run.data.tags["epochs_run"] == str(EPOCHS)

    best = client.get_run(parent.data.tags["best_run_id"])
    assert best.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert parent.data.metrics["val_loss"] == best.data.metrics["val_loss"] == \
        min(run.data.metrics["val_loss"] for run in children)

    # The artifacts went to the server over HTTP; they come back the same way and decode.
    import matplotlib.image as image
    import pandas as pd
    import yaml

    child_files = Path(client.download_artifacts(best.info.run_id, "", str(tmp_path / "child")))
    pixels = image.imread(child_files / "plots" / "loss_curve.png")
    assert pixels.ndim == 3
    assert pixels.shape[0] > 100
    config = yaml.safe_load((child_files / "config.yaml").read_text())
    assert config["trainer"]["epochs"] == EPOCHS
    parent_files = Path(client.download_artifacts(parent.info.run_id, "",
                                                  str(tmp_path / "parent")))
    assert (parent_files / "report.md").read_text().startswith(f"# Sweep {sweep}")
    summary = pd.read_csv(parent_files / "summary.csv")
    assert sorted(summary["run_id"]) == sorted(run.info.run_id for run in children)


def test_ray_sweep_basic_auth(loopback_network, ray_head, tmp_path):
    """Jobs log with their machine's credentials file; a wrong password is rejected at once."""
    credentials = {"MLFLOW_TRACKING_USERNAME": USERNAME, "MLFLOW_TRACKING_PASSWORD": PASSWORD}
    assert not any(key in os.environ for key in credentials)
    with pytest.MonkeyPatch.context() as patch:
        # The server makes its admin account from the same two variables.
        for key, value in credentials.items():
            patch.setenv(key, value)
        servers = TeamServer(workers=1, auth=True)
    try:
        wrong = {**credentials, "MLFLOW_TRACKING_PASSWORD": "not-the-password"}
        rejected, _ = run_ray_sweep(tmp_path / "rejected", servers.tracking_uri, ray_head,
                                   "trainer.epochs=2", env_extra=wrong, check=False)
        assert rejected.returncode == 2
        assert rejected.stderr.strip().splitlines() == [
            f"error: the MLflow server at tracking.uri='{servers.tracking_uri}' rejected the "
            f"credentials (HTTP 401); set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
            f"to an account of that server"]

        completed, _ = run_ray_sweep(tmp_path / "accepted", servers.tracking_uri, ray_head,
                                     "trainer.epochs=2", "seed=0,1", "optimizer.lr=0.03",
                                     "trainer.batch_size=64", env_extra=credentials)
        assert "sweep done: 2 jobs: 2 finished, 0 failed, 0 diverged" in completed.stdout
        assert PASSWORD not in completed.stdout + completed.stderr

        anonymous = MlflowClient(servers.tracking_uri)
        with pytest.raises(MlflowException, match="401|Unauthorized|credentials"):
            anonymous.get_experiment_by_name("mytorch")
        with pytest.MonkeyPatch.context() as patch:
            for key, value in credentials.items():
                patch.setenv(key, value)
            client = MlflowClient(servers.tracking_uri)
            experiment = client.get_experiment_by_name("mytorch")
            runs = client.search_runs([experiment.experiment_id])
        # The rejected sweep made no run: one parent and its 2 children, all FINISHED.
        assert sorted(run.info.status for run in runs) == ["FINISHED"] * 3
        assert sum(run.data.tags.get("sweep_parent") == "true" for run in runs) == 1
    finally:
        servers.stop()
