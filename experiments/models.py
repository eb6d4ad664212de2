"""Model builders that Hydra instantiates from conf/model/*.yaml."""

from enum import Enum

from mytorch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def build_mlp(in_features, out_features, hidden_sizes=(5, 3), activation="tanh", name=None):
    """Build Linear -> activation -> ... -> Linear with ``hidden_sizes`` hidden units.

    Weights are drawn from mytorch's default generator, so seed it first. ``name`` labels the
    config and is not used here.
    """
    if isinstance(activation, Enum):
        activation = activation.value
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown model.activation {activation!r}; "
                         f"use one of {sorted(ACTIVATIONS)}")
    bad_sizes = [size for size in hidden_sizes if int(size) < 1]
    if bad_sizes:
        raise ValueError(f"model.hidden_sizes={list(hidden_sizes)} has sizes {bad_sizes}; "
                         f"every hidden layer needs at least one unit")

    layers = []
    width = in_features
    for size in hidden_sizes:
        layers += [nn.Linear(width, int(size)), ACTIVATIONS[activation]()]
        width = int(size)
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
