"""experiments/server.py: a real PostgreSQL and a real `mlflow server`, on 127.0.0.1 only.

PostgreSQL's server binaries come from Debian's postgresql package. Without them these tests
skip, unless MYTORCH_INTEGRATION=required (as CI sets it), which makes them fail instead.
"""

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import HarnessStore
from local_cluster import free_port

from experiments import server

pytest.importorskip("mlflow", reason="the tracking server tests need the [server] extra")
psycopg2 = pytest.importorskip("psycopg2", reason="the tracking server tests need the [server] "
                               "extra (psycopg2-binary)")

from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

SERVER_SCRIPT = Path(server.__file__)
ADMIN = "team-admin"
ADMIN_PASSWORD = "correct-horse-battery-staple"


def require_postgres():
    try:
        server.find_postgres_bindir()
    except server.ServerError as error:
        if os.environ.get("MYTORCH_INTEGRATION") == "required":
            pytest.fail(f"MYTORCH_INTEGRATION=required but {error}")
        pytest.skip(str(error))


def recorded_pids(root):
    record = server.read_record(root)
    return [pid for pid in record["pids"].values() if pid] if record else []


def kill_leftovers(pids):
    """Kill each recorded PID that a failed stop left running, so no test leaks a server."""
    for pid in pids:
        if server.pid_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def server_root():
    """A fresh --root folder that the postgres system user can reach.

    pytest's tmp_path lies under a folder of mode 700. PostgreSQL, run as the postgres user when
    the tests run as root, could not enter it, but /tmp lets every user through.
    """
    root = Path(tempfile.mkdtemp(prefix="mytorch-server-"))
    root.chmod(0o711)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def tracking_server(server_root):
    """Return a function that starts the servers in ``server_root`` on free ports.

    Whatever it started is stopped at teardown, also when the test fails.
    """
    require_postgres()
    started = []

    def start(**options):
        record = server.start_servers(server_root, port=free_port(), db_port=free_port(),
                                      workers=1, **options)
        started.append(record)
        return record

    try:
        yield start
    finally:
        pids = recorded_pids(server_root)
        try:
            if pids:
                server.stop_servers(server_root)
        finally:
            kill_leftovers(pids)


def harness_command(cwd, *args, env_extra=None):
    """Run experiments/run.py with ``args`` in ``cwd``, as HarnessStore does, and check it."""
    command, env = HarnessStore(cwd).command("run.py", *args)
    env.update(env_extra or {})
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, (f"{' '.join(command)} exited {completed.returncode}\n"
                                       f"stderr:\n{completed.stderr[-4000:]}")
    return completed


def count_rows(root, db_port, query):
    connection = psycopg2.connect(host="127.0.0.1", port=db_port, user="postgres",
                                  dbname="mlflow", passfile=str(root / "pgpass"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchone()[0]
    finally:
        connection.close()


def http_status(url, username=None, password=None):
    request = urllib.request.Request(url)
    if username is not None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_server_postgres_sweep(tracking_server, server_root, tmp_path, monkeypatch):
    for name in [key for key in os.environ if key.startswith("MLFLOW_TRACKING_")]:
        monkeypatch.delenv(name)
    record = tracking_server()
    uri = record["tracking_uri"]
    assert uri == f"http://127.0.0.1:{record['port']}"

    harness_command(tmp_path, "-m", f"tracking.uri={uri}", "trainer.epochs=3",
                    "optimizer.lr=0.03", "trainer.batch_size=16,64",
                    f"hydra.sweep.dir={tmp_path / 'multirun'}")

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("mytorch")
    runs = client.search_runs([experiment.experiment_id])
    parents = [run for run in runs if run.data.tags.get("sweep_parent") == "true"]
    assert len(parents) == 1
    children = [run for run in runs
                if run.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(children) == 2
    assert [run.info.status for run in [*parents, *children]] == ["FINISHED"] * 3
    assert sorted(run.data.params["trainer.batch_size"] for run in children) == ["16", "64"]

    child = children[0]
    epochs = int(child.data.params["trainer.epochs"])
    history = client.get_metric_history(child.info.run_id, "val_loss")
    assert sorted(metric.step for metric in history) == list(range(1, epochs + 1))

    config_path = client.download_artifacts(child.info.run_id, "config.yaml", str(tmp_path))
    config = yaml.safe_load(Path(config_path).read_text())
    assert config["trainer"]["epochs"] == epochs
    assert config["optimizer"]["lr"] == 0.03

    # The runs are rows in PostgreSQL and the artifacts are files under DIR/artifacts.
    assert count_rows(server_root, record["db_port"], "SELECT count(*) FROM runs") == 3
    metric_rows = count_rows(server_root, record["db_port"],
                             f"SELECT count(*) FROM metrics WHERE run_uuid = "
                             f"'{child.info.run_id}' AND key = 'val_loss'")
    assert metric_rows == epochs
    stored = (server_root / "artifacts" / experiment.experiment_id / child.info.run_id
              / "artifacts" / "config.yaml")
    assert stored.read_text() == Path(config_path).read_text()


def test_server_basic_auth(tracking_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    record = tracking_server(auth=True)
    uri = record["tracking_uri"]
    search = f"{uri}/api/2.0/mlflow/experiments/search?max_results=1"

    assert http_status(f"{uri}/health") == 200
    assert http_status(search) == 401
    assert http_status(search, ADMIN, "wrong-password-123") == 401
    assert http_status(search, ADMIN, ADMIN_PASSWORD) == 200

    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    with pytest.raises(MlflowException, match="401"):
        MlflowClient(uri).create_experiment("anonymous")

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-password-123")
    with pytest.raises(MlflowException, match="401"):
        MlflowClient(uri).create_experiment("wrong-password")

    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("authorized")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "loss", 0.25, step=1)
    note = tmp_path / "note.txt"
    note.write_text("logged through basic auth")
    client.log_artifact(run.info.run_id, str(note))
    client.set_terminated(run.info.run_id, "FINISHED")

    finished = client.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.data.metrics == {"loss": 0.25}
    downloaded = client.download_artifacts(run.info.run_id, "note.txt", str(tmp_path / "out"))
    assert Path(downloaded).read_text() == "logged through basic auth"

    credentials = {"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": ADMIN_PASSWORD}
    harness_command(tmp_path, f"tracking.uri={uri}", "trainer.epochs=2",
                    f"hydra.run.dir={tmp_path / 'outputs'}", env_extra=credentials)
    harness_runs = client.search_runs([client.get_experiment_by_name("mytorch").experiment_id])
    assert [harness_run.info.status for harness_run in harness_runs] == ["FINISHED"]


def test_server_stop_ends_processes(tracking_server, server_root):
    record = tracking_server(public_names=["team-box"])
    pids = recorded_pids(server_root)
    assert len(pids) == 2
    assert all(server.pid_alive(pid) for pid in pids)

    # MLflow accepts the Host header of a name in --public-names and rejects an unknown one.
    search = "/api/2.0/mlflow/experiments/search?max_results=1"
    assert record["tracking_uri"] == f"http://team-box:{record['port']}"
    for host, expected in ((f"team-box:{record['port']}", 200), ("other-box", 403)):
        connection = socket.create_connection(("127.0.0.1", record["port"]), timeout=10)
        connection.sendall(f"GET {search} HTTP/1.1\r\nHost: {host}\r\n"
                           f"Connection: close\r\n\r\n".encode())
        status_line = connection.makefile("rb").readline().decode()
        connection.close()
        assert status_line.split()[1] == str(expected), (host, status_line)

    with pytest.raises(server.ServerError, match="already running"):
        server.start_servers(server_root, port=free_port(), db_port=free_port())

    stopped = subprocess.run([sys.executable, str(SERVER_SCRIPT), "stop", "--root",
                              str(server_root)], capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == f"stopped the server of {record['tracking_uri']}"
    assert [pid for pid in pids if server.pid_alive(pid)] == []
    assert server.live_group_members(record["pids"]["mlflow"]) == []
