"""Metric helpers, the metric buffer and config flattening of the experiment harness."""

import math

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")

from omegaconf import OmegaConf  # noqa: E402

from experiments.metrics import classification_metrics, predictions, probabilities  # noqa: E402
from experiments.tracking import MetricBuffer, flatten_config  # noqa: E402


def test_binary_metrics_known_answer():
    labels = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    # Predicted 1 where the logit is >= 0: TP = 2 (rows 0, 1), FN = 2, FP = 1 (row 3), TN = 3.
    logits = np.array([[2.0], [0.0], [-1.0], [0.5], [-3.0], [-0.1], [-2.0], [-4.0]])
    metrics = classification_metrics(labels, logits, n_classes=2)

    assert metrics["accuracy"] == pytest.approx(5 / 8)
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 4)
    assert metrics["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    # (positive, negative) pairs where the positive scores higher: 4 + 3 + 2 + 2 of 16.
    assert metrics["roc_auc"] == pytest.approx(11 / 16)


def test_multiclass_metrics_known_answer():
    labels = np.array([0, 0, 1, 1, 2, 2])
    logits = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 5.0
    metrics = classification_metrics(labels, logits, n_classes=3)

    assert metrics["accuracy"] == pytest.approx(4 / 6)
    # Per class precision 1/2, 2/3, 1/1 and recall 1/2, 2/2, 1/2, macro averaged.
    assert metrics["precision"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert metrics["recall"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    f1 = [2 * p * r / (p + r) for p, r in ((1 / 2, 1 / 2), (2 / 3, 1), (1, 1 / 2))]
    assert metrics["f1"] == pytest.approx(np.mean(f1))
    assert 0.5 < metrics["roc_auc"] < 1.0


def test_roc_auc_left_out_without_both_classes():
    metrics = classification_metrics(np.array([1, 1, 1]), np.array([[1.0], [2.0], [-1.0]]), 2)
    assert "roc_auc" not in metrics
    assert metrics["accuracy"] == pytest.approx(2 / 3)


def test_probabilities_stable_for_large_logits():
    binary = probabilities(np.array([[-800.0], [0.0], [800.0]]))
    np.testing.assert_allclose(binary, [0.0, 0.5, 1.0])
    assert np.isfinite(binary).all()

    rows = probabilities(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(rows, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_predictions_threshold_and_argmax():
    np.testing.assert_array_equal(predictions(np.array([[-0.1], [0.0], [3.0]])), [0, 1, 1])
    np.testing.assert_array_equal(predictions(np.array([[0.1, 0.3, 0.2], [2.0, 1.0, 0.0]])),
                                  [1, 0])


def test_metric_buffer_drops_non_finite():
    buffer = MetricBuffer()
    buffer.add("loss", 0.5, 1)
    buffer.add("loss", math.nan, 2)
    buffer.add("loss", math.inf, 3)
    buffer.add("loss", np.float32(0.25), 4)

    pending = buffer.drain()
    assert [(m.key, m.value, m.step) for m in pending] == [("loss", 0.5, 1), ("loss", 0.25, 4)]
    assert buffer.dropped == 2
    assert buffer.drain() == []


def test_flatten_config_dotted_keys():
    cfg = OmegaConf.create({"optimizer": {"lr": 0.01, "betas": [0.9, 0.999], "name": "adamw"},
                            "trainer": {"batch_size": 16, "tol": None},
                            "seed": 0,
                            "tracking": {"run_name": "${optimizer.name}-${seed}"}})
    assert flatten_config(cfg) == {
        "optimizer.lr": "0.01",
        "optimizer.betas": "[0.9, 0.999]",
        "optimizer.name": "adamw",
        "trainer.batch_size": "16",
        "trainer.tol": "null",
        "seed": "0",
        "tracking.run_name": "adamw-0",
    }
