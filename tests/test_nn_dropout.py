"""Dropout: mask statistics, inverted scaling, train/eval switching and reproducibility."""

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.nn import functional as F  # noqa: N812 - torch's usual alias


def test_dropout_statistics():
    mytorch.manual_seed(0)
    x = mytorch.ones(200_000, dtype=mytorch.float64)

    output = F.dropout(x, p=0.3)

    dropped = (output.data == 0).mean()
    # The standard error of the dropped fraction is √(0.3·0.7/200000) ≈ 0.001.
    assert dropped == pytest.approx(0.3, abs=0.005)
    values = np.unique(output.data)
    assert values.tolist() == [0.0, pytest.approx(1 / 0.7, rel=1e-15)]
    assert output.data.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_gradient_uses_mask():
    mytorch.manual_seed(1)
    x = mytorch.randn(50, 4, requires_grad=True)

    output = F.dropout(x, p=0.5)
    output.sum().backward()

    kept = output.data != 0
    np.testing.assert_array_equal(x.grad.data, np.where(kept, 2.0, 0.0))


def test_dropout_reproducible_with_manual_seed():
    x = mytorch.ones(100)
    mytorch.manual_seed(3)
    first = F.dropout(x, 0.5)
    mytorch.manual_seed(3)
    second = F.dropout(x, 0.5)
    third = F.dropout(x, 0.5)

    assert np.array_equal(first.data, second.data)
    assert not np.array_equal(second.data, third.data)


def test_dropout_module_train_eval():
    layer = nn.Dropout(p=0.5)
    x = mytorch.ones(1000)

    assert (layer(x).data == 0).any()
    layer.eval()
    assert np.array_equal(layer(x).data, x.data)
    layer.train()
    assert (layer(x).data == 0).any()


def test_dropout_switches_inside_network():
    net = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.9))
    x = mytorch.randn(20, 10)

    net.eval()
    evaluated = net(x).data
    np.testing.assert_allclose(evaluated, net[0](x).data, rtol=1e-6)
    net.train()
    assert (net(x).data == 0).mean() > 0.8


def test_dropout_edge_probabilities():
    x = mytorch.randn(10, requires_grad=True)

    assert np.array_equal(F.dropout(x, p=0.0).data, x.data)
    zeros = F.dropout(x, p=1.0)
    assert not zeros.data.any()
    assert np.array_equal(F.dropout(x, p=0.5, training=False).data, x.data)


def test_dropout_rejects_bad_probability():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        F.dropout(mytorch.ones(2), p=-0.1)


def test_dropout_keeps_dtype():
    x = mytorch.ones(10)

    assert F.dropout(x, 0.5).dtype == mytorch.float32
