"""Write tests/reference/training_moons.npz: torch's run of the 2-5-3-1 Tanh network on half-moons.

Run it from the repository root with torch installed:

    python tests/reference/make_training_references.py

The archive stores the inputs of the run (points, labels, initial weights, hyperparameters) and
torch's results (the loss after every step, the final weights, the final accuracy). The test
``tests/test_training_reference.py`` repeats the run with mytorch from the same inputs and
compares. Everything is float64, the batches come in a fixed order (no shuffling), and the
initial weights come from numpy, so the two runs differ only in floating-point rounding.
"""

import pathlib

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

OUTPUT = pathlib.Path(__file__).with_name("training_moons.npz")

SEED = 20261204
POINTS_PER_CLASS = 150
NOISE = 0.15
LAYER_SIZES = (2, 5, 3, 1)
BATCH_SIZE = 50
EPOCHS = 150
LEARNING_RATE = 0.03
WEIGHT_DECAY = 0.01


def make_moons(rng, points_per_class, noise):
    """Two interleaving half circles with Gaussian noise; class 0 on top, class 1 below."""
    angles_top = rng.uniform(0.0, np.pi, points_per_class)
    angles_bottom = rng.uniform(0.0, np.pi, points_per_class)
    top = np.stack([np.cos(angles_top), np.sin(angles_top)], axis=1)
    bottom = np.stack([1.0 - np.cos(angles_bottom), 0.5 - np.sin(angles_bottom)], axis=1)
    points = np.concatenate([top, bottom]) + rng.normal(0.0, noise, (2 * points_per_class, 2))
    labels = np.concatenate([np.zeros(points_per_class), np.ones(points_per_class)])

    # Interleave the classes so every fixed-order batch contains both.
    order = rng.permutation(2 * points_per_class)
    return points[order], labels[order]


def make_initial_weights(rng, layer_sizes):
    """Draw torch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with numpy."""
    weights = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes, layer_sizes[1:], strict=False)):
        bound = 1.0 / np.sqrt(fan_in)
        weights[f"{2 * layer}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in))
        weights[f"{2 * layer}.bias"] = rng.uniform(-bound, bound, fan_out)
    return weights


def build_model(layer_sizes):
    layers = []
    for fan_in, fan_out in zip(layer_sizes, layer_sizes[1:], strict=False):
        layers += [nn.Linear(fan_in, fan_out, dtype=torch.float64), nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def train(points, labels, initial_weights):
    model = build_model(LAYER_SIZES)
    model.load_state_dict({name: torch.from_numpy(value)
                           for name, value in initial_weights.items()})
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    criterion = nn.BCEWithLogitsLoss()
    dataset = TensorDataset(torch.from_numpy(points), torch.from_numpy(labels).unsqueeze(1))
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False)

    losses = []
    for _ in range(EPOCHS):
        for inputs, targets in loader:
            loss = criterion(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    with torch.no_grad():
        predictions = (model(torch.from_numpy(points)).squeeze(1) > 0).double()
    accuracy = (predictions == torch.from_numpy(labels)).double().mean().item()
    final_weights = {name: value.detach().numpy().copy()
                     for name, value in model.state_dict().items()}
    return np.array(losses), accuracy, final_weights


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    points, labels = make_moons(rng, POINTS_PER_CLASS, NOISE)
    initial_weights = make_initial_weights(rng, LAYER_SIZES)
    losses, accuracy, final_weights = train(points, labels, initial_weights)

    arrays = {"points": points, "labels": labels, "losses": losses,
              "accuracy": np.float64(accuracy), "layer_sizes": np.array(LAYER_SIZES),
              "batch_size": np.int64(BATCH_SIZE), "epochs": np.int64(EPOCHS),
              "lr": np.float64(LEARNING_RATE), "weight_decay": np.float64(WEIGHT_DECAY)}
    arrays.update({f"initial/{name}": value for name, value in initial_weights.items()})
    arrays.update({f"final/{name}": value for name, value in final_weights.items()})
    np.savez(OUTPUT, **arrays)
    print(f"torch {torch.__version__}: {len(losses)} steps, loss {losses[0]:.4f} -> "
          f"{losses[-1]:.4f}, accuracy {accuracy:.4f}; wrote {OUTPUT}")


if __name__ == "__main__":
    main()
