"""Write torch's outputs and gradients for every case of tests/core_op_cases.py.

Run with torch installed (core_ops.npz came from torch 2.13.0, CPU, float64):

    .venv/bin/python tests/reference/make_core_references.py

For each case the file contains ``<case>/input<i>`` (the float64 inputs from ``make_inputs``),
``<case>/output``, ``<case>/grad_output`` (the random gradient that seeds backward) and
``<case>/grad_input<i>``. tests/test_core_torch_parity.py runs mytorch on the stored inputs and
compares. Also stored: ``dtype/<expression>`` for torch's result dtype of mixed-dtype expressions
(listed in DTYPE_EXPRESSIONS), as the name of the dtype.
"""

import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - torch's usual alias

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from core_op_cases import CASES, make_inputs, upstream_gradient  # noqa: E402

# Expressions in ``L`` (the library) and ``np`` whose result dtype exercises type promotion.
DTYPE_EXPRESSIONS = [
    "L.tensor([1, 2]) * 2.5",
    "L.tensor([1, 2]) / L.tensor([2, 2])",
    "L.tensor([1, 2]) + L.tensor([1.0, 2.0])",
    "L.tensor([1.0, 2.0]) + L.tensor(1.0, dtype=L.float64)",
    "L.tensor([1.0, 2.0], dtype=L.float64) + L.tensor([1.0, 2.0])",
    "L.tensor([1.0, 2.0]) * np.float64(2.0)",
    "np.float64(2.0) * L.tensor([1.0, 2.0])",
    "L.tensor([1, 2], dtype=L.int32) + 5",
    "L.tensor([1, 2], dtype=L.int32) + L.tensor(3)",
    "L.tensor([1, 2], dtype=L.uint8) + L.tensor([1, 2], dtype=L.int8)",
    "L.tensor([1.0, 2.0], dtype=L.float16) + L.tensor([1, 2])",
    "L.tensor(1.0, dtype=L.float64) + L.tensor([1, 2])",
    "L.tensor([True, False]) + 1",
    "L.tensor([True, False]) + 1.5",
    "L.tensor([1, 2]) ** 2",
    "2.0 ** L.tensor([1, 2])",
    "L.tensor([1.0, 2.0]) ** L.tensor([1, 2])",
    "L.where(L.tensor([True, False]), L.tensor([1, 2]), 0.5)",
    "L.exp(L.tensor([1, 2]))",
    "L.sqrt(L.tensor([1, 4]))",
    "L.tensor([1, 2]).sum()",
    "L.tensor([True, False]).sum()",
    "L.tensor([1, 2], dtype=L.int32).sum()",
    "L.tensor([1.0, 2.0]).clamp(min=1)",
    "L.tensor([1, 2]).clamp(min=1.5)",
    "L.maximum(L.tensor([1, 2]), L.tensor([1.5, 0.5]))",
    "L.cat([L.tensor([1]), L.tensor([2.5])])",
    "L.stack([L.tensor(1), L.tensor(2.5)])",
    "L.tensor([7, -7]) // 2",
    "L.tensor([7.5, -7.5]) // 2",
    "L.tensor([7, -7]) % 3",
    "L.tensor([7, -7]) % 2.5",
    "L.tensor([1.0, 2.0]).new_tensor([3, 4])",
    "L.tensor([1, 2]).new_tensor([3.5])",
    "L.tensor([1.0], dtype=L.float64).new_zeros(2, 3)",
    "L.tensor([1.0, 2.0]).masked_fill(L.tensor([True, False]), 7)",
    "L.sin(L.tensor([1, 2]))",
]


def main():
    arrays = {}
    for name, (fn, _) in CASES.items():
        inputs = [torch.tensor(a, requires_grad=True) for a in make_inputs(name)]
        output = fn(torch, F, *inputs)
        grad_output = upstream_gradient(name, tuple(output.shape))
        output.backward(torch.from_numpy(grad_output))

        for i, (array, tensor) in enumerate(zip(make_inputs(name), inputs, strict=True)):
            arrays[f"{name}/input{i}"] = array
            arrays[f"{name}/grad_input{i}"] = tensor.grad.numpy()
        arrays[f"{name}/output"] = output.detach().numpy()
        arrays[f"{name}/grad_output"] = grad_output

    for expression in DTYPE_EXPRESSIONS:
        result = eval(expression, {"L": torch, "np": np})  # noqa: S307 - fixed strings above
        arrays[f"dtype/{expression}"] = np.array(str(result.dtype).removeprefix("torch."))

    path = HERE / "core_ops.npz"
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(CASES)} cases and {len(DTYPE_EXPRESSIONS)} dtype expressions to {path} "
          f"(torch {torch.__version__})")


if __name__ == "__main__":
    main()
