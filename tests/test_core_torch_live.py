"""Compare mytorch with torch live, on fresh random inputs, when torch is installed.

The stored references (test_core_torch_parity.py) pin one input per case. This test draws new
inputs of the same kinds and shapes from several seeds, in float64 and in float32.
"""

import numpy as np
import pytest
from core_op_cases import CASES, make_inputs

import mytorch
from mytorch._ops import pointwise

torch = pytest.importorskip("torch", reason="torch is not installed; the live comparison needs it")
F = torch.nn.functional

SEEDS = (1, 2, 3)
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-4}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_operation_matches_torch_live(name, seed, dtype):
    fn, _ = CASES[name]
    arrays = [a.astype(dtype) for a in make_inputs(name, seed)]
    ours = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    our_output = fn(mytorch, pointwise, *ours)
    their_output = fn(torch, F, *theirs)
    grad_output = np.random.default_rng(seed + 100).standard_normal(our_output.shape)
    our_output.backward(mytorch.tensor(grad_output.astype(dtype)))
    their_output.backward(torch.from_numpy(grad_output.astype(dtype)))

    tolerance = TOLERANCE[dtype]
    assert our_output.dtype.name == str(their_output.dtype).removeprefix("torch.")
    np.testing.assert_allclose(our_output.data, their_output.detach().numpy(),
                               rtol=tolerance, atol=tolerance)
    for i, (our_input, their_input) in enumerate(zip(ours, theirs, strict=True)):
        assert our_input.grad.dtype.name == str(their_input.grad.dtype).removeprefix("torch.")
        np.testing.assert_allclose(our_input.grad.data, their_input.grad.numpy(), rtol=tolerance,
                                   atol=tolerance, err_msg=f"gradient of input {i}")
