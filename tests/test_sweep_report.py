"""A multirun's parent run, its comparison report, and compare.py, through the command line."""

import json
import signal
import subprocess

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
pd = pytest.importorskip("pandas", reason="the harness tests need the [harness] extra")
image = pytest.importorskip("matplotlib.image", reason="the harness tests need the [harness] extra")

REPORT_FILES = {"summary.csv", "settings.csv", "report.md", "heatmaps.png", "best_curves.png",
                "accuracy_by_run.png", "sweep_timing.json", "multirun.yaml"}


def history_values(client, run_id, key):
    return [m.value for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


@pytest.fixture(scope="module")
def parent_files(harness_store, harness_sweep, tmp_path_factory):
    """The parent run's artifacts, downloaded."""
    folder = tmp_path_factory.mktemp("parent_artifacts")
    harness_store.client().download_artifacts(harness_sweep.parent.info.run_id, "", str(folder))
    return folder


@pytest.fixture(scope="module")
def summary(parent_files):
    return pd.read_csv(parent_files / "summary.csv")


def test_parent_has_four_children(harness_store, harness_sweep):
    parent = harness_sweep.parent
    assert parent.info.status == "FINISHED"
    assert len(harness_sweep.children) == 4
    assert [child.info.status for child in harness_sweep.children] == ["FINISHED"] * 4
    # Every job's run is a child, so no run of the sweep is left outside the parent.
    in_sweep = [run for run in harness_store.runs()
                if run.data.tags.get("sweep") == str(harness_sweep.sweep_dir)]
    assert len(in_sweep) == 5
    assert {child.data.tags["sweep_job"] for child in harness_sweep.children} == {
        "0", "1", "2", "3"}


def test_parent_tags(harness_sweep):
    tags = harness_sweep.parent.data.tags
    assert tags["sweep"].endswith("multirun/four")
    assert "--multirun" in tags["command_line"]
    assert "trainer.batch_size=16,64" in tags["command_line"]
    assert tags["sweeper"].endswith("BasicSweeper")
    assert tags["launcher"].endswith("BasicLauncher")
    assert harness_sweep.parent.info.run_name.endswith("multirun/four")
    assert tags["mlflow.note.content"].startswith("# Sweep")


def test_parent_artifacts(parent_files):
    files = {path.name for path in parent_files.iterdir()}
    assert REPORT_FILES <= files
    for name in ("heatmaps.png", "best_curves.png", "accuracy_by_run.png"):
        pixels = image.imread(parent_files / name)
        assert pixels.shape[0] > 200, name
        assert pixels.std() > 0.01, f"{name} is blank"


def test_summary_matches_children(harness_store, harness_sweep, summary):
    client = harness_store.client()
    children = {child.info.run_id: child for child in harness_sweep.children}
    assert sorted(summary["run_id"]) == sorted(children)
    assert list(summary["final_val_loss"]) == sorted(summary["final_val_loss"])
    for _, row in summary.iterrows():
        child = children[row["run_id"]]
        metrics = child.data.metrics
        val_loss = history_values(client, row["run_id"], "val_loss")
        val_accuracy = history_values(client, row["run_id"], "val_accuracy")
        assert row["run_name"] == child.info.run_name
        assert row["trainer.batch_size"] == int(child.data.params["trainer.batch_size"])
        assert row["seed"] == int(child.data.params["seed"])
        assert row["optimizer.lr"] == 0.03
        assert row["final_val_loss"] == metrics["val_loss"] == val_loss[-1]
        assert row["final_val_accuracy"] == metrics["val_accuracy"]
        assert row["best_val_loss"] == min(val_loss)
        assert row["best_val_accuracy"] == max(val_accuracy)
        assert row["best_epoch"] == 1 + val_loss.index(min(val_loss))
        assert row["test_accuracy"] == metrics["test_accuracy"]
        assert row["test_roc_auc"] == metrics["test_roc_auc"]
        assert row["epochs_run"] == 3
        assert row["wall_seconds"] == metrics["job_seconds"]
        assert row["status"] == "FINISHED"


def test_summary_columns_are_swept_params(summary):
    columns = list(summary.columns)
    assert columns[:5] == ["run_name", "optimizer.name", "optimizer.lr", "trainer.batch_size",
                           "seed"]
    # A param that is the same in every job and not a layout param is no column.
    assert "optimizer.weight_decay" not in columns
    assert "tracking.run_name" not in columns


def test_settings_average_seeds(parent_files, summary):
    settings = pd.read_csv(parent_files / "settings.csv")
    assert list(settings["trainer.batch_size"].sort_values()) == [16, 64]
    assert list(settings["runs"]) == [2, 2]
    for _, row in settings.iterrows():
        runs = summary[summary["trainer.batch_size"] == row["trainer.batch_size"]]
        assert row["final_val_loss_mean"] == pytest.approx(runs["final_val_loss"].mean(),
                                                           rel=1e-12)
        assert row["final_val_loss_std"] == pytest.approx(runs["final_val_loss"].std(),
                                                          rel=1e-12)


def test_best_child_copied_to_parent(harness_sweep, summary):
    parent = harness_sweep.parent
    best_id = summary.loc[summary["final_val_loss"].idxmin(), "run_id"]
    assert parent.data.tags["best_run_id"] == best_id
    best = next(child for child in harness_sweep.children if child.info.run_id == best_id)
    assert parent.data.tags["best_run_name"] == best.info.run_name
    assert parent.data.params == best.data.params
    for key in ("val_loss", "val_accuracy", "test_accuracy", "test_loss"):
        assert parent.data.metrics[key] == best.data.metrics[key], key
    assert parent.data.metrics["sweep_seconds"] > 0
    assert best.info.run_name in parent.data.tags["mlflow.note.content"]


def test_report_names_best_setting(parent_files, summary):
    text = (parent_files / "report.md").read_text()
    best = summary.iloc[0]
    assert f"Best run: `{best['run_name']}`" in text
    assert "4 runs: 4 FINISHED" in text
    assert f"adamw lr=0.03 batch size={best['trainer.batch_size']}" in text


def test_timing_counts_every_job(parent_files, summary):
    timing = json.loads((parent_files / "sweep_timing.json").read_text())
    assert timing["jobs"] == 4
    assert timing["jobs_seconds"] == pytest.approx(summary["wall_seconds"].sum(), abs=0.01)
    assert 0 < timing["jobs_mlflow_share"] < 1


def test_compare_reproduces_parent_summary(harness_store, harness_sweep, parent_files, tmp_path):
    expected = pd.read_csv(parent_files / "summary.csv")
    for selector in (harness_sweep.parent.info.run_id, str(harness_sweep.sweep_dir)):
        output = tmp_path / selector.replace("/", "_")
        completed = harness_store.run("compare.py", "--tracking-uri", harness_store.uri,
                                      "--sweep", selector, "--output", str(output))
        rebuilt = pd.read_csv(output / "summary.csv")
        pd.testing.assert_frame_equal(rebuilt, expected)
        assert (output / "settings.csv").read_text() == (parent_files / "settings.csv").read_text()
        assert expected.loc[0, "run_name"] in completed.stdout
        assert "Best run:" in completed.stdout


def test_compare_latest_sweep_by_default(harness_store, harness_sweep, tmp_path):
    completed = harness_store.run("compare.py", "--tracking-uri", harness_store.uri,
                                  "--output", str(tmp_path / "latest"))
    assert f"Sweep {harness_sweep.parent.info.run_name}: 4 runs" in completed.stdout


def test_compare_filter_selects_runs(harness_store, harness_sweep, tmp_path):
    completed = harness_store.run("compare.py", "--tracking-uri", harness_store.uri,
                                  "--sweep", str(harness_sweep.sweep_dir),
                                  "--filter", "params.seed = '0'",
                                  "--output", str(tmp_path / "seed0"))
    table = pd.read_csv(tmp_path / "seed0" / "summary.csv")
    assert list(table["seed"]) == [0, 0]
    assert sorted(table["trainer.batch_size"]) == [16, 64]
    assert "2 runs" in completed.stdout


def test_compare_unknown_experiment_fails(harness_store, harness_sweep, tmp_path):
    completed = harness_store.run("compare.py", "--tracking-uri", harness_store.uri,
                                  "--experiment", "no_such_experiment",
                                  "--output", str(tmp_path / "none"), check=False)
    assert completed.returncode != 0
    assert "experiment 'no_such_experiment' not found" in completed.stderr


def test_failed_job_ends_parent_failed(fresh_harness_store):
    # The second job's model raises in training, after its MLflow run started.
    completed = fresh_harness_store.train(
        "trainer.epochs=2", "optimizer.lr=0.03", "trainer.batch_size=64",
        "model._target_=experiments.models.build_mlp,tests.failure_helpers.build_failing_mlp",
        multirun=True, check=False)
    assert completed.returncode != 0
    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "FAILED"
    assert "stopped before its end" in sweep.parent.data.tags["error"]
    statuses = sorted(child.info.status for child in sweep.children)
    assert statuses == ["FAILED", "FINISHED"]


def test_interrupted_sweep_ends_parent_killed(fresh_harness_store):
    command, env = fresh_harness_store.command(
        "run.py", "--multirun", *fresh_harness_store.train_args(
            "trainer.epochs=100000", "trainer.tol=0", "optimizer.lr=0.03",
            "trainer.batch_size=64", "seed=0,1"))
    process = subprocess.Popen(command, cwd=fresh_harness_store.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        # The first job's run start shows the parent exists and a child is training.
        for line in process.stdout:
            output.append(line)
            if "experiments.tracking" in line and "MLflow run" in line:
                process.send_signal(signal.SIGINT)
                break
        output.append(process.communicate(timeout=120)[0])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    log_text = "".join(output)
    assert process.returncode != 0, log_text[-3000:]
    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "KILLED", log_text[-3000:]
    assert [child.info.status for child in sweep.children] == ["KILLED"]
