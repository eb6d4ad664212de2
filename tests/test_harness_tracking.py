"""TrackedRun's handling of MLflow errors that parallel jobs cause."""

import pytest

pd = pytest.importorskip("pandas", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")
pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")

from mlflow.exceptions import MlflowException  # noqa: E402

from experiments.tracking import TrackedRun, is_duplicate_dataset_error  # noqa: E402

# The message MLflow 3.17 raised when two joblib workers stored breast_cancer at the same time.
DUPLICATE = ("(sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, "
             "datasets.name, datasets.digest")


class FailingClient:
    """Raises the given errors from log_inputs, one per call, then records the calls."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.logged = []

    def log_inputs(self, run_id, inputs):
        if self.errors:
            raise self.errors.pop(0)
        self.logged.append((run_id, inputs))


def tracked_run(client):
    run = TrackedRun.__new__(TrackedRun)
    run.client = client
    run.run_id = "run0"
    return run


def log_points(run):
    frame = pd.DataFrame({"x": [0.0, 1.0], "label": [0, 1]})
    run.log_dataset(frame, "points", "data/points.csv", "label")


def test_duplicate_dataset_retried_once():
    client = FailingClient(MlflowException(DUPLICATE))
    log_points(tracked_run(client))
    assert len(client.logged) == 1
    run_id, inputs = client.logged[0]
    assert run_id == "run0"
    assert inputs[0].dataset.name == "points"


def test_duplicate_dataset_twice_raises():
    client = FailingClient(MlflowException(DUPLICATE), MlflowException(DUPLICATE))
    with pytest.raises(MlflowException, match="UNIQUE constraint failed"):
        log_points(tracked_run(client))
    assert client.logged == []


def test_other_mlflow_error_raises():
    client = FailingClient(MlflowException("Run 'run0' not found"))
    with pytest.raises(MlflowException, match="not found"):
        log_points(tracked_run(client))
    assert client.logged == []


@pytest.mark.parametrize(("message", "expected"), [
    (DUPLICATE, True),
    # PostgreSQL words it differently; MLflow's message includes the failed INSERT statement.
    ('duplicate key value violates unique constraint [SQL: INSERT INTO datasets (...)]', True),
    ("UNIQUE constraint failed: metrics.key", False),
    ("database is locked", False),
])
def test_duplicate_dataset_error_detection(message, expected):
    assert is_duplicate_dataset_error(MlflowException(message)) is expected


def log_points_after_barrier(uri, experiment_id, barrier, outcomes):
    """Start a run, wait for the other process, then log the same data set as it does."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    run = tracked_run(client)
    run.run_id = client.create_run(experiment_id).info.run_id
    barrier.wait()
    try:
        log_points(run)
        outcomes.put("logged")
    except MlflowException as error:
        outcomes.put(str(error)[:200])


def test_parallel_jobs_log_same_dataset(tmp_path):
    import multiprocessing

    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    # spawn, not fork, so no process shares the SQLite connections of this one.
    context = multiprocessing.get_context("spawn")
    # Without the retry one of the two processes failed in each of 12 rounds on a 2-core machine.
    for round_number in range(2):
        experiment_id = client.create_experiment(f"race{round_number}")
        barrier = context.Barrier(2)
        outcomes = context.Queue()
        processes = [context.Process(target=log_points_after_barrier,
                                     args=(uri, experiment_id, barrier, outcomes))
                     for _ in range(2)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        results = [outcomes.get(timeout=10) for _ in processes]
        assert results == ["logged", "logged"], f"round {round_number}"

        runs = client.search_runs([experiment_id])
        assert len(runs) == 2
        for run in runs:
            names = [entry.dataset.name for entry in run.inputs.dataset_inputs]
            assert names == ["points"], f"round {round_number}"
