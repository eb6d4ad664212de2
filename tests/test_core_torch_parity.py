"""Compare mytorch's outputs, gradients and result dtypes with torch's, stored in core_ops.npz.

tests/reference/make_core_references.py wrote the file with torch 2.13.0 (CPU, float64) from the
cases in core_op_cases.py, so this test needs no torch.
"""

import pathlib

import numpy as np
import pytest
from core_op_cases import CASES

import mytorch
from mytorch._ops import pointwise

REFERENCE = np.load(pathlib.Path(__file__).parent / "reference" / "core_ops.npz")
DTYPE_KEYS = sorted(key for key in REFERENCE.files if key.startswith("dtype/"))


def test_reference_covers_every_case():
    stored = {key.split("/")[0] for key in REFERENCE.files if not key.startswith("dtype/")}

    assert stored == set(CASES), "rerun tests/reference/make_core_references.py"


@pytest.mark.parametrize("name", sorted(CASES))
def test_operation_matches_torch(name):
    fn, specs = CASES[name]
    inputs = [mytorch.tensor(REFERENCE[f"{name}/input{i}"], requires_grad=True)
              for i in range(len(specs))]

    output = fn(mytorch, pointwise, *inputs)
    output.backward(mytorch.tensor(REFERENCE[f"{name}/grad_output"]))

    assert output.dtype == mytorch.float64
    assert output.shape == REFERENCE[f"{name}/output"].shape
    np.testing.assert_allclose(output.data, REFERENCE[f"{name}/output"], rtol=1e-10, atol=1e-10)
    for i, tensor in enumerate(inputs):
        expected = REFERENCE[f"{name}/grad_input{i}"]
        assert tensor.grad.dtype == mytorch.float64
        np.testing.assert_allclose(tensor.grad.data, expected, rtol=1e-10, atol=1e-10,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("key", DTYPE_KEYS)
def test_result_dtype_matches_torch(key):
    expression = key.removeprefix("dtype/")

    result = eval(expression, {"L": mytorch, "np": np})  # noqa: S307 - stored test expressions

    assert result.dtype.name == str(REFERENCE[key])
