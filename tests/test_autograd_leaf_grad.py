"""Leaf gradients never share memory, although the engine keeps new arrays without copying."""

import numpy as np
import pytest
from core_op_cases import CASES, make_inputs, upstream_gradient

import mytorch
from mytorch._ops import pointwise, result


def _leaf(values):
    return mytorch.tensor(values, dtype=mytorch.float64, requires_grad=True)


def _same_array_twice(a, b):
    """Return ``a + b`` through a node whose backward returns one new array for both inputs."""

    def backward(g):
        shared = g * 1.0
        return shared, shared

    return result(a.data + b.data, (a, b), backward, "SharedGradBackward")


def test_one_array_for_two_leaves_is_copied():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])

    _same_array_twice(a, b).sum().backward()
    a.grad.data += 10

    assert not np.shares_memory(a.grad.data, b.grad.data)
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_one_array_for_leaf_and_node_is_copied():
    a, c = _leaf([1.0, 2.0]), _leaf([5.0, 6.0])
    b = c * 2

    # a gets the shared array first. The node of b + a receives the same array and passes it
    # on to a, so a's .grad must not be that array when it adds it in place.
    _same_array_twice(a, b + a).sum().backward()

    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(c.grad.data, [2.0, 2.0])


def test_passed_through_gradient_is_copied():
    a = _leaf([1.0, 2.0])
    upstream = mytorch.ones(2, dtype=mytorch.float64)

    # Clone's backward returns the caller's gradient array itself.
    a.clone().backward(upstream)
    a.grad.data += 10

    np.testing.assert_array_equal(upstream.data, [1.0, 1.0])


def test_view_gradient_is_copied():
    a = _leaf([[1.0, 2.0], [3.0, 4.0]])
    upstream = mytorch.ones(4, dtype=mytorch.float64)

    a.reshape(4).backward(upstream)
    a.grad.data += 10

    np.testing.assert_array_equal(upstream.data, [1.0, 1.0, 1.0, 1.0])


def test_new_array_is_kept_and_accumulates():
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    x = mytorch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=mytorch.float64)

    (x @ w).sum().backward()
    first = w.grad
    (x @ w).sum().backward()

    assert w.grad is first
    np.testing.assert_array_equal(w.grad.data, [[2.0, 2.0], [2.0, 2.0]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_retained_graph_triples_gradients(name):
    # A leaf keeps the closure's array, so a closure returning an array it saved would see the
    # later calls add into that array and change its own result.
    fn, _ = CASES[name]
    arrays = make_inputs(name)
    once = [mytorch.tensor(array, requires_grad=True) for array in arrays]
    repeated = [mytorch.tensor(array, requires_grad=True) for array in arrays]
    out_once = fn(mytorch, pointwise, *once)
    out_repeated = fn(mytorch, pointwise, *repeated)
    upstream = upstream_gradient(name, out_once.shape)

    out_once.backward(mytorch.tensor(upstream))
    for _ in range(2):
        out_repeated.backward(mytorch.tensor(upstream), retain_graph=True)
    out_repeated.backward(mytorch.tensor(upstream))

    for first, second in zip(once, repeated, strict=True):
        if first.grad is None:
            assert second.grad is None
            continue
        np.testing.assert_allclose(second.grad.data, 3 * first.grad.data, rtol=1e-12, atol=1e-12)
