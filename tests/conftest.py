# ---- experiment harness (tests/test_harness_*.py) ----------------------------------------------

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# experiments/ is not an installed package, so its tests import it from the repository root.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


class HarnessStore:
    """A temporary launch directory with its own SQLite MLflow store, and the CLI to run there."""

    def __init__(self, root):
        self.root = root
        self.uri = f"sqlite:///{root / 'mlflow.db'}"

    def command(self, script, *args):
        """Return the command line and environment that run ``experiments/<script> args``."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
        # Keeps MLflow from sending usage data to an outside host during tests.
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        return [sys.executable, str(REPO_ROOT / "experiments" / script), *args], env

    def train_args(self, *overrides, run_dir="outputs/run"):
        return (f"tracking.uri={self.uri}", f"hydra.run.dir={run_dir}",
                "hydra.sweep.dir=multirun", *overrides)

    def run(self, script, *args, check=True, timeout=300):
        """Run ``experiments/<script> args`` in the store's folder and return the result."""
        command, env = self.command(script, *args)
        completed = subprocess.run(command, cwd=self.root, env=env, capture_output=True,
                                   text=True, timeout=timeout)
        if check and completed.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {completed.returncode}\n"
                                 f"stdout:\n{completed.stdout[-4000:]}\n"
                                 f"stderr:\n{completed.stderr[-4000:]}")
        return completed

    def train(self, *overrides, check=True, run_dir="outputs/run", multirun=False):
        """Run experiments/run.py with ``overrides`` against this store."""
        flags = ("--multirun",) if multirun else ()
        return self.run("run.py", *flags, *self.train_args(*overrides, run_dir=run_dir),
                        check=check)

    def client(self):
        pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
        from mlflow import MlflowClient

        return MlflowClient(self.uri)

    def runs(self, experiment="mytorch"):
        client = self.client()
        found = client.get_experiment_by_name(experiment)
        if found is None:
            return []
        return client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.fixture(scope="session")
def harness_store(tmp_path_factory):
    """One store shared by the end-to-end harness tests, so each CLI run is paid for once."""
    return HarnessStore(tmp_path_factory.mktemp("harness"))


@pytest.fixture
def fresh_harness_store(tmp_path):
    """A store of this test's own, for tests that need to see every run in it."""
    return HarnessStore(tmp_path)
