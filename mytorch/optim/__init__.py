"""Optimizers and learning-rate schedulers with the names, defaults and arithmetic of torch."""

from mytorch.optim import lr_scheduler
from mytorch.optim.adagrad import Adagrad
from mytorch.optim.adam import Adam
from mytorch.optim.adamw import AdamW
from mytorch.optim.minibgd import MiniBGD
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "MiniBGD", "Optimizer", "RMSprop", "lr_scheduler"]
