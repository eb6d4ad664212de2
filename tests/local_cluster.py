"""A throwaway team setup on one machine: a loopback-only network, a Ray head and the servers.

Used by tests/test_ray_cluster.py and benchmarks/bench_launchers.py. Ray's daemons listen on
every interface, even with --node-ip-address=127.0.0.1 (Ray 2.60), so they run in a network
namespace of their own whose only interface is loopback: nothing started there can be reached
from outside.
"""

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from experiments import server

REPO_ROOT = Path(__file__).resolve().parents[1]
RAY_PYTHON = Path(os.environ.get("MYTORCH_RAY_PYTHON", REPO_ROOT / ".venv-ray" / "bin" / "python"))
CLONE_NEWNET = 0x40000000
STARTUP_SECONDS = 120


class UnavailableError(Exception):
    """Error raised when a piece of the setup is missing. The message names it and how to add it."""


def check_ray_environment():
    """Raise UnavailableError unless RAY_PYTHON imports Ray and Hydra's Ray launcher."""
    if not RAY_PYTHON.exists():
        raise UnavailableError(f"no Ray environment at {RAY_PYTHON}; make it with `python3 -m venv "
                          f".venv-ray && .venv-ray/bin/pip install -e \".[ray]\"` or set "
                          f"MYTORCH_RAY_PYTHON")
    probe = subprocess.run([str(RAY_PYTHON), "-c", "import ray, hydra_plugins.hydra_ray_launcher"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise UnavailableError(f"{RAY_PYTHON} cannot import ray and hydra-ray-launcher: "
                          f"{probe.stderr.strip().splitlines()[-1:]}")


@contextlib.contextmanager
def loopback_only_network():
    """Move this thread, and every process it starts, into a new network namespace.

    Only the loopback interface exists there, so 127.0.0.1 is the one address that works. The
    thread returns to its own namespace at the end.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise UnavailableError(f"cannot make a network namespace: "
                              f"{os.strerror(ctypes.get_errno())}")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        yield
    finally:
        if libc.setns(original, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "could not return to the original network namespace")
        os.close(original)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_mentioning(text):
    """Return the PIDs whose command line contains ``text``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if text.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
    return pids


def stop_pids(pids, timeout=30):
    """Send SIGTERM to each PID, then SIGKILL to those still alive after ``timeout``."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(server.pid_alive(pid) for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        if server.pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def ray_environment(token):
    """Return the variables that every process joining the head needs."""
    return {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": str(token)}


class RayHead:
    """A Ray head on 127.0.0.1 from `ray start --head --block`, with a token of its own."""

    def __init__(self, num_cpus=2, mlflow_credentials=None):
        # Ray's socket paths must stay short, so its folder lies directly under /tmp.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray-"))
        self.address = f"127.0.0.1:{free_port()}"
        # The head requires this token from every process that joins it, as a lab's cluster
        # should; it is the head's own, not the user's ~/.ray/auth_token.
        self.token = self.temp_dir / "auth_token"
        self.token.write_text(secrets.token_hex(32))
        self.token.chmod(0o600)
        self.env = ray_environment(self.token)
        daemon_env = {**os.environ, **self.env}
        if mlflow_credentials is not None:
            # The daemons, and so the jobs, read the credentials where MLflow's client looks
            # by default: ~/.mlflow/credentials, under a home folder of the head's own.
            daemon_env["HOME"] = str(self.write_credentials(*mlflow_credentials))
        self.log_path = self.temp_dir / "ray-start.log"
        command = [str(RAY_PYTHON.parent / "ray"), "start", "--head", "--block",
                   "--node-ip-address=127.0.0.1", f"--port={self.address.split(':')[1]}",
                   f"--num-cpus={num_cpus}", "--include-dashboard=false",
                   "--disable-usage-stats", "--object-store-memory=100000000",
                   f"--temp-dir={self.temp_dir}"]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env=daemon_env,
                                            start_new_session=True)
        try:
            self._wait_until_started()
        except BaseException:
            self.stop()
            raise

    def write_credentials(self, username, password):
        """Write an MLflow credentials file into a new home folder and return the folder."""
        home = self.temp_dir / "home"
        (home / ".mlflow").mkdir(parents=True)
        credentials = home / ".mlflow" / "credentials"
        credentials.write_text(f"[mlflow]\nmlflow_tracking_username = {username}\n"
                               f"mlflow_tracking_password = {password}\n")
        credentials.chmod(0o600)
        return home

    def _wait_until_started(self):
        deadline = time.monotonic() + STARTUP_SECONDS
        while "Ray runtime started" not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start failed:\n{self.log_path.read_text()[-4000:]}")
            time.sleep(0.5)

    def stop(self):
        """Stop the head and its daemons, and remove its folder."""
        # `ray start --block` stops its daemons on SIGTERM; any it left are found by the
        # temporary folder, unique to this head, on their command lines.
        stop_pids([self.process.pid])
        stop_pids(processes_mentioning(str(self.temp_dir)))
        shutil.rmtree(self.temp_dir, ignore_errors=True)


class TeamServer:
    """experiments/server.py's PostgreSQL and mlflow server on free ports of 127.0.0.1."""

    def __init__(self, workers=2, **options):
        # The postgres system user, which runs the database when this runs as root, must be
        # able to enter the folder, and pytest's tmp_path is private to root.
        self.root = Path(tempfile.mkdtemp(prefix="mytorch-team-"))
        self.root.chmod(0o711)
        self.pids = []
        try:
            record = server.start_servers(self.root, port=free_port(), db_port=free_port(),
                                          workers=workers, **options)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.pids = [pid for pid in record["pids"].values() if pid]
        self.tracking_uri = record["tracking_uri"]

    def stop(self):
        try:
            server.stop_servers(self.root)
        finally:
            stop_pids([pid for pid in self.pids if server.pid_alive(pid)], timeout=5)
            shutil.rmtree(self.root, ignore_errors=True)
