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


class SweepRuns:
    """The parent run of one multirun and its child runs, as MLflow Run objects."""

    def __init__(self, parent, children):
        self.parent = parent
        self.children = children

    @property
    def sweep_dir(self):
        return Path(self.parent.data.tags["sweep"])


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

    def train_args(self, *overrides, run_dir="outputs/run", sweep_dir="multirun"):
        return (f"tracking.uri={self.uri}", f"hydra.run.dir={run_dir}",
                f"hydra.sweep.dir={sweep_dir}", *overrides)

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

    def train(self, *overrides, check=True, run_dir="outputs/run", sweep_dir="multirun",
              multirun=False, timeout=300):
        """Run experiments/run.py with ``overrides`` against this store."""
        flags = ("--multirun",) if multirun else ()
        args = self.train_args(*overrides, run_dir=run_dir, sweep_dir=sweep_dir)
        return self.run("run.py", *flags, *args, check=check, timeout=timeout)

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

    def sweep(self, sweep_dir="multirun"):
        """Return the latest sweep in ``sweep_dir``, relative to the store folder, as SweepRuns."""
        runs = self.runs()
        folder = str((self.root / sweep_dir).resolve())
        parents = [run for run in runs if run.data.tags.get("sweep_parent") == "true"
                   and run.data.tags.get("sweep") == folder]
        assert parents, f"no parent run tagged sweep={folder}"
        parent = parents[-1]
        children = [run for run in runs
                    if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
        return SweepRuns(parent, children)


@pytest.fixture(scope="session")
def harness_store(tmp_path_factory):
    """One store shared by the end-to-end harness tests, so each CLI run is paid for once."""
    return HarnessStore(tmp_path_factory.mktemp("harness"))


@pytest.fixture
def fresh_harness_store(tmp_path):
    """A store of this test's own, for tests that need to see every run in it."""
    return HarnessStore(tmp_path)


@pytest.fixture(scope="session")
def harness_sweep(harness_store):
    """A 4-job multirun (batch size 16, 64 x seed 0, 1) in the shared store.

    The command line lr replaces the config's lr grid, so the lr is the same in every job.
    """
    harness_store.train("trainer.epochs=3", "optimizer.lr=0.03", "trainer.batch_size=16,64",
                        "seed=0,1", sweep_dir="multirun/four", multirun=True)
    return harness_store.sweep("multirun/four")


@pytest.fixture
def new_harness_store(tmp_path):
    """A function that makes a store in a new subfolder of this test's folder, per call."""

    def make(name):
        root = tmp_path / name
        root.mkdir()
        return HarnessStore(root)

    return make
