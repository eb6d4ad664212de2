"""Sweeps through hydra-submitit-launcher: the SLURM launcher config, and a real local sweep.

No SLURM cluster runs here, so the sweep uses submitit's local executor, which pickles each job
to a file and runs it in a process of its own, as a SLURM array task would.
"""

import math

import pytest
import yaml

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                    reason="needs hydra-submitit-launcher, part of the [slurm] extra")

SLURM_LAUNCHER = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
LOCAL_LAUNCHER = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
EPOCHS = 2
TRAIN_SAMPLES = 341  # breast_cancer's training split
BATCH_SIZES = (32, 64)
SEEDS = (0, 1)
SWEEP_OVERRIDES = ("hydra/launcher=submitit_local", f"trainer.epochs={EPOCHS}",
                   "optimizer.lr=0.03", "trainer.batch_size=" + ",".join(map(str, BATCH_SIZES)),
                   "seed=" + ",".join(map(str, SEEDS)))


def slurm_launcher_config(store, *overrides):
    """Return hydra.launcher as run.py composes and resolves it for hydra/launcher=slurm."""
    completed = store.run("run.py", "hydra/launcher=slurm", "hydra.sweep.dir=multirun",
                          *overrides, "--cfg", "hydra", "--package", "hydra.launcher", "--resolve")
    return yaml.safe_load(completed.stdout)


def steps(client, run_id, key):
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def test_slurm_launcher_composes(fresh_harness_store):
    launcher = slurm_launcher_config(fresh_harness_store)

    assert launcher["_target_"] == SLURM_LAUNCHER
    assert launcher["partition"] is None
    assert launcher["nodes"] == 1
    assert launcher["tasks_per_node"] == 1
    assert launcher["cpus_per_task"] == 1
    assert launcher["gpus_per_node"] is None
    assert launcher["timeout_min"] == 30
    assert launcher["mem_gb"] == 2
    assert launcher["array_parallelism"] == 16
    assert launcher["max_num_timeout"] == 0
    assert launcher["submitit_folder"] == "multirun/.submitit/%j"


def test_slurm_launcher_partition_override(fresh_harness_store):
    launcher = slurm_launcher_config(fresh_harness_store, "hydra.launcher.partition=gpu")

    assert launcher["_target_"] == SLURM_LAUNCHER
    assert launcher["partition"] == "gpu"
    assert launcher["cpus_per_task"] == 1


def test_submitit_local_sweep(fresh_harness_store, monkeypatch):
    """4 jobs, each pickled and run in its own process, log as children of one parent run.

    PYTHONPATH is unset, so the job processes import the experiments package through the
    path that run.py hands them.
    """
    monkeypatch.delenv("PYTHONPATH", raising=False)
    store = fresh_harness_store
    store.train(*SWEEP_OVERRIDES, multirun=True)
    sweep = store.sweep()
    client = store.client()
    parent = sweep.parent

    assert parent.info.status == "FINISHED"
    assert parent.data.tags["launcher"] == LOCAL_LAUNCHER
    assert len(sweep.children) == 4
    assert [run.info.status for run in sweep.children] == ["FINISHED"] * 4
    # Each job left its submitit log, so each ran as a pickled job of its own.
    assert len(list((sweep.sweep_dir / ".submitit").rglob("*_log.out"))) == 4

    grid = set()
    for run in sweep.children:
        batch_size = int(run.data.params["trainer.batch_size"])
        seed = int(run.data.params["seed"])
        grid.add((batch_size, seed))
        where = f"batch_size={batch_size} seed={seed}"

        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id, where
        assert run.data.tags["sweep"] == parent.data.tags["sweep"], where
        assert (run.data.tags["mlflow.source.git.commit"]
                == parent.data.tags["mlflow.source.git.commit"]), where
        assert run.data.tags["git_dirty"] == parent.data.tags["git_dirty"], where
        updates = EPOCHS * math.ceil(TRAIN_SAMPLES / batch_size)
        assert steps(client, run.info.run_id, "batch_loss") == list(range(1, updates + 1)), where
        assert steps(client, run.info.run_id, "val_loss") == [1, 2], where

    assert grid == {(b, s) for b in BATCH_SIZES for s in SEEDS}
    assert sorted(run.data.tags["sweep_job"] for run in sweep.children) == ["0", "1", "2", "3"]
