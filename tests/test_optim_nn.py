"""mytorch.optim with mytorch.nn models and a mytorch.save checkpoint."""

import numpy as np
import pytest

import mytorch
from mytorch import nn, optim
from mytorch.optim import lr_scheduler

OPTIMIZERS = [
    (optim.MiniBGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.05, "lr_decay": 0.01}),
]
OPTIMIZER_IDS = [cls.__name__ for cls, _ in OPTIMIZERS]


def _model():
    mytorch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1))


def _batch():
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(16, 2)).astype(np.float32)
    targets = np.sin(inputs[:, :1] * 2 + inputs[:, 1:]).astype(np.float32)
    return mytorch.tensor(inputs), mytorch.tensor(targets)


def _train(model, optimizer, scheduler, steps):
    inputs, targets = _batch()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(inputs), targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_optimizer_trains_module_in_place(cls, kwargs):
    model = _model()
    parameters = list(model.parameters())
    arrays = [p.data for p in parameters]
    optimizer = cls(model.parameters(), **kwargs)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.99)

    losses = _train(model, optimizer, scheduler, 100)

    assert losses[-1] < 0.5 * losses[0]
    for parameter, array, after in zip(parameters, arrays, model.parameters(), strict=True):
        assert after is parameter
        assert after.data is array
        assert after.data.dtype == np.float32


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_checkpoint_resume_is_bit_identical(cls, kwargs, tmp_path):
    model = _model()
    optimizer = cls(model.parameters(), **kwargs)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=15)
    _train(model, optimizer, scheduler, 30)
    uninterrupted = [p.data.copy() for p in model.parameters()]

    model = _model()
    optimizer = cls(model.parameters(), **kwargs)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=15)
    _train(model, optimizer, scheduler, 12)
    checkpoint = tmp_path / "checkpoint.pt"
    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": scheduler.state_dict()}, checkpoint)

    model = _model()
    optimizer = cls(model.parameters(), **kwargs)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=15)
    saved = mytorch.load(checkpoint)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    _train(model, optimizer, scheduler, 18)

    for expected, parameter in zip(uninterrupted, model.parameters(), strict=True):
        assert np.array_equal(parameter.data, expected)
