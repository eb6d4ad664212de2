"""Parts of torch's API that beginners' scripts use: Size, format, round, norm, clipping."""

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.autograd import gradcheck


def test_shape_is_size_tuple():
    x = mytorch.zeros(2, 3)
    assert x.shape == (2, 3)
    assert isinstance(x.shape, tuple)
    assert repr(x.shape) == "mytorch.Size([2, 3])"
    assert x.size() == (2, 3)
    assert x.size(1) == 3
    assert x.shape.numel() == 6


def test_format_one_element_tensor():
    loss = mytorch.tensor(0.123456, dtype=mytorch.float64)
    assert f"{loss:.4f}" == "0.1235"
    assert f"{mytorch.tensor(7)}" == "7"  # torch formats any 0-d tensor as its value
    with pytest.raises(TypeError):
        format(mytorch.ones(2), ".2f")


def test_round_half_to_even_with_zero_gradient():
    x = mytorch.tensor([0.5, 1.5, -2.567], dtype=mytorch.float64, requires_grad=True)
    assert mytorch.round(x).tolist() == [0.0, 2.0, -3.0]
    assert x.round(decimals=2).tolist() == [0.5, 1.5, -2.57]
    x.round().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_norm_known_values():
    x = mytorch.tensor([[3.0, -4.0], [0.0, 0.0]], dtype=mytorch.float64)
    assert x.norm().item() == 5.0
    assert mytorch.norm(x, dim=1).tolist() == [5.0, 0.0]
    assert x.norm(p=1).item() == 7.0
    assert x.norm(p=float("inf")).item() == 4.0
    assert x.norm(p=3).item() == pytest.approx((27 + 64) ** (1 / 3), rel=1e-15)
    assert x.norm(dim=0, keepdim=True).shape == (1, 2)


def test_norm_gradient_zero_at_zero_vector():
    x = mytorch.tensor([[3.0, -4.0], [0.0, 0.0]], dtype=mytorch.float64, requires_grad=True)
    x.norm(dim=1).sum().backward()
    assert x.grad.tolist() == [[0.6, -0.8], [0.0, 0.0]]


@pytest.mark.parametrize("p", ["fro", 1, 3, float("inf")])
def test_norm_gradcheck(p):
    x = mytorch.tensor([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]], dtype=mytorch.float64,
                       requires_grad=True)
    assert gradcheck(lambda t: t.norm(p=p, dim=1), (x,))


def test_clip_grad_norm_scales_to_max_norm():
    layer = nn.Linear(2, 2).double()
    layer.weight.grad = mytorch.full((2, 2), 3.0, dtype=mytorch.float64)
    layer.bias.grad = mytorch.full((2,), 4.0, dtype=mytorch.float64)

    total = nn.utils.clip_grad_norm_(layer.parameters(), max_norm=1.0)

    assert total.item() == pytest.approx(np.sqrt(4 * 9 + 2 * 16), rel=1e-15)
    clipped = np.sqrt(np.sum(layer.weight.grad.numpy() ** 2) + np.sum(layer.bias.grad.numpy() ** 2))
    assert clipped == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients():
    p = mytorch.zeros(3, requires_grad=True)
    p.grad = mytorch.tensor([0.1, 0.2, 0.2])
    total = nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == pytest.approx(0.3, rel=1e-6)
    np.testing.assert_array_equal(p.grad.numpy(), np.array([0.1, 0.2, 0.2], dtype=np.float32))


def test_clip_grad_value_clamps_each_element():
    p = mytorch.zeros(3, requires_grad=True)
    p.grad = mytorch.tensor([-2.0, 0.5, 3.0])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0]
