"""End-to-end tests of experiments/run.py and reproduce.py on a real SQLite MLflow store."""

import json
import math
import signal
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
image = pytest.importorskip("matplotlib.image", reason="the harness tests need the [harness] extra")

import mytorch  # noqa: E402

# breast_cancer has 341 training samples, so batch size 64 gives ceil(341 / 64) = 6 updates.
EPOCHS = 3
UPDATES_PER_EPOCH = 6
SINGLE_RUN = ("trainer.epochs=3", "trainer.batch_size=64", "seed=0")
EPOCH_METRICS = [f"{split}_{name}" for split in ("train", "val")
                 for name in ("loss", "accuracy", "precision", "recall", "f1", "roc_auc")]
EPOCH_METRICS += ["lr", "epoch_time"]
TEST_METRICS = [f"test_{name}" for name in ("loss", "accuracy", "precision", "recall", "f1",
                                               "roc_auc")]


def history(client, run, key):
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run.info.run_id, key),
                                             key=lambda m: m.step)]


def tracked_histories(client, run):
    skip = {"epoch_time", "mlflow_seconds", "job_seconds"}
    return {key: history(client, run, key) for key in run.data.metrics if key not in skip}


@pytest.fixture(scope="module")
def single_run(harness_store):
    harness_store.train(*SINGLE_RUN, run_dir="outputs/single")
    runs = [r for r in harness_store.runs() if r.data.tags.get("hydra_output_dir", "").endswith(
        "single")]
    assert len(runs) == 1
    return runs[0]


@pytest.fixture(scope="module")
def sweep_runs(harness_sweep, single_run):
    """The children of the shared 4-job multirun, keyed by (batch size, seed)."""
    return {(r.data.params["trainer.batch_size"], r.data.params["seed"]): r
            for r in harness_sweep.children}


def test_single_run_finished(single_run):
    assert single_run.info.status == "FINISHED"
    assert single_run.info.run_name == "breast_cancer-adamw-lr0.03-bs64-seed0"


def test_single_run_params(single_run):
    params = single_run.data.params
    assert params["optimizer.name"] == "adamw"
    assert params["optimizer.lr"] == "0.03"
    assert params["optimizer.weight_decay"] == "0.01"
    assert params["optimizer._target_"] == "mytorch.optim.AdamW"
    assert params["trainer.batch_size"] == "64"
    assert params["trainer.epochs"] == "3"
    assert params["model.hidden_sizes"] == "[5, 3]"
    assert params["model.activation"] == "tanh"
    assert params["data.name"] == "breast_cancer"
    assert params["seed"] == "0"
    assert params["tracking.experiment"] == "mytorch"


def test_single_run_tags(single_run):
    tags = single_run.data.tags
    assert tags["optimizer"] == "adamw"
    assert tags["seed"] == "0"
    assert tags["mytorch_version"] == mytorch.__version__
    assert tags["git_dirty"] in ("true", "false", "unknown")
    assert len(tags["mlflow.source.git.commit"]) in (40, len("unknown"))
    assert tags["hydra_output_dir"].endswith("outputs/single")
    assert tags["epochs_run"] == str(EPOCHS)
    assert tags["diverged"] == "false"


def test_single_run_metric_histories(harness_store, single_run):
    client = harness_store.client()

    batch_loss = history(client, single_run, "batch_loss")
    assert [step for step, _ in batch_loss] == list(range(1, EPOCHS * UPDATES_PER_EPOCH + 1))
    assert all(math.isfinite(value) and value > 0 for _, value in batch_loss)

    for key in EPOCH_METRICS:
        steps = [step for step, _ in history(client, single_run, key)]
        assert steps == [1, 2, 3], key
    for key in TEST_METRICS:
        assert [step for step, _ in history(client, single_run, key)] == [0], key

    lr = history(client, single_run, "lr")
    assert [value for _, value in lr] == [0.03] * EPOCHS
    metrics = single_run.data.metrics
    assert 0.5 < metrics["test_accuracy"] <= 1.0
    assert 0.5 < metrics["test_roc_auc"] <= 1.0
    assert metrics["mlflow_seconds"] > 0


def test_single_run_artifacts(harness_store, single_run, tmp_path):
    client = harness_store.client()
    run_id = single_run.info.run_id
    root = client.download_artifacts(run_id, "", str(tmp_path))
    files = {str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file()}
    expected = {
        "plots/loss_curve.png", "plots/decision_boundary.png", "plots/confusion_matrix.png",
        "config.yaml", "model/state_dict.pt", "hydra/config.yaml", "hydra/hydra.yaml",
        "hydra/overrides.yaml", "logs/run.log",
    }
    assert expected <= files

    for name in ("loss_curve", "decision_boundary", "confusion_matrix"):
        pixels = image.imread(tmp_path / "plots" / f"{name}.png")
        assert pixels.ndim == 3, name
        assert pixels.shape[0] > 200, name
        assert pixels.shape[1] > 200, name
        assert pixels.std() > 0.01, f"{name}.png is blank"

    state = mytorch.load(tmp_path / "model" / "state_dict.pt")
    assert state["0.weight"].shape == (5, 30)
    assert state["4.weight"].shape == (1, 3)
    assert "lr: 0.03" in (tmp_path / "config.yaml").read_text()
    assert "MLflow run" in (tmp_path / "logs" / "run.log").read_text()


def test_single_run_dataset_input(single_run):
    inputs = single_run.inputs.dataset_inputs
    assert len(inputs) == 1
    dataset = inputs[0].dataset
    assert dataset.name == "breast_cancer"
    assert len(dataset.digest) >= 8
    assert "archive.ics.uci.edu" in dataset.source
    assert json.loads(dataset.profile)["num_rows"] == 569


def test_sweep_runs_finished(harness_sweep, sweep_runs):
    assert set(sweep_runs) == {("16", "0"), ("16", "1"), ("64", "0"), ("64", "1")}
    assert [run.info.status for run in sweep_runs.values()] == ["FINISHED"] * 4
    assert len({run.data.tags["hydra_output_dir"] for run in sweep_runs.values()}) == 4

    timing = json.loads((harness_sweep.sweep_dir / "sweep_timing.json").read_text())
    assert timing["jobs"] == 4
    assert 0 < timing["jobs_mlflow_seconds"] < timing["jobs_seconds"] < timing["wall_seconds"]
    assert timing["process_mlflow_calls"] > 4


def test_same_seed_identical_histories(harness_store, single_run, sweep_runs):
    # The sweep's job ran in one process after two other jobs, and the single run ran alone.
    # Equal histories therefore also show that no state leaks from one job into the next.
    client = harness_store.client()
    rerun = sweep_runs[("64", "0")]
    assert tracked_histories(client, rerun) == tracked_histories(client, single_run)


def test_other_seed_differs(harness_store, single_run, sweep_runs):
    client = harness_store.client()
    other = sweep_runs[("64", "1")]
    assert history(client, other, "batch_loss") != history(client, single_run, "batch_loss")


def test_reproduce_matches_logged_run(harness_store, single_run):
    completed = harness_store.run("reproduce.py", single_run.info.run_id, "--tracking-uri",
                                  harness_store.uri)
    assert "reproduced" in completed.stdout
    assert "all identical" in completed.stdout


def test_reproduce_reports_changed_metric(harness_store):
    from mlflow.entities import Metric

    # A run of its own, because the shared runs must keep their logged values for other tests.
    harness_store.train("trainer.epochs=2", "trainer.batch_size=64", run_dir="outputs/changed")
    client = harness_store.client()
    run = next(r for r in harness_store.runs()
               if r.data.tags.get("hydra_output_dir", "").endswith("outputs/changed"))
    client.log_batch(run.info.run_id, metrics=[Metric("val_loss", 123.0, 0, 2)])

    completed = harness_store.run("reproduce.py", run.info.run_id, "--tracking-uri",
                                  harness_store.uri, check=False)
    assert completed.returncode == 1
    assert "NOT reproduced: 1 of" in completed.stdout
    assert "val_loss" in completed.stdout


def test_data_error_leaves_no_run(fresh_harness_store, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x1,x2,label\n0,1,0\n1,0,1\n")
    completed = fresh_harness_store.train("data=csv", f"data.path={points}",
                                          "data.target=class", check=False)
    assert completed.returncode == 2
    assert "target column 'class' not found" in completed.stderr
    assert fresh_harness_store.runs() == []


def test_interrupted_job_ends_killed(fresh_harness_store):
    command, env = fresh_harness_store.command(
        "run.py", *fresh_harness_store.train_args("trainer.epochs=100000", "trainer.tol=0"))
    process = subprocess.Popen(command, cwd=fresh_harness_store.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        # Ctrl-C after the job has logged its run's start lands inside the run, so the run
        # has to end KILLED however far training has come.
        for line in process.stdout:
            output.append(line)
            if "MLflow run" in line:
                process.send_signal(signal.SIGINT)
                break
        output.append(process.communicate(timeout=120)[0])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    log_text = "".join(output)
    assert process.returncode != 0, log_text[-3000:]
    assert "ended KILLED" in log_text
    runs = fresh_harness_store.runs()
    assert [run.info.status for run in runs] == ["KILLED"]


def test_invalid_value_fails_before_training(fresh_harness_store):
    completed = fresh_harness_store.train("optimizer.lr=abc", check=False)
    assert completed.returncode != 0
    assert "optimizer.lr" in completed.stderr
    assert "abc" in completed.stderr
    assert fresh_harness_store.runs() == []


def test_unknown_key_fails_before_training(fresh_harness_store):
    completed = fresh_harness_store.train("trainer.epoch=5", check=False)
    assert completed.returncode != 0
    assert "trainer.epoch" in completed.stderr
    assert fresh_harness_store.runs() == []


def test_missing_data_path_fails_before_run(fresh_harness_store):
    completed = fresh_harness_store.train("data=csv", check=False)
    assert completed.returncode != 0
    assert "data.path" in completed.stderr
    assert fresh_harness_store.runs() == []
