"""A plain PyTorch training script runs unchanged with ``torch`` pointed at mytorch.

The script sets its own starting weights from ``linspace``, so it starts from the same point under
either library even though their random streams differ. Under real torch (when installed) the
losses must then match mytorch's to float32 precision.
"""

import sys

import pytest

import mytorch

SCRIPT = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = F.tanh(self.fc2(h))
        return self.out(h)


def fill_weights(model):
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            values = torch.linspace(-0.6, 0.6, p.numel()).reshape(p.shape)
            p.copy_(values * (1 if i % 2 == 0 else -1) + 0.05 * i)


torch.manual_seed(0)
a = torch.linspace(-3, 3, 60)
x = torch.stack([a, torch.tanh(3 * a) - 0.3 * a], dim=1)
y = (x[:, 1] > 0.2 * x[:, 0]).long()

model = MLP(2, 8, 2)
fill_weights(model)
loss_fn = nn.CrossEntropyLoss()
lr = 0.2
losses = []
for step in range(40):
    logits = model(x)
    loss = loss_fn(logits, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    losses.append(loss.item())

model.eval()
with torch.no_grad():
    predictions = model(x).argmax(dim=1)
    accuracy = (predictions == y).float().mean().item()
    margin = F.binary_cross_entropy_with_logits(model(x)[:, 1], y.float()).item()
n_parameters = sum(p.numel() for p in model.parameters())
'''


def _run_script():
    namespace = {"__name__": "training_script"}
    exec(compile(SCRIPT, "training_script.py", "exec"), namespace)  # noqa: S102 - fixed text
    return namespace


@pytest.fixture
def as_torch(monkeypatch):
    """Make ``import torch``, ``torch.nn`` and ``torch.nn.functional`` return mytorch's."""
    monkeypatch.setitem(sys.modules, "torch", mytorch)
    monkeypatch.setitem(sys.modules, "torch.nn", mytorch.nn)
    monkeypatch.setitem(sys.modules, "torch.nn.functional", mytorch.nn.functional)


def test_script_trains_under_mytorch(as_torch):
    result = _run_script()

    losses = result["losses"]
    assert len(losses) == 40
    assert all(isinstance(value, float) for value in losses)
    assert losses[-1] < 0.8 * losses[0]
    assert sum(b < a for a, b in zip(losses, losses[1:], strict=False)) >= 30
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["accuracy"] > 0.7
    assert result["n_parameters"] == 2 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2
    assert isinstance(result["model"].fc1.weight, mytorch.nn.Parameter)


def test_script_matches_real_torch(as_torch, monkeypatch):
    mine = _run_script()
    monkeypatch.undo()
    torch = pytest.importorskip("torch", reason="torch is not installed; nothing to compare with")
    assert sys.modules["torch"] is torch

    theirs = _run_script()

    assert mine["losses"] == pytest.approx(theirs["losses"], rel=1e-4, abs=1e-6)
    assert mine["accuracy"] == theirs["accuracy"]
    assert mine["margin"] == pytest.approx(theirs["margin"], rel=1e-4)
