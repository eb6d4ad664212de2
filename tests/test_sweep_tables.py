"""The report's tables and figures, from hand-made run frames with known results."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="the harness tests need the [harness] extra")
image = pytest.importorskip("matplotlib.image", reason="the harness tests need the [harness] extra")
pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")

from experiments import sweep_plots, sweep_report  # noqa: E402


def make_run(run_id, optimizer, lr, batch_size, seed, val_losses, status="FINISHED",
             diverged=False, test_accuracy=0.9):
    """Return one row as search_runs_frame lays it out, and the run's histories."""
    row = {
        "run_id": run_id,
        "run_name": f"{optimizer}-lr{lr}-bs{batch_size}-seed{seed}",
        "status": status,
        "start_time": 1_000,
        "end_time": 4_500,
        "params.optimizer.name": optimizer,
        "params.optimizer.lr": str(lr),
        "params.trainer.batch_size": str(batch_size),
        "params.seed": str(seed),
        # Only AdamW has betas, so this param differs exactly between the optimizers.
        "params.optimizer.betas": "[0.9, 0.999]" if optimizer == "adamw" else None,
        "params.tracking.run_name": f"name-{run_id}",
        "params.data.name": "moons",
        "tags.epochs_run": str(len(val_losses)),
        "tags.diverged": str(diverged).lower(),
    }
    if val_losses:
        row["metrics.val_loss"] = val_losses[-1]
        row["metrics.val_accuracy"] = 1.0 - val_losses[-1]
    if status == "FINISHED":
        row["metrics.test_accuracy"] = test_accuracy
        row["metrics.job_seconds"] = 3.0
    epochs = range(1, len(val_losses) + 1)
    histories = {
        "val_loss": pd.Series(dict(zip(epochs, val_losses, strict=True)), dtype=float),
        "val_accuracy": pd.Series({e: 1.0 - v for e, v in zip(epochs, val_losses, strict=True)},
                                  dtype=float),
        "train_loss": pd.Series(dict(zip(epochs, val_losses, strict=True)), dtype=float),
    }
    return row, histories


RUNS = [
    make_run("a0", "adamw", 0.01, 16, 0, [0.5, 0.2, 0.3]),
    make_run("a1", "adamw", 0.01, 16, 1, [0.4, 0.1, 0.1]),
    make_run("a2", "adamw", 0.1, 16, 0, [0.6, 0.5, 0.45]),
    make_run("b0", "bgd", 0.1, 16, 0, [0.9, 0.4, 0.25]),
    make_run("b1", "bgd", 1.0, 16, 0, [0.2, 0.01], diverged=True),
    make_run("b2", "bgd", 1.0, 16, 1, [], status="FAILED"),
]


@pytest.fixture
def frame():
    return pd.DataFrame([row for row, _ in RUNS])


@pytest.fixture
def histories():
    return {row["run_id"]: history for row, history in RUNS}


@pytest.fixture
def report(frame, histories, tmp_path):
    return build(frame, histories, tmp_path)


def build(frame, histories, folder):
    class Client:
        """Returns the hand-made histories as MLflow's get_metric_history would."""

        def get_metric_history(self, run_id, key):
            series = histories[run_id][key]
            return [type("Metric", (), {"step": step, "value": value})
                    for step, value in series.items()]

    return sweep_report.build_report(Client(), frame, folder, title="Test sweep")


def test_swept_params_skip_optimizer_specific(frame):
    params = sweep_report.swept_params(frame)
    assert params == ["optimizer.name", "optimizer.lr", "trainer.batch_size", "seed"]


def test_swept_params_add_varying_param(frame):
    frame.loc[0, "params.data.name"] = "circles"
    assert sweep_report.swept_params(frame)[-1] == "data.name"


def test_summary_order_and_values(report):
    summary = report.summary
    # b1's last logged loss is the lowest, but it diverged after it, so it ranks after a2.
    assert list(summary["run_id"]) == ["a1", "b0", "a0", "a2", "b1", "b2"]
    row = summary.set_index("run_id").loc["a0"]
    assert row["final_val_loss"] == 0.3
    assert row["best_val_loss"] == 0.2
    assert row["best_epoch"] == 2
    assert row["best_val_accuracy"] == pytest.approx(0.8)
    assert row["epochs_run"] == 3
    assert row["wall_seconds"] == 3.0
    assert row["optimizer.lr"] == 0.01


def test_summary_failed_run(report):
    row = report.summary.set_index("run_id").loc["b2"]
    assert row["status"] == "FAILED"
    assert math.isnan(row["final_val_loss"])
    assert math.isnan(row["test_accuracy"])
    # Without job_seconds, the wall time is the run's end minus its start.
    assert row["wall_seconds"] == 3.5


def test_best_run_skips_diverged(report):
    assert report.best_run["run_id"] == "a1"


def test_settings_mean_and_std(report):
    settings = report.settings
    assert list(settings.columns[:4]) == ["optimizer.name", "optimizer.lr",
                                          "trainer.batch_size", "runs"]
    first = settings.iloc[0]
    assert (first["optimizer.name"], first["optimizer.lr"], first["runs"]) == ("adamw", 0.01, 2)
    assert first["final_val_loss_mean"] == pytest.approx(0.2)
    assert first["final_val_loss_std"] == pytest.approx(np.std([0.3, 0.1], ddof=1))
    # bgd at lr 1.0 has one diverged and one failed run, so no usable run and no row.
    assert len(settings) == 3
    assert not ((settings["optimizer.name"] == "bgd") & (settings["optimizer.lr"] == 1.0)).any()


def test_best_settings_one_per_optimizer(report):
    best = report.best_settings
    assert list(best["optimizer.name"]) == ["adamw", "bgd"]
    assert list(best["optimizer.lr"]) == [0.01, 0.1]


def test_verdict_names_winners(report, tmp_path):
    text = (tmp_path / "report.md").read_text()
    assert text.startswith("# Test sweep")
    assert "6 runs: 5 FINISHED, 1 FAILED" in text
    assert "Best run: `adamw-lr0.01-bs16-seed1` (a1)" in text
    assert "| adamw lr=0.01 batch size=16 | 2 | 0.2000 ± 0.1414 |" in text
    assert "| bgd lr=0.1 batch size=16 | 1 | 0.2500 |" in text


def test_report_figures_drawn(report, tmp_path):
    for name in ("heatmaps.png", "best_curves.png", "accuracy_by_run.png"):
        assert tmp_path / name in report.files, name
        pixels = image.imread(tmp_path / name)
        assert pixels.std() > 0.01, f"{name} is blank"


def test_heatmaps_scatter_for_many_rates(tmp_path):
    # An Optuna search draws a new learning rate per trial; the grid becomes a scatter plot.
    runs = [make_run(f"r{i}", "adamw", 10 ** (-3 + i / 5), 16 * (1 + i % 3), 0,
                     [0.5, 0.3 + i / 100]) for i in range(15)]
    frame = pd.DataFrame([row for row, _ in runs])
    report = build(frame, {row["run_id"]: history for row, history in runs}, tmp_path)
    assert tmp_path / "heatmaps.png" in report.files
    assert image.imread(tmp_path / "heatmaps.png").std() > 0.01


def test_heatmaps_need_learning_rate(report, tmp_path):
    summary = report.summary.drop(columns=["optimizer.lr"])
    without_lr = sweep_report.Report(summary, ["optimizer.name"], report.settings,
                                     report.best_settings, report.best_run, [])
    assert not sweep_plots.save_heatmaps(tmp_path / "none.png", without_lr, {})
    assert not (tmp_path / "none.png").exists()
