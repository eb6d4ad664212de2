"""Gradcheck every differentiable core operation against central finite differences (float64)."""

import numpy as np
import pytest
from core_op_cases import CASES, make_inputs

import mytorch
from mytorch._ops import pointwise
from mytorch.autograd import GradcheckError, gradcheck


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_operation(name):
    fn, _ = CASES[name]
    inputs = [mytorch.tensor(array, requires_grad=True) for array in make_inputs(name)]

    assert gradcheck(lambda *xs: fn(mytorch, pointwise, *xs), inputs)


def test_gradcheck_detects_wrong_gradient():
    from mytorch._ops import result

    def doubled_wrongly(a):
        # Forward 2a, but a backward that claims the derivative is 3.
        return result(2 * a.data, (a,), lambda g: (3 * g,), "WrongBackward")

    x = mytorch.tensor([1.0, 2.0], dtype=mytorch.float64, requires_grad=True)

    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(doubled_wrongly, (x,))
    assert gradcheck(doubled_wrongly, (x,), raise_exception=False) is False


def test_gradcheck_restores_inputs():
    x = mytorch.tensor([0.3, -1.2], dtype=mytorch.float64, requires_grad=True)
    before = x.data.copy()

    gradcheck(lambda a: (a * a).sum(), (x,))

    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_gradcheck_several_outputs():
    x = mytorch.tensor([0.3, -1.2, 2.0], dtype=mytorch.float64, requires_grad=True)
    y = mytorch.tensor([1.5, 0.5, -0.7], dtype=mytorch.float64, requires_grad=True)

    assert gradcheck(lambda a, b: (a * b, a.exp() + b, (a - b).sum()), (x, y))


def test_gradcheck_needs_grad_input():
    x = mytorch.tensor([1.0], dtype=mytorch.float64)

    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda a: a * 2, (x,))


def test_gradcheck_keeps_zero_dim_shape():
    scale = mytorch.tensor(1.5, dtype=mytorch.float64, requires_grad=True)
    x = mytorch.tensor([0.3, -1.2], dtype=mytorch.float64, requires_grad=True)

    assert gradcheck(lambda s, a: s * a, (scale, x))

    assert scale.shape == ()
    assert scale.item() == 1.5
