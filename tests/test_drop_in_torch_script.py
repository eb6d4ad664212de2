"""A torch training script runs unchanged with mytorch standing in for torch.

The script below uses only torch's public API: nn.Module, nn.functional, optim, DataLoader,
TensorDataset, no_grad, torch.save and torch.load. The mytorch test installs mytorch under the
torch module names in ``sys.modules`` and executes the text as it is. The live test runs the same
text with torch itself, which shows the script is genuine torch code.
"""

import sys

import numpy as np
import pytest

import mytorch
import mytorch.nn.functional
import mytorch.utils.data

TORCH_SCRIPT = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
generator = torch.Generator().manual_seed(0)

# Points in the square [-2, 2]^2, labelled 1 inside the unit circle.
inputs = torch.rand(400, 2, generator=generator) * 4 - 2
targets = (inputs.pow(2).sum(dim=1, keepdim=True) < 1.0).float()


class Net(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


model = Net()
optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
criterion = nn.BCEWithLogitsLoss()
loader = DataLoader(TensorDataset(inputs, targets), batch_size=32, shuffle=True,
                    generator=generator)

epoch_losses = []
for epoch in range(80):
    model.train()
    total = 0.0
    for batch_inputs, batch_targets in loader:
        optimizer.zero_grad()
        loss = criterion(model(batch_inputs), batch_targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch_inputs)
    epoch_losses.append(total / len(loader.dataset))

model.eval()
with torch.no_grad():
    logits = model(inputs)
    final_loss = F.binary_cross_entropy_with_logits(logits, targets).item()
    accuracy = ((logits > 0).float() == targets).float().mean().item()

torch.save(model.state_dict(), checkpoint_path)
restored = Net()
restored.load_state_dict(torch.load(checkpoint_path))
restored.eval()
with torch.no_grad():
    restored_logits = restored(inputs)
same_predictions = torch.equal(logits, restored_logits)
'''

TORCH_MODULE_NAMES = {
    "torch": mytorch,
    "torch.nn": mytorch.nn,
    "torch.nn.functional": mytorch.nn.functional,
    "torch.optim": mytorch.optim,
    "torch.utils": mytorch.utils,
    "torch.utils.data": mytorch.utils.data,
}


def run_script(checkpoint_path):
    namespace = {"__name__": "torch_script", "checkpoint_path": str(checkpoint_path)}
    exec(compile(TORCH_SCRIPT, "torch_script.py", "exec"), namespace)
    return namespace


@pytest.fixture
def mytorch_as_torch(monkeypatch):
    for name, module in TORCH_MODULE_NAMES.items():
        monkeypatch.setitem(sys.modules, name, module)


def test_script_runs_on_mytorch(tmp_path, mytorch_as_torch):
    result = run_script(tmp_path / "model.pt")

    assert result["torch"] is mytorch
    assert len(result["epoch_losses"]) == 80
    assert result["epoch_losses"][-1] < 0.5 * result["epoch_losses"][0]
    assert result["accuracy"] >= 0.9
    assert result["final_loss"] < 0.3
    assert result["same_predictions"] is True


def test_script_checkpoint_is_mytorch_file(tmp_path, mytorch_as_torch):
    result = run_script(tmp_path / "model.pt")

    state = mytorch.load(tmp_path / "model.pt")

    assert list(state) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    np.testing.assert_array_equal(state["out.weight"].data,
                                  result["model"].out.weight.data)


def test_script_runs_on_torch(tmp_path):
    torch = pytest.importorskip("torch", reason="the live check runs the script with torch")
    threads = torch.get_num_threads()
    # One thread avoids the thread start-up cost that dominates such a tiny network.
    torch.set_num_threads(1)
    try:
        result = run_script(tmp_path / "model.pt")
    finally:
        torch.set_num_threads(threads)

    assert result["torch"] is torch
    assert result["accuracy"] >= 0.9
    assert result["same_predictions"] is True
