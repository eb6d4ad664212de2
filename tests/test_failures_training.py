"""Divergence in the training loop, and the config checks, tested in-process."""

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("sklearn", reason="the harness tests need the [harness] extra")

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

import mytorch  # noqa: E402
from experiments.errors import InputError  # noqa: E402
from experiments.pipeline import prepare_data, train_from_splits  # noqa: E402
from experiments.schemas import register_configs  # noqa: E402
from experiments.training import TrainResult, fit, make_eval_set, make_targets  # noqa: E402
from experiments.validation import check_config, check_tracking_uri, swept_keys  # noqa: E402
from mytorch import nn  # noqa: E402
from mytorch.utils.data import DataLoader, TensorDataset  # noqa: E402

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
TRAINER = SimpleNamespace(epochs=4, log_every_n_steps=1, tol=0.0)


def compose_config(*overrides):
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


class Recorder:
    def __init__(self):
        self.values = []

    def __call__(self, key, value, step):
        self.values.append((key, float(value), step))


class PoisonAfter(mytorch.optim.MiniBGD):
    """MiniBGD that writes inf into the first weight on its ``bad_step``-th step."""

    def __init__(self, params, lr, bad_step):
        super().__init__(params, lr=lr)
        self.bad_step = bad_step
        self.steps = 0

    def step(self, closure=None):
        super().step(closure)
        self.steps += 1
        if self.steps == self.bad_step:
            self.param_groups[0]["params"][0].data[0, 0] = np.inf


def tiny_problem():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 2))
    labels = (features[:, 0] > 0).astype(np.int64)
    dataset = TensorDataset(mytorch.from_numpy(features.astype(np.float32)),
                            make_targets(labels, 2))
    loader = DataLoader(dataset, batch_size=10, shuffle=False)
    eval_sets = [make_eval_set("val", features, labels, 2)]
    return loader, eval_sets


def test_parameter_divergence_stops_at_once():
    # Tanh saturates, so an infinite first-layer weight leaves the loss finite: only the
    # parameter check can see this divergence.
    mytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    optimizer = PoisonAfter(model.parameters(), lr=0.1, bad_step=6)
    loader, eval_sets = tiny_problem()
    recorder = Recorder()
    result = TrainResult()

    returned = fit(model, nn.BCEWithLogitsLoss(), optimizer, loader, eval_sets, TRAINER, 2,
                   recorder, result=result)

    assert returned is result
    assert result.diverged
    assert result.diverged_step == 6
    assert result.diverged_reason == "parameter 0.weight is NaN or infinite"
    # 4 updates per epoch: epoch 1 complete, epoch 2 stopped after its second update.
    assert result.updates_per_epoch == [4, 2]
    assert len(result.epoch_metrics) == 1
    assert all(math.isfinite(value) for _, value, _ in recorder.values)
    assert [step for key, _, step in recorder.values if key == "batch_loss"] == [1, 2, 3, 4, 5, 6]


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_loss_divergence_sends_no_nan():
    cfg = compose_config("optimizer=bgd", "optimizer.lr=1e300", "trainer.epochs=5")
    recorder = Recorder()
    outcome = train_from_splits(cfg, prepare_data(cfg), recorder)

    assert outcome.train.diverged
    assert outcome.train.diverged_step is not None
    assert outcome.train.epochs_run < 5
    batch_losses = [value for key, value, _ in recorder.values if key == "batch_loss"]
    assert batch_losses
    assert all(math.isfinite(value) for value in batch_losses)


@pytest.mark.parametrize("override, expected", [
    ("trainer.epochs=0", "trainer.epochs=0 is invalid"),
    ("trainer.epochs=-1", "trainer.epochs=-1 is invalid"),
    ("trainer.batch_size=0", "trainer.batch_size=0 is invalid"),
    ("trainer.log_every_n_steps=0", "trainer.log_every_n_steps=0 is invalid"),
    ("trainer.tol=-1", "trainer.tol=-1.0 is invalid"),
    ("optimizer.lr=0", "optimizer.lr=0.0 is invalid"),
    ("optimizer.lr=-1", "optimizer.lr=-1.0 is invalid"),
    ("optimizer.lr=nan", "optimizer.lr=nan is invalid"),
    ("optimizer.lr=inf", "optimizer.lr=inf is invalid"),
    ("optimizer.eps=-1", "Invalid epsilon value: -1.0"),
    ("model.hidden_sizes=[]", "model.hidden_sizes=[] is invalid"),
    ("model.hidden_sizes=[4,0]", "invalid sizes [0]"),
    ("+trainer.epoch=5", "unknown config key 'trainer.epoch'"),
    ("+optimizer.momentum=0.9", "unknown config key 'optimizer.momentum'"),
    ("+extra=1", "unknown config key 'extra'"),
    ("optimizer._target_=mytorch.optim.RMSprop", "choose one with optimizer=NAME, one of: "
                                                 "adam, adamw, bgd, sgd"),
    ("data=csv", "set data.path=FILE"),
    ("data.val_size=0.9", "leaves no training data"),
])
def test_config_check_names_value(override, expected):
    cfg = compose_config(override)
    with pytest.raises(InputError) as error:
        check_config(cfg)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_config_check_accepts_defaults():
    for optimizer in ("adam", "adamw", "bgd", "sgd"):
        check_config(compose_config(f"optimizer={optimizer}"))


def test_config_check_skips_swept_keys():
    cfg = compose_config("trainer.batch_size=0")
    check_config(cfg, skip={"trainer.batch_size"})
    with pytest.raises(InputError):
        check_config(cfg, skip={"trainer.epochs"})


def test_swept_keys_from_overrides():
    config = OmegaConf.create({"hydra": {
        "overrides": {"task": ["optimizer.lr=0.1,0.2", "seed=0", "+trainer.tol=choice(0,1)",
                               "optimizer=adamw,bgd"]},
        "sweeper": {"params": {"trainer.batch_size": "16,64"}}}})
    assert swept_keys(config) == {"optimizer.lr", "trainer.tol", "optimizer",
                                  "trainer.batch_size"}


@pytest.mark.parametrize("uri, expected", [
    ("sqlite:/x.db", "is malformed"),
    ("sqlite:///no/such/folder/m.db", "which does not exist"),
    ("foo://bar", "not a tracking URI this harness supports"),
    ("http://127.0.0.1:abc", "is malformed"),
    ("http://:5000", "names no host"),
    ("./mlruns", "not a tracking URI this harness supports"),
])
def test_tracking_uri_malformed(uri, expected):
    with pytest.raises(InputError, match=expected):
        check_tracking_uri(uri)


def test_tracking_uri_password_not_shown():
    with pytest.raises(InputError) as error:
        check_tracking_uri("foo://user:hunter2@127.0.0.1/x")
    assert "hunter2" not in str(error.value)
    assert "user:[redacted]@127.0.0.1" in str(error.value)
