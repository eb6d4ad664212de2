"""Parallel sweeps with hydra-joblib-launcher on a SQLite store that does not exist yet."""

import math

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
pytest.importorskip("hydra_plugins.hydra_joblib_launcher",
                    reason="needs hydra-joblib-launcher, part of the [harness] extra")

EPOCHS = 2
TRAIN_SAMPLES = 341  # breast_cancer's training split
BATCH_SIZES = (32, 64)
SEEDS = (0, 1, 2, 3)
EPOCH_KEYS = ("train_loss", "val_loss", "val_accuracy", "lr", "epoch_time")


def steps(client, run_id, key):
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def values(client, run_id, key):
    return [m.value for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


def run_parallel_sweep(store):
    assert not (store.root / "mlflow.db").exists()
    store.train("hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"trainer.epochs={EPOCHS}",
                "optimizer.lr=0.03", "trainer.batch_size=" + ",".join(map(str, BATCH_SIZES)),
                "seed=" + ",".join(map(str, SEEDS)), multirun=True)
    return store, store.sweep()


def test_joblib_sweep_new_database(new_harness_store):
    """Three fresh stores in a row: 8 jobs at n_jobs=2 each, all complete and identical."""
    first_histories = None
    for attempt in range(3):
        store, sweep = run_parallel_sweep(new_harness_store(f"attempt{attempt}"))
        client = store.client()
        where = f"attempt {attempt}"

        assert sweep.parent.info.status == "FINISHED", where
        assert sweep.parent.data.tags["launcher"].endswith("JoblibLauncher"), where
        assert len(sweep.children) == 8, where
        assert [run.info.status for run in sweep.children] == ["FINISHED"] * 8, where

        histories = {}
        for run in sweep.children:
            batch_size = int(run.data.params["trainer.batch_size"])
            seed = int(run.data.params["seed"])
            run_id = run.info.run_id
            # A worker reused from an earlier job must log under this job's own run and config.
            assert run.info.run_name == f"breast_cancer-adamw-lr0.03-bs{batch_size}-seed{seed}"
            assert run.data.tags["seed"] == str(seed), where
            updates = EPOCHS * math.ceil(TRAIN_SAMPLES / batch_size)
            assert steps(client, run_id, "batch_loss") == list(range(1, updates + 1)), where
            for key in EPOCH_KEYS:
                assert steps(client, run_id, key) == [1, 2], f"{where}: {key}"
            assert steps(client, run_id, "test_accuracy") == [0], where
            histories[(batch_size, seed)] = {key: values(client, run_id, key)
                                             for key in ("batch_loss", "val_loss")}

        assert set(histories) == {(b, s) for b in BATCH_SIZES for s in SEEDS}, where
        if first_histories is None:
            first_histories = histories
        else:
            assert histories == first_histories, f"{where} differs from attempt 0"
