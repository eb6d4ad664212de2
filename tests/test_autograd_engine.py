"""The backward engine: accumulation, graph traversal, retained graphs and grad mode."""

import numpy as np
import pytest

import mytorch
from mytorch._ops import result
from mytorch.autograd.engine import topological_order


def _leaf(values, dtype=mytorch.float64):
    return mytorch.tensor(values, dtype=dtype, requires_grad=True)


def _counted_identity(x, counter, name):
    """Return ``x`` through a node whose backward counts its calls in ``counter[name]``."""

    def backward(g):
        counter[name] = counter.get(name, 0) + 1
        return (g,)

    return result(x.data.copy(), (x,), backward, name)


# ------------------------------------------------------------------ reused tensors


def test_reused_tensor_sums_gradients():
    a = _leaf(3.0)
    b = a + a
    c = b + b

    c.backward()

    assert a.grad.item() == 4.0


def test_shared_weight_gets_both_inputs():
    w = _leaf([1.0, 2.0, 3.0])
    x = mytorch.tensor([0.5, -1.0, 2.0], dtype=mytorch.float64)
    z = mytorch.tensor([4.0, 0.25, -3.0], dtype=mytorch.float64)

    (w * x + w * z).sum().backward()

    np.testing.assert_array_equal(w.grad.data, x.data + z.data)


def test_diamond_runs_each_backward_once():
    counter = {}
    a = _leaf([1.0, 2.0])
    top = _counted_identity(a, counter, "top")
    left = _counted_identity(top * 2, counter, "left")
    right = _counted_identity(top * 3, counter, "right")
    bottom = _counted_identity(left + right, counter, "bottom")

    bottom.sum().backward()

    assert counter == {"top": 1, "left": 1, "right": 1, "bottom": 1}
    np.testing.assert_array_equal(a.grad.data, [5.0, 5.0])


def test_topological_order_puts_inputs_first():
    a = _leaf(1.0)
    b = a * 2
    c = b + 1
    d = b * c
    e = d + c

    order = topological_order(e)

    positions = {id(t): i for i, t in enumerate(order)}
    assert len(order) == 4
    assert positions[id(b)] < positions[id(c)] < positions[id(d)] < positions[id(e)]


def test_long_chain_backpropagates():
    x = _leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001

    y.backward()

    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_wide_fan_in_sums_once():
    x = _leaf([1.0, -2.0])
    total = x * 0
    for k in range(1, 501):
        total = total + x * k

    total.sum().backward()

    np.testing.assert_array_equal(x.grad.data, [125250.0, 125250.0])


# ------------------------------------------------------------------ accumulation, retained graphs


def test_two_backward_calls_accumulate():
    x = _leaf([1.0, 2.0])

    (x * x).sum().backward()
    (x * 3).sum().backward()

    np.testing.assert_array_equal(x.grad.data, [2.0 + 3.0, 4.0 + 3.0])


def test_accumulation_keeps_grad_object():
    x = _leaf([1.0, 2.0])
    (x * 2).sum().backward()
    first = x.grad

    (x * 2).sum().backward()

    assert x.grad is first
    np.testing.assert_array_equal(first.data, [4.0, 4.0])


def test_grad_not_shared_with_upstream():
    x = _leaf([1.0, 2.0])
    upstream = mytorch.tensor([1.0, 1.0], dtype=mytorch.float64)
    y = x + 0

    y.backward(upstream)
    x.grad.data += 10

    np.testing.assert_array_equal(upstream.data, [1.0, 1.0])


def test_second_backward_without_retain_raises():
    x = _leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward()

    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()

    y.backward(retain_graph=True)
    y.backward()

    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_grad_none_until_backward_reaches():
    x = _leaf([1.0])
    unused = _leaf([2.0])
    y = (x * 2).sum()

    assert x.grad is None
    y.backward()
    assert unused.grad is None
    assert x.grad is not None


def test_non_leaf_keeps_no_grad():
    x = _leaf([1.0, 2.0])
    hidden = x * 3
    hidden.sum().backward()

    assert hidden.grad is None
    assert not hidden.is_leaf
    assert x.is_leaf


def test_retain_grad_keeps_non_leaf_grad():
    x = _leaf([1.0, 2.0])
    hidden = x * 3
    hidden.retain_grad()
    (hidden * hidden).sum().backward()

    assert hidden.retains_grad
    np.testing.assert_array_equal(hidden.grad.data, [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.data, [18.0, 36.0])


def test_backward_on_leaf_itself():
    x = _leaf(2.0)

    x.backward()

    assert x.grad.item() == 1.0


# ------------------------------------------------------------------ errors


def test_non_scalar_backward_needs_gradient():
    y = _leaf([1.0, 2.0]) * 2

    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()


def test_non_scalar_backward_with_gradient():
    x = _leaf([1.0, 2.0])

    (x * x).backward(mytorch.tensor([1.0, 0.5], dtype=mytorch.float64))

    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_gradient_shape_mismatch_raises():
    y = _leaf([1.0, 2.0]) * 2

    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        y.backward(mytorch.ones(3, dtype=mytorch.float64))


def test_backward_without_grad_raises():
    y = mytorch.tensor([1.0, 2.0]).sum()

    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_matmul_mismatch_names_shapes():
    a = mytorch.ones(2, 3, requires_grad=True)
    b = mytorch.ones(4, 5)

    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4, 5\)"):
        a @ b


def test_inplace_on_grad_leaf_raises():
    x = _leaf([1.0, 2.0])

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with mytorch.no_grad():
        x.add_(1.0)
    np.testing.assert_array_equal(x.data, [2.0, 3.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        mytorch.tensor([1, 2], requires_grad=True)


# ------------------------------------------------------------------ broadcasting and dtypes


@pytest.mark.parametrize(("shape_a", "shape_b"), [((5, 3), (3,)), ((4, 1), (1, 3)),
                                                  ((), (2, 3)), ((2, 1, 3), (4, 1))])
def test_broadcast_gradient_has_input_shape(shape_a, shape_b):
    a = mytorch.ones(shape_a, dtype=mytorch.float64, requires_grad=True)
    b = mytorch.ones(shape_b, dtype=mytorch.float64, requires_grad=True)
    out = a * b

    out.sum().backward()

    assert a.grad.shape == shape_a
    assert b.grad.shape == shape_b
    assert a.grad.data.sum() == out.numel()
    assert b.grad.data.sum() == out.numel()


def test_float32_stays_float32():
    x = mytorch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    w = mytorch.tensor([[1.5], [-0.5]], requires_grad=True)
    scale = mytorch.tensor(2.0, dtype=mytorch.float64)

    y = ((x @ w).tanh() * 2.0 + 1 - np.float64(0.5)) * scale
    loss = (y.sigmoid().log_softmax(dim=0) ** 2).mean() / 3
    loss.backward()

    assert y.dtype == mytorch.float32
    assert loss.dtype == mytorch.float32
    assert x.grad.dtype == mytorch.float32
    assert w.grad.dtype == mytorch.float32


def test_mixed_dtype_gradient_takes_leaf_dtype():
    x32 = mytorch.tensor([1.0, 2.0], requires_grad=True)
    x64 = mytorch.tensor([3.0, 4.0], dtype=mytorch.float64, requires_grad=True)

    (x32 * x64).sum().backward()

    assert x32.grad.dtype == mytorch.float32
    assert x64.grad.dtype == mytorch.float64
    np.testing.assert_array_equal(x32.grad.data, [3.0, 4.0])


def test_repeated_indices_add_up():
    x = _leaf([1.0, 2.0, 3.0])

    x[[0, 0, 2, 0]].sum().backward()

    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_detach_cuts_graph():
    x = _leaf([1.0, 2.0])
    y = x * 2
    z = y.detach()

    assert not z.requires_grad
    assert z.grad_fn is None
    assert np.shares_memory(z.data, y.data)


# ------------------------------------------------------------------ grad mode


def test_no_grad_records_nothing():
    x = _leaf([1.0])

    with mytorch.no_grad():
        y = x * 2

    assert not y.requires_grad
    assert y.grad_fn is None
    assert mytorch.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = _leaf([1.0])

    with mytorch.no_grad():
        with mytorch.enable_grad():
            y = x * 2
        z = x * 2

    assert y.requires_grad
    assert not z.requires_grad


def test_no_grad_as_decorator():
    x = _leaf([1.0])

    @mytorch.no_grad()
    def doubled(t):
        return t * 2

    @mytorch.no_grad
    def tripled(t):
        return t * 3

    assert not doubled(x).requires_grad
    assert not tripled(x).requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_as_decorator():
    x = _leaf([1.0])

    @mytorch.enable_grad()
    def doubled(t):
        return t * 2

    with mytorch.no_grad():
        y = doubled(x)

    assert y.requires_grad


def test_no_grad_restored_after_error():
    with pytest.raises(ValueError, match="inside"):
        with mytorch.no_grad():
            raise ValueError("inside")

    assert mytorch.is_grad_enabled()


def test_set_grad_enabled_call_and_context():
    with mytorch.set_grad_enabled(False):
        assert not mytorch.is_grad_enabled()
    assert mytorch.is_grad_enabled()

    mytorch.set_grad_enabled(False)
    try:
        assert not mytorch.is_grad_enabled()
    finally:
        mytorch.set_grad_enabled(True)
    assert mytorch.is_grad_enabled()


def test_autograd_backward_several_roots():
    x = _leaf([1.0, 2.0])
    shared = x * x

    mytorch.autograd.backward([shared.sum(), (shared * 2).sum()])

    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0])


def test_gradient_with_fewer_dims_reshaped():
    x = _leaf([2.0])

    def summed_backward(a):
        # The closure returns a 0-d gradient for an operand of shape (1,).
        return result(a.data * 3, (a,), lambda g: (3 * g.sum(),), "SummedBackward")

    summed_backward(x).sum().backward()

    assert x.grad.shape == (1,)
    np.testing.assert_array_equal(x.grad.data, [3.0])
