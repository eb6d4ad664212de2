"""The 2-5-3-1 Tanh network trained with AdamW on half-moons, against torch's stored run.

tests/reference/make_training_references.py trained the same network with torch 2.13 in float64
from the same points, initial weights and batch order, and stored the loss after every step.
Both runs see identical inputs, so they differ only in floating-point rounding.
"""

import pathlib

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.utils.data import DataLoader, TensorDataset

REFERENCE = pathlib.Path(__file__).parent / "reference" / "training_moons.npz"


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def build_model(layer_sizes):
    layers = []
    for fan_in, fan_out in zip(layer_sizes, layer_sizes[1:], strict=False):
        layers += [nn.Linear(fan_in, fan_out, dtype=mytorch.float64), nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def weights_under(reference, prefix):
    return {name[len(prefix):]: mytorch.from_numpy(value.copy())
            for name, value in reference.items() if name.startswith(prefix)}


@pytest.fixture(scope="module")
def mytorch_run(reference):
    model = build_model(tuple(reference["layer_sizes"]))
    model.load_state_dict(weights_under(reference, "initial/"))
    optimizer = mytorch.optim.AdamW(model.parameters(), lr=float(reference["lr"]),
                                    weight_decay=float(reference["weight_decay"]))
    criterion = nn.BCEWithLogitsLoss()
    points = mytorch.from_numpy(reference["points"])
    labels = mytorch.from_numpy(reference["labels"])
    loader = DataLoader(TensorDataset(points, labels.unsqueeze(1)),
                        batch_size=int(reference["batch_size"]), shuffle=False)

    losses = []
    for _ in range(int(reference["epochs"])):
        for inputs, targets in loader:
            loss = criterion(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    with mytorch.no_grad():
        predictions = (model(points).squeeze(1) > 0).double()
    accuracy = (predictions == labels).double().mean().item()
    return {"losses": np.array(losses), "accuracy": accuracy, "model": model}


def test_loss_trajectory_matches_torch(reference, mytorch_run):
    losses = mytorch_run["losses"]

    assert losses.shape == reference["losses"].shape
    np.testing.assert_allclose(losses, reference["losses"], rtol=1e-9, atol=1e-12)


def test_final_weights_match_torch(reference, mytorch_run):
    state = mytorch_run["model"].state_dict()

    for name, expected in weights_under(reference, "final/").items():
        np.testing.assert_allclose(state[name].data, expected.data, rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_accuracy_matches_torch(reference, mytorch_run):
    assert mytorch_run["accuracy"] == float(reference["accuracy"])


def test_accuracy_is_high(mytorch_run):
    assert mytorch_run["accuracy"] >= 0.9


def test_loss_decreases(mytorch_run):
    losses = mytorch_run["losses"]

    assert losses[-50:].mean() < 0.2 * losses[:10].mean()
