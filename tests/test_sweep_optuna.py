"""The Optuna preset: every trial is a child run of the sweep's parent run."""

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
pytest.importorskip("hydra_plugins.hydra_optuna_sweeper",
                    reason="needs the [optuna] extra: pip install -e '.[optuna]'")
yaml = pytest.importorskip("yaml", reason="PyYAML comes with hydra-core")

TRIALS = 4
BATCH_SIZES = {8, 16, 32, 64, 128}


def test_optuna_sweep_logs_children(fresh_harness_store, tmp_path):
    store = fresh_harness_store
    store.train("experiment=optuna_search", f"hydra.sweeper.n_trials={TRIALS}",
                "trainer.epochs=2", multirun=True)
    sweep = store.sweep()

    assert sweep.parent.info.status == "FINISHED"
    assert sweep.parent.data.tags["sweeper"].endswith("OptunaSweeper")
    assert sweep.parent.data.tags["experiment_preset"] == "optuna_search"
    assert len(sweep.children) == TRIALS
    assert [run.info.status for run in sweep.children] == ["FINISHED"] * TRIALS
    for run in sweep.children:
        params = run.data.params
        assert params["optimizer.name"] in ("adamw", "bgd")
        assert 0.001 <= float(params["optimizer.lr"]) <= 1.0
        assert int(params["trainer.batch_size"]) in BATCH_SIZES
    assert len({run.data.params["optimizer.lr"] for run in sweep.children}) == TRIALS

    # The objective is the final validation loss, so Optuna's best value is the lowest of them.
    client = store.client()
    folder = client.download_artifacts(sweep.parent.info.run_id, "", str(tmp_path))
    results = yaml.safe_load(open(f"{folder}/optimization_results.yaml"))
    losses = {run.info.run_id: run.data.metrics["val_loss"] for run in sweep.children}
    assert results["best_value"] == pytest.approx(min(losses.values()), rel=1e-12)
    assert sweep.parent.data.tags["best_run_id"] == min(losses, key=losses.get)
