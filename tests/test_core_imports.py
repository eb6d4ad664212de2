"""mytorch imports only numpy and the standard library, and runs torch-style script text."""

import json
import subprocess
import sys

import numpy as np
import pytest

SUBPACKAGES = ["mytorch", "mytorch.nn", "mytorch.nn.functional", "mytorch.optim",
               "mytorch.utils.data"]

# Logistic regression on a fixed grid, written against torch's API with raw tensors and a
# hand-written gradient step. It leaves ``losses`` and ``accuracy`` in its namespace for the test.
SCRIPT = """
import mytorch as torch

x = torch.linspace(-3, 3, 61).unsqueeze(1)
features = torch.cat([x, x ** 2], dim=1)
labels = (x.squeeze(1) ** 2 < 2.0).float()

weight = torch.zeros(2, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
losses = []
for step in range(200):
    logits = features @ weight + bias
    probability = torch.sigmoid(logits)
    loss = -(labels * torch.log(probability.clamp(min=1e-7))
             + (1 - labels) * torch.log((1 - probability).clamp(min=1e-7))).mean()
    loss.backward()
    with torch.no_grad():
        weight -= 0.5 * weight.grad
        bias -= 0.5 * bias.grad
        weight.grad.zero_()
        bias.grad.zero_()
    losses.append(loss.item())

predicted = (logits > 0).float()
accuracy = (predicted == labels).float().mean().item()
assert weight.grad.abs().sum().item() == 0.0
assert isinstance(torch.tensor([1.0]) * 2, torch.Tensor)
"""

# The same kind of script with nn.Module, a loss and an optimizer. Weights are set from fixed
# values, not drawn, so torch and mytorch start from the same network.
NN_SCRIPT = """
import mytorch as torch
import mytorch.nn as nn
import mytorch.nn.functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


model = TwoLayer()
with torch.no_grad():
    for parameter in model.parameters():
        values = torch.arange(parameter.numel(), dtype=torch.float32).reshape(parameter.shape)
        parameter.copy_(torch.sin(values * 1.7) * 0.5)

x = torch.linspace(-1, 1, 30).reshape(15, 2)
labels = (x.sum(dim=1) > 0).long() + (x[:, 0] > 0.5).long()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
criterion = nn.CrossEntropyLoss()
losses = []
for step in range(60):
    optimizer.zero_grad()
    loss = criterion(model(x), labels)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
accuracy = (model(x).argmax(dim=1) == labels).float().mean().item()
"""


def _run_script(script_text):
    namespace = {}
    exec(compile(script_text, "<torch-style script>", "exec"), namespace)  # noqa: S102
    return namespace


def _modules_added_by(names):
    """Return the top-level modules that importing ``names`` adds, in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "added = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(json.dumps(sorted(added)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, timeout=120)
    return set(json.loads(completed.stdout))


def test_imports_only_numpy_and_stdlib():
    # numpy's compiled extensions register Cython runtime modules (cython_runtime,
    # _cython_<version>) under their own names, so what numpy adds counts as numpy.
    numpy_modules = _modules_added_by(["numpy", "numpy.random", "numpy.linalg"])

    added = _modules_added_by(SUBPACKAGES)

    allowed = set(sys.stdlib_module_names) | numpy_modules | {"mytorch"}
    assert sorted(added - allowed) == []
    assert "numpy" in added
    assert "torch" not in added


def test_torch_style_script_trains():
    namespace = _run_script(SCRIPT)

    losses = namespace["losses"]
    assert losses[0] == pytest.approx(np.log(2.0), rel=1e-6)
    assert losses[-1] < 0.5 * losses[0]
    assert np.all(np.diff(losses) <= 1e-7), "the loss went up during training"
    assert namespace["accuracy"] >= 0.9


def test_torch_style_script_matches_torch():
    pytest.importorskip("torch", reason="torch is not installed; the live comparison needs it")

    ours = _run_script(SCRIPT)
    theirs = _run_script(SCRIPT.replace("import mytorch as torch", "import torch"))

    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5)
    assert ours["accuracy"] == theirs["accuracy"]


def test_nn_script_trains():
    namespace = _run_script(NN_SCRIPT)

    losses = namespace["losses"]
    assert losses[-1] < 0.5 * losses[0]
    assert namespace["accuracy"] >= 0.8


def test_nn_script_matches_torch():
    pytest.importorskip("torch", reason="torch is not installed; the live comparison needs it")

    ours = _run_script(NN_SCRIPT)
    theirs = _run_script(NN_SCRIPT.replace("import mytorch", "import torch")
                         .replace("torch as torch", "torch"))

    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    assert ours["accuracy"] == theirs["accuracy"]
