"""The fast paths of log_softmax and nll_loss give exactly what their general paths give."""

import numpy as np
import pytest

import mytorch
import mytorch.nn.functional as F  # noqa: N812 - torch's usual alias
from mytorch._ops.reduction import _max_keepdims


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("dtype", [mytorch.float32, mytorch.float64])
def test_unweighted_nll_matches_general_path(reduction, dtype):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((40, 7))
    target = mytorch.tensor(rng.integers(0, 7, 40))
    fast_input = mytorch.tensor(values, dtype=dtype, requires_grad=True)
    general_input = mytorch.tensor(values, dtype=dtype, requires_grad=True)
    # All-ones weights send the call down the general path with the same arithmetic.
    ones = mytorch.ones(7, dtype=dtype)

    fast = F.nll_loss(fast_input, target, reduction=reduction)
    general = F.nll_loss(general_input, target, weight=ones, reduction=reduction)
    fast.sum().backward()
    general.sum().backward()

    assert fast.dtype == general.dtype
    np.testing.assert_array_equal(fast.data, general.data)
    np.testing.assert_array_equal(fast_input.grad.data, general_input.grad.data)


def test_nll_ignored_target_takes_general_path():
    log_probs = mytorch.tensor([[-0.5, -1.0], [-2.0, -0.1]], dtype=mytorch.float64)

    loss = F.nll_loss(log_probs, mytorch.tensor([1, 0]), ignore_index=0)

    assert loss.item() == 1.0


def test_nll_out_of_range_target_still_raises():
    log_probs = mytorch.zeros(2, 3)

    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.nll_loss(log_probs, mytorch.tensor([0, 3]))


@pytest.mark.parametrize("shape", [(5, 1), (128, 10), (3, 32), (2, 33), (0, 4)])
def test_max_keepdims_matches_numpy(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    if x.size:
        x[0, -1] = np.nan
        x[-1, :] = -np.inf

    np.testing.assert_array_equal(_max_keepdims(x, 1), x.max(axis=1, keepdims=True))
    np.testing.assert_array_equal(_max_keepdims(x, -1), x.max(axis=-1, keepdims=True))


def test_log_softmax_keeps_minus_inf():
    x = mytorch.tensor([[0.0, 1.0], [-np.inf, 2.0]], dtype=mytorch.float64)

    out = x.log_softmax(dim=1).data

    np.testing.assert_allclose(out[0], [-np.log1p(np.e), 1.0 - np.log1p(np.e)], rtol=1e-15)
    np.testing.assert_array_equal(out[1], [-np.inf, 0.0])
