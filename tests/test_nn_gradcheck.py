"""Gradients of every layer and loss against central finite differences (float64).

Inputs stay away from kinks (ReLU at 0, L1 at ties, BCE's clamp), where finite differences and
the one-sided gradients torch defines disagree by design.
"""

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.autograd import gradcheck


def _tensor(array, requires_grad=True):
    return mytorch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _away_from_zero(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


LAYERS = {
    "linear": lambda: nn.Linear(3, 2),
    "linear_no_bias": lambda: nn.Linear(3, 2, bias=False),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "softplus": lambda: nn.Softplus(beta=2.0, threshold=1.5),
    "softmax": lambda: nn.Softmax(dim=1),
    "log_softmax": lambda: nn.LogSoftmax(dim=0),
    "flatten": nn.Flatten,
    "identity": nn.Identity,
    "sequential": lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradcheck(name, rng):
    module = LAYERS[name]().double()
    x = _tensor(_away_from_zero(rng, (4, 3)))
    params = list(module.parameters())

    assert gradcheck(lambda x, *p: module(x), [x, *params])


def test_dropout_gradcheck_with_fixed_mask(rng):
    x = _tensor(rng.standard_normal((5, 4)))

    def fixed_mask_dropout(x):
        mytorch.manual_seed(3)  # the same mask on every call
        return nn.functional.dropout(x, p=0.4)

    assert gradcheck(fixed_mask_dropout, [x])


def _loss_inputs(rng):
    x = _tensor(rng.standard_normal((5, 3)))
    soft = _tensor(rng.uniform(0.1, 0.9, (5, 3)))
    weight = _tensor(rng.uniform(0.5, 2.0, 3), requires_grad=False)
    return x, soft, weight


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_gradcheck(reduction, rng):
    x, soft, weight = _loss_inputs(rng)
    pos_weight = _tensor([0.5, 2.0, 3.0], requires_grad=False)
    loss = nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight, reduction=reduction)

    assert gradcheck(loss, [x, soft])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_gradcheck(reduction, rng):
    _, soft, weight = _loss_inputs(rng)
    probabilities = _tensor(rng.uniform(0.05, 0.95, (5, 3)))
    loss = nn.BCELoss(weight=weight, reduction=reduction)

    assert gradcheck(loss, [probabilities, soft])


@pytest.mark.parametrize("loss_class", [nn.MSELoss, nn.L1Loss])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_loss_gradcheck(loss_class, reduction, rng):
    x, soft, _ = _loss_inputs(rng)
    target = _tensor(x.data + np.where(rng.random((5, 3)) < 0.5, -0.3, 0.3))

    assert gradcheck(loss_class(reduction=reduction), [x, target])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_indices_gradcheck(reduction, label_smoothing, rng):
    x, _, weight = _loss_inputs(rng)
    target = mytorch.tensor([0, 2, 1, 1, 2])
    loss = nn.CrossEntropyLoss(weight=weight, ignore_index=1, reduction=reduction,
                               label_smoothing=label_smoothing)

    assert gradcheck(lambda x: loss(x, target), [x])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probabilities_gradcheck(reduction, rng):
    x, _, weight = _loss_inputs(rng)
    target = _tensor(rng.dirichlet(np.ones(3), 5))
    loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=0.1)

    assert gradcheck(loss, [x, target])


def test_cross_entropy_spatial_gradcheck(rng):
    x = _tensor(rng.standard_normal((2, 3, 4)))
    target = mytorch.tensor([[0, 1, 2, 2], [1, 1, 0, 2]])

    assert gradcheck(lambda x: nn.CrossEntropyLoss(label_smoothing=0.1)(x, target), [x])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_nll_loss_gradcheck(reduction, rng):
    x, _, weight = _loss_inputs(rng)
    target = mytorch.tensor([0, 2, 1, 1, 2])
    loss = nn.NLLLoss(weight=weight, ignore_index=2, reduction=reduction)

    assert gradcheck(lambda x: loss(x, target), [x])
