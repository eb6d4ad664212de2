"""Seeding: the default generator, independent Generators and saved states."""

import numpy as np
import pytest

import mytorch


def _draw_all(generator=None):
    """Return one draw of each random factory as numpy arrays."""
    return [
        mytorch.randn(3, 2, generator=generator).data,
        mytorch.rand(4, generator=generator).data,
        mytorch.randint(0, 100, (5,), generator=generator).data,
        mytorch.randperm(6, generator=generator).data,
        mytorch.empty(3).uniform_(-1.0, 1.0, generator=generator).data,
        mytorch.empty(3).normal_(0.0, 2.0, generator=generator).data,
    ]


def test_manual_seed_reproduces_bit_for_bit():
    mytorch.manual_seed(1234)
    first = _draw_all()
    mytorch.manual_seed(1234)
    second = _draw_all()

    for a, b in zip(first, second, strict=True):
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()


def test_different_seeds_differ():
    mytorch.manual_seed(1)
    first = mytorch.randn(8).data
    mytorch.manual_seed(2)
    second = mytorch.randn(8).data

    assert not np.array_equal(first, second)


def test_draws_advance_the_stream():
    mytorch.manual_seed(5)

    assert not np.array_equal(mytorch.randn(4).data, mytorch.randn(4).data)


def test_generator_is_independent_of_default():
    generator = mytorch.Generator().manual_seed(99)
    expected = mytorch.randn(5, generator=generator).data

    generator.manual_seed(99)
    mytorch.manual_seed(0)
    mytorch.randn(100)  # draws from the default generator must not move ``generator``
    again = mytorch.randn(5, generator=generator).data

    np.testing.assert_array_equal(again, expected)


def test_generator_leaves_default_alone():
    mytorch.manual_seed(7)
    expected = mytorch.rand(5).data

    mytorch.manual_seed(7)
    mytorch.rand(10, generator=mytorch.Generator().manual_seed(3))
    actual = mytorch.rand(5).data

    np.testing.assert_array_equal(actual, expected)


def test_generators_with_same_seed_agree():
    a = mytorch.Generator().manual_seed(42)
    b = mytorch.Generator().manual_seed(42)

    for x, y in zip(_draw_all(a), _draw_all(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_rng_state_round_trip():
    mytorch.manual_seed(11)
    mytorch.randn(3)
    state = mytorch.get_rng_state()
    expected = mytorch.randn(4).data

    mytorch.randn(10)
    mytorch.set_rng_state(state)

    np.testing.assert_array_equal(mytorch.randn(4).data, expected)


def test_initial_seed_reports_seed():
    mytorch.manual_seed(2024)
    generator = mytorch.Generator().manual_seed(17)

    assert mytorch.initial_seed() == 2024
    assert generator.initial_seed() == 17


def test_random_factory_ranges():
    mytorch.manual_seed(3)

    uniform = mytorch.rand(1000).data
    integers = mytorch.randint(2, 5, (1000,)).data
    permutation = mytorch.randperm(10).data

    assert uniform.min() >= 0.0
    assert uniform.max() < 1.0
    assert set(integers.tolist()) == {2, 3, 4}
    assert integers.dtype == np.int64
    assert sorted(permutation.tolist()) == list(range(10))


@pytest.mark.parametrize("dtype", [mytorch.float32, mytorch.float64])
def test_randn_dtype_same_stream(dtype):
    mytorch.manual_seed(8)
    reference = mytorch.randn(4, dtype=mytorch.float64).data

    mytorch.manual_seed(8)
    draw = mytorch.randn(4, dtype=dtype)

    assert draw.dtype == dtype
    np.testing.assert_array_equal(draw.data, reference.astype(dtype.numpy_dtype))
