"""The Tensor's attributes, factories, dtype rules, operators and printing."""

import operator

import numpy as np
import pytest

import mytorch


@pytest.fixture
def default_float64():
    mytorch.set_default_dtype(mytorch.float64)
    yield
    mytorch.set_default_dtype(mytorch.float32)


# ------------------------------------------------------------------ attributes


def test_tensor_attributes():
    x = mytorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)

    assert isinstance(x.data, np.ndarray)
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.dtype == mytorch.float32
    assert x.requires_grad
    assert x.is_leaf
    assert x.grad is None
    assert x.grad_fn is None
    assert x.size() == (2, 3)
    assert x.size(1) == 3
    assert x.numel() == 6
    assert len(x) == 2
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(x.T.data, x.data.T)


def test_grad_fn_names_operation():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)

    y = x * 2

    assert not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert (y + 1).grad_fn.name() == "AddBackward0"


def test_item_and_numpy():
    x = mytorch.tensor([[2.5]])

    assert x.item() == 2.5
    assert isinstance(x.item(), float)
    assert isinstance(mytorch.tensor(3).item(), int)
    assert x.numpy() is x.data
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        mytorch.tensor([1.0, 2.0]).item()


def test_numpy_needs_detach_under_grad():
    x = mytorch.tensor([1.0], requires_grad=True)

    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0])


def test_requires_grad_in_place():
    x = mytorch.tensor([1.0, 2.0])

    returned = x.requires_grad_()

    assert returned is x
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad_(False)


def test_requires_grad_default_false():
    assert not mytorch.tensor([1.0]).requires_grad
    assert not (mytorch.tensor([1.0]) * 2).requires_grad
    assert (mytorch.tensor([1.0]) * mytorch.tensor([2.0], requires_grad=True)).requires_grad


# ------------------------------------------------------------------ factories and dtypes


def test_tensor_infers_dtype():
    assert mytorch.tensor(1.5).dtype == mytorch.float32
    assert mytorch.tensor([1, 2]).dtype == mytorch.int64
    assert mytorch.tensor([True, False]).dtype == mytorch.bool
    assert mytorch.tensor(np.array([1.0], dtype=np.float64)).dtype == mytorch.float64
    assert mytorch.tensor(np.array([1], dtype=np.int32)).dtype == mytorch.int32
    assert mytorch.tensor([1, 2], dtype=mytorch.float64).dtype == mytorch.float64


def test_tensor_copies_data():
    array = np.array([1.0, 2.0])

    x = mytorch.tensor(array)
    array[0] = 10.0

    assert x.data[0] == 1.0


def test_from_numpy_shares_memory():
    array = np.array([1.0, 2.0])

    x = mytorch.from_numpy(array)
    array[0] = 10.0

    assert x.data[0] == 10.0
    assert x.dtype == mytorch.float64
    with pytest.raises(TypeError, match="expected np.ndarray"):
        mytorch.from_numpy([1.0, 2.0])


@pytest.mark.parametrize("factory", [mytorch.zeros, mytorch.ones, mytorch.randn, mytorch.rand])
def test_shape_factories(factory):
    by_args = factory(2, 3)
    by_tuple = factory((2, 3), dtype=mytorch.float64, requires_grad=True)

    assert by_args.shape == (2, 3)
    assert by_args.dtype == mytorch.float32
    assert not by_args.requires_grad
    assert by_tuple.shape == (2, 3)
    assert by_tuple.dtype == mytorch.float64
    assert by_tuple.requires_grad


def test_factory_values():
    np.testing.assert_array_equal(mytorch.zeros(2).data, [0.0, 0.0])
    np.testing.assert_array_equal(mytorch.ones(2, dtype=mytorch.int64).data, [1, 1])
    np.testing.assert_array_equal(mytorch.full((2,), 7.5).data, [7.5, 7.5])
    assert mytorch.full((2,), 7.5).dtype == mytorch.float32
    assert mytorch.full((2,), 7).dtype == mytorch.int64
    assert mytorch.full((2,), 7, dtype=mytorch.float64, requires_grad=True).requires_grad
    np.testing.assert_array_equal(mytorch.arange(4).data, [0, 1, 2, 3])
    assert mytorch.arange(4).dtype == mytorch.int64
    np.testing.assert_array_equal(mytorch.arange(0, 1, 0.25).data, [0.0, 0.25, 0.5, 0.75])
    assert mytorch.arange(0, 1, 0.25).dtype == mytorch.float32
    assert mytorch.arange(3, dtype=mytorch.float64, requires_grad=True).requires_grad


def test_like_factories():
    x = mytorch.tensor([[1, 2]])

    zeros = mytorch.zeros_like(x)
    ones = mytorch.ones_like(x, dtype=mytorch.float64, requires_grad=True)

    assert zeros.dtype == mytorch.int64
    np.testing.assert_array_equal(zeros.data, [[0, 0]])
    assert ones.dtype == mytorch.float64
    assert ones.requires_grad
    np.testing.assert_array_equal(ones.data, [[1.0, 1.0]])


def test_set_default_dtype(default_float64):
    assert mytorch.get_default_dtype() == mytorch.float64
    assert mytorch.tensor(1.5).dtype == mytorch.float64
    assert mytorch.zeros(2).dtype == mytorch.float64
    assert mytorch.randn(2).dtype == mytorch.float64
    assert (mytorch.tensor([1, 2]) * 0.5).dtype == mytorch.float64
    assert repr(mytorch.tensor([1.5])) == "tensor([1.5000])"


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="floating-point"):
        mytorch.set_default_dtype(mytorch.int64)


def test_dtype_names_map_to_numpy():
    pairs = [(mytorch.float32, np.float32), (mytorch.float64, np.float64),
             (mytorch.float16, np.float16), (mytorch.int64, np.int64), (mytorch.int32, np.int32),
             (mytorch.uint8, np.uint8), (mytorch.bool, np.bool_)]
    for dtype, numpy_type in pairs:
        assert dtype == numpy_type
        assert mytorch.zeros(1, dtype=dtype).data.dtype == numpy_type
    assert mytorch.float is mytorch.float32
    assert mytorch.double is mytorch.float64
    assert mytorch.long is mytorch.int64
    assert repr(mytorch.float32) == "mytorch.float32"


def test_arithmetic_dtype_rules():
    x32 = mytorch.tensor([1.0, 2.0])
    ints = mytorch.tensor([1, 2])

    assert (x32 * 2.0).dtype == mytorch.float32
    assert (2.0 * x32).dtype == mytorch.float32
    assert (x32 * 2).dtype == mytorch.float32
    assert (ints * 2).dtype == mytorch.int64
    assert (ints * 2.5).dtype == mytorch.float32
    assert (ints / 2).dtype == mytorch.float32
    assert (ints + x32).dtype == mytorch.float32
    assert (x32 + mytorch.tensor(1.0, dtype=mytorch.float64)).dtype == mytorch.float32
    assert (x32 + mytorch.tensor([1.0, 2.0], dtype=mytorch.float64)).dtype == mytorch.float64
    assert (x32 * np.float64(2.0)).dtype == mytorch.float32
    assert (x32 * np.array([2.0, 3.0])).dtype == mytorch.float64
    assert mytorch.exp(ints).dtype == mytorch.float32


# ------------------------------------------------------------------ operators


def test_reverse_operators_with_numbers():
    x = mytorch.tensor([1.0, 2.0, 4.0], dtype=mytorch.float64)

    np.testing.assert_array_equal((1 + x).data, [2.0, 3.0, 5.0])
    np.testing.assert_array_equal((1 - x).data, [0.0, -1.0, -3.0])
    np.testing.assert_array_equal((2 * x).data, [2.0, 4.0, 8.0])
    np.testing.assert_array_equal((4 / x).data, [4.0, 2.0, 1.0])
    np.testing.assert_array_equal((2 ** x).data, [2.0, 4.0, 16.0])
    np.testing.assert_array_equal((-x).data, [-1.0, -2.0, -4.0])


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.matmul], ids=lambda op: op.__name__)
def test_ndarray_operand_either_side(op):
    x = mytorch.tensor([1.0, 2.0, 4.0], dtype=mytorch.float64, requires_grad=True)
    array = np.array([2.0, 0.5, 1.0])

    left = op(x, array)
    right = op(array, x)

    assert isinstance(left, mytorch.Tensor)
    assert isinstance(right, mytorch.Tensor)
    np.testing.assert_allclose(left.data, op(x.data, array))
    np.testing.assert_allclose(right.data, op(array, x.data))
    assert left.requires_grad
    assert right.requires_grad


def test_ndarray_times_tensor_is_tensor():
    x = mytorch.tensor([1.0, 2.0, 3.0])

    y = np.ones(3) * x

    assert isinstance(y, mytorch.Tensor)
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 3.0])


def test_reverse_operator_gradients():
    x = mytorch.tensor([1.0, 2.0], dtype=mytorch.float64, requires_grad=True)

    (3.0 / x + 2.0 ** x - np.array([1.0, 1.0]) * x).sum().backward()

    expected = -3.0 / x.data ** 2 + np.log(2.0) * 2.0 ** x.data - 1.0
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)


def test_comparisons_give_bool_tensors():
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    other = mytorch.tensor([3.0, 2.0, 1.0])
    expected = {
        "lt": [True, False, False], "le": [True, True, False], "gt": [False, False, True],
        "ge": [False, True, True], "eq": [False, True, False], "ne": [True, False, True],
    }

    for name, values in expected.items():
        out = getattr(x, name)(other)
        assert out.dtype == mytorch.bool, name
        assert not out.requires_grad, name
        np.testing.assert_array_equal(out.data, values, err_msg=name)
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])
    np.testing.assert_array_equal((x == 2).data, [False, True, False])


def test_argmax_argmin():
    x = mytorch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])

    assert x.argmax().item() == 3
    assert x.argmin().item() == 4
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    np.testing.assert_array_equal(mytorch.argmin(x, dim=0).data, [0, 1, 0])
    assert x.argmax(dim=1).dtype == mytorch.int64


def test_max_min_with_dim():
    x = mytorch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])

    values, indices = x.max(dim=1)
    column_min = x.min(dim=0, keepdim=True)

    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert column_min.values.shape == (1, 3)
    np.testing.assert_array_equal(column_min.indices.data, [[0, 1, 0]])
    assert x.max().item() == 7.0


def test_conversions():
    x = mytorch.tensor([1.7, -2.2], requires_grad=True)

    assert x.float() is x
    assert x.double().dtype == mytorch.float64
    assert x.double().requires_grad
    assert x.long().dtype == mytorch.int64
    np.testing.assert_array_equal(x.long().data, [1, -2])
    assert not x.long().requires_grad
    assert x.to(mytorch.float64).dtype == mytorch.float64
    assert x.to("cpu") is x
    assert x.to(dtype=mytorch.float16).dtype == mytorch.float16


def test_double_conversion_gradient():
    x = mytorch.tensor([1.5, 2.0], requires_grad=True)

    (x.double() * 2).sum().backward()

    assert x.grad.dtype == mytorch.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_clone_copies_and_records():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)

    y = x.clone()
    (y * 3).sum().backward()

    assert not np.shares_memory(x.data, y.data)
    assert y.grad_fn.name() == "CloneBackward0"
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_eq_method_and_equal():
    x = mytorch.tensor([1.0, 2.0])

    np.testing.assert_array_equal(x.eq(mytorch.tensor([1.0, 3.0])).data, [True, False])
    assert x.equal(mytorch.tensor([1.0, 2.0]))
    assert not x.equal(mytorch.tensor([1.0, 2.0, 3.0]))


def test_module_level_functions():
    x = mytorch.tensor([-1.0, 0.5, 2.0], dtype=mytorch.float64)
    functions = {
        "sigmoid": 1 / (1 + np.exp(-x.data)), "tanh": np.tanh(x.data), "exp": np.exp(x.data),
        "abs": np.abs(x.data), "relu": np.maximum(x.data, 0), "neg": -x.data,
    }

    for name, expected in functions.items():
        np.testing.assert_allclose(getattr(mytorch, name)(x).data, expected, rtol=1e-15,
                                   err_msg=name)
    np.testing.assert_allclose(mytorch.log(mytorch.abs(x)).data, np.log(np.abs(x.data)))
    np.testing.assert_allclose(mytorch.sqrt(mytorch.abs(x)).data, np.sqrt(np.abs(x.data)))
    assert mytorch.sum(x).item() == pytest.approx(1.5)
    assert mytorch.mean(x).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(mytorch.where(x > 0, x, 0.0).data, [0.0, 0.5, 2.0])
    np.testing.assert_array_equal(mytorch.clamp(x, min=0.0, max=1.0).data, [0.0, 0.5, 1.0])


def test_inplace_update_outside_graph():
    x = mytorch.tensor([1.0, 2.0])

    x += 1
    x *= 2
    x.sub_(mytorch.tensor([1.0, 1.0]))

    np.testing.assert_array_equal(x.data, [3.0, 5.0])


def test_iadd_in_graph_rebinds():
    leaf = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = leaf * 2
    before = y

    y += 1
    y.sum().backward()

    assert y is not before
    np.testing.assert_array_equal(before.data, [2.0, 4.0])
    np.testing.assert_array_equal(leaf.grad.data, [2.0, 2.0])


# ------------------------------------------------------------------ printing


def test_repr_like_torch():
    assert repr(mytorch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(mytorch.tensor([1.5, 2.25])) == "tensor([1.5000, 2.2500])"
    assert repr(mytorch.tensor(3.5)) == "tensor(3.5000)"
    assert repr(mytorch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mytorch.tensor([1e10, 1.0])) == "tensor([1.0000e+10, 1.0000e+00])"
    assert repr(mytorch.tensor([1.0, 2.0], dtype=mytorch.float64)) == \
        "tensor([1., 2.], dtype=mytorch.float64)"
    assert repr(mytorch.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(mytorch.tensor([1.0], requires_grad=True) * 2) == \
        "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(mytorch.tensor([[1.5, 2.0], [3.0, 4.0]])) == \
        "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])"


def test_type_names_like_torch():
    assert mytorch.tensor([1.0]).type() == "mytorch.FloatTensor"
    assert mytorch.tensor([1]).type() == "mytorch.LongTensor"
    assert mytorch.tensor([1.0], dtype=mytorch.float64).type() == "mytorch.DoubleTensor"


def test_hash_by_identity():
    a = mytorch.tensor([1.0, 2.0])
    same_values = mytorch.tensor([1.0, 2.0])

    state = {a: "first"}

    assert state[a] == "first"
    assert same_values not in state
    assert len({a, same_values}) == 2


def test_floor_divide_and_remainder():
    x = mytorch.tensor([7.0, -7.0], requires_grad=True)

    quotient = x // 2
    remainder = x % 3

    np.testing.assert_array_equal(quotient.data, [3.0, -4.0])
    assert not quotient.requires_grad
    np.testing.assert_array_equal(remainder.data, [1.0, 2.0])
    np.testing.assert_array_equal((7 // mytorch.tensor([2, -2])).data, [3, -4])
    np.testing.assert_array_equal((7 % mytorch.tensor([2, -2])).data, [1, -1])


def test_masked_fill_needs_bool_mask():
    x = mytorch.tensor([1.0, 2.0])

    with pytest.raises(RuntimeError, match=r"boolean masks.*mask\.bool\(\)"):
        x.masked_fill(mytorch.tensor([1, 0]), 0.0)


def test_new_factories_keep_dtype():
    x = mytorch.tensor([1.0, 2.0], dtype=mytorch.float64)

    assert x.new_zeros(2, 3).dtype == mytorch.float64
    assert x.new_zeros(2, 3).shape == (2, 3)
    assert x.new_ones((2,)).dtype == mytorch.float64
    np.testing.assert_array_equal(x.new_full((2,), 7).data, [7.0, 7.0])
    assert x.new_tensor([1, 2]).dtype == mytorch.float64
    assert x.new_tensor([1, 2], dtype=mytorch.int64).dtype == mytorch.int64


def test_iadd_plain_tensor_records_graph():
    weight = mytorch.tensor([1.0, 2.0], requires_grad=True)
    total = mytorch.zeros(2)

    total += weight * 3
    total.sum().backward()

    assert total.requires_grad
    np.testing.assert_array_equal(weight.grad.data, [3.0, 3.0])


def test_iadd_rejects_lossy_cast():
    counts = mytorch.tensor([1, 2])

    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        counts += 0.5
    counts += 2
    np.testing.assert_array_equal(counts.data, [3, 4])


def test_inplace_from_grad_value_raises():
    weight = mytorch.tensor([1.0, 2.0], requires_grad=True)
    buffer = mytorch.zeros(3)

    with pytest.raises(RuntimeError, match="would get no gradient"):
        buffer[1:] = weight
    with pytest.raises(RuntimeError, match="would get no gradient"):
        buffer.copy_(mytorch.cat([weight, weight[:1]]))
    with mytorch.no_grad():
        buffer[1:] = weight
    np.testing.assert_array_equal(buffer.data, [0.0, 1.0, 2.0])
