"""The layer classes of ``mytorch.nn``."""

from mytorch.nn.modules.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from mytorch.nn.modules.container import ModuleDict, ModuleList, Sequential
from mytorch.nn.modules.dropout import Dropout
from mytorch.nn.modules.flatten import Flatten
from mytorch.nn.modules.linear import Identity, Linear
from mytorch.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from mytorch.nn.modules.module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "GELU",
           "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module",
           "ModuleDict", "ModuleList", "NLLLoss", "ReLU", "Sequential", "Sigmoid", "Softmax",
           "Softplus", "Tanh"]
