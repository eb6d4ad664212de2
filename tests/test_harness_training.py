"""Training through the harness pipeline, in-process: accuracy targets, early stop, divergence."""

import math
from pathlib import Path

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("sklearn", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")

from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.errors import ConfigCompositionException  # noqa: E402
from omegaconf.errors import ValidationError  # noqa: E402

import mytorch  # noqa: E402
from experiments.pipeline import (  # noqa: E402
    instantiate_optimizer,
    prepare_data,
    train_from_splits,
)
from experiments.schemas import register_configs  # noqa: E402
from experiments.tracking import MetricBuffer  # noqa: E402

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def compose_config(*overrides):
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def train(*overrides):
    cfg = compose_config(*overrides)
    buffer = MetricBuffer()
    outcome = train_from_splits(cfg, prepare_data(cfg), buffer.add)
    return outcome, buffer


def test_adamw_default_breast_cancer_accuracy():
    outcome, _ = train()
    assert outcome.train.epochs_run > 10
    assert outcome.test_metrics["accuracy"] >= 0.95


def test_tutorial_net_fits_moons():
    outcome, _ = train("data=moons", "model=mlp")
    layers = [module for module in outcome.model.modules() if hasattr(module, "out_features")]
    assert [(m.in_features, m.out_features) for m in layers] == [(2, 5), (5, 3), (3, 1)]
    assert outcome.train.epoch_metrics[-1]["train_accuracy"] >= 0.94


def test_tutorial_preset_fits_moons():
    cfg = compose_config("experiment=tutorial_moons")
    assert cfg.data.name == "moons"
    assert cfg.optimizer.name == "bgd"
    assert cfg.trainer.batch_size == 50

    outcome, _ = train("experiment=tutorial_moons")
    assert outcome.train.epoch_metrics[-1]["train_accuracy"] >= 0.94


def test_multiclass_uses_cross_entropy():
    outcome, buffer = train("data=iris", "trainer.epochs=30")
    # Three logits per sample for three classes.
    assert outcome.model(mytorch.zeros(2, 4)).shape == (2, 3)
    assert outcome.test_metrics["accuracy"] >= 0.8
    keys = {metric.key for metric in buffer.drain()}
    assert {"val_roc_auc", "test_f1", "batch_loss", "lr"} <= keys


def test_early_stop_on_flat_loss():
    outcome, _ = train("trainer.epochs=50", "trainer.tol=1.0")
    # With tol=1 the first comparison, after epoch 2, already stops training.
    assert outcome.train.stopped_early
    assert outcome.train.epochs_run == 2


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_divergence_stops_without_sending_nan():
    outcome, buffer = train("optimizer=bgd", "optimizer.lr=1e300", "trainer.epochs=5")
    assert outcome.train.diverged
    assert outcome.train.epochs_run < 5
    pending = buffer.drain()
    assert all(math.isfinite(metric.value) for metric in pending)
    # The loop itself keeps non-finite values from the logger, so the buffer has none to drop.
    assert buffer.dropped == 0


def test_same_seed_same_history():
    _, first = train("data=xor", "trainer.epochs=5")
    _, second = train("data=xor", "trainer.epochs=5")
    _, other = train("data=xor", "trainer.epochs=5", "seed=1")

    def values(buffer):
        return [(m.key, m.step, m.value) for m in buffer.drain() if m.key != "epoch_time"]

    first_values = values(first)
    assert first_values == values(second)
    assert first_values != values(other)


@pytest.mark.parametrize("optimizer", ["adamw", "adam", "sgd", "bgd"])
def test_each_optimizer_config_trains(optimizer):
    outcome, _ = train(f"optimizer={optimizer}", "trainer.epochs=20")
    assert outcome.test_metrics["accuracy"] >= 0.9


@pytest.mark.parametrize("model", ["mlp", "relu_mlp", "wide_mlp"])
def test_each_model_config_builds(model):
    cfg = compose_config(f"model={model}")
    outcome, _ = train(f"model={model}", "trainer.epochs=1")
    layers = [m for m in outcome.model.modules() if hasattr(m, "out_features")]
    assert [m.out_features for m in layers[:-1]] == list(cfg.model.hidden_sizes)


def test_schema_rejects_bad_value():
    with pytest.raises(ConfigCompositionException) as error:
        compose_config("optimizer.lr=abc")
    assert isinstance(error.value.__cause__, ValidationError)
    assert "optimizer.lr" in str(error.value.__cause__)


def test_schema_rejects_bad_activation():
    with pytest.raises(ConfigCompositionException) as error:
        compose_config("model.activation=softsign")
    assert "model.activation" in str(error.value.__cause__)


def test_sgd_options_reach_optimizer():
    cfg = compose_config("optimizer=sgd", "optimizer.momentum=0.5", "optimizer.nesterov=true")
    weight = mytorch.zeros(3, requires_grad=True)
    optimizer = instantiate_optimizer(cfg.optimizer, [weight])

    assert type(optimizer).__name__ == "SGD"
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.1
    assert group["momentum"] == 0.5
    assert group["nesterov"] is True
    assert group["params"][0] is weight


def test_adamw_betas_reach_optimizer():
    cfg = compose_config("optimizer.betas=[0.8,0.99]", "optimizer.weight_decay=0.1")
    optimizer = instantiate_optimizer(cfg.optimizer, [mytorch.zeros(3, requires_grad=True)])

    assert type(optimizer).__name__ == "AdamW"
    assert tuple(optimizer.param_groups[0]["betas"]) == (0.8, 0.99)
    assert optimizer.param_groups[0]["weight_decay"] == 0.1
