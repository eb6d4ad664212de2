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
