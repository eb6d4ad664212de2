"""The differentiable core operations as a table of cases shared by several tests.

Each case is a function of ``(L, F, *inputs)`` that runs the same text on mytorch or on torch.
``L`` is the library module and ``F`` the module with leaky_relu, softplus and gelu:
``torch.nn.functional``, or ``mytorch._ops.pointwise`` so that these tests do not depend on
``mytorch.nn``. Inputs are float64 arrays drawn by :func:`make_inputs`; every input gets a
gradient. The gradcheck test, the stored torch references and the live torch comparison all
read this table, so a new case is checked three ways.
"""

# The upper-case arguments L and F read like the usual aliases of torch and torch.nn.functional.
# ruff: noqa: N803

import numpy as np

# Kinds of input: "normal" values, "positive" ones in [0.5, 2] (for log, sqrt, division and
# fractional powers), "distinct" ones with no ties (for max and min).
NORMAL, POSITIVE, DISTINCT = "normal", "positive", "distinct"


def _case(fn, *specs):
    return fn, [spec if spec and isinstance(spec[0], str) else (NORMAL, spec) for spec in specs]


CASES = {
    # arithmetic, with broadcasting and 0-d operands
    "add_rows": _case(lambda L, F, a, b: a + b, (5, 3), (3,)),
    "sub_outer": _case(lambda L, F, a, b: a - b, (4, 1), (1, 3)),
    "mul_outer": _case(lambda L, F, a, b: a * b, (4, 1), (1, 3)),
    "mul_zero_dim_left": _case(lambda L, F, a, b: a * b, (), (2, 3)),
    "add_zero_dim_right": _case(lambda L, F, a, b: a + b, (2, 3), ()),
    "div": _case(lambda L, F, a, b: a / b, (3, 4), (POSITIVE, (3, 4))),
    "div_broadcast": _case(lambda L, F, a, b: a / b, (3, 4), (POSITIVE, (4,))),
    "rdiv_number": _case(lambda L, F, b: 2.0 / b, (POSITIVE, (3,))),
    "rsub_number": _case(lambda L, F, a: 3.0 - a, (4,)),
    "add_alpha": _case(lambda L, F, a, b: L.add(a, b, alpha=2.5), (3,), (2, 3)),
    "sub_alpha_method": _case(lambda L, F, a, b: a.sub(b, alpha=-0.5), (2, 3), (3,)),
    "neg": _case(lambda L, F, a: -a, (2, 3)),
    "pow_int": _case(lambda L, F, a: a ** 3, (2, 3)),
    "pow_fraction": _case(lambda L, F, a: a ** 2.5, (POSITIVE, (2, 3))),
    "pow_tensor_exponent": _case(lambda L, F, a, b: a ** b, (POSITIVE, (2, 3)), (2, 3)),
    "rpow_number": _case(lambda L, F, a: 2.0 ** a, (3,)),
    "maximum": _case(lambda L, F, a, b: L.maximum(a, b), (3, 4), (4,)),
    "minimum": _case(lambda L, F, a, b: L.minimum(a, b), (3, 4), (4,)),
    # matrix products
    "matmul_1d_1d": _case(lambda L, F, a, b: a @ b, (4,), (4,)),
    "matmul_2d_1d": _case(lambda L, F, a, b: a @ b, (3, 4), (4,)),
    "matmul_1d_2d": _case(lambda L, F, a, b: a @ b, (4,), (4, 2)),
    "matmul_2d_2d": _case(lambda L, F, a, b: a @ b, (3, 4), (4, 2)),
    "matmul_batched": _case(lambda L, F, a, b: a @ b, (2, 3, 4), (2, 4, 5)),
    "matmul_batched_2d": _case(lambda L, F, a, b: a @ b, (2, 3, 4), (4, 5)),
    "matmul_broadcast_batch": _case(lambda L, F, a, b: a @ b, (2, 1, 3, 4), (5, 4, 2)),
    "matmul_1d_batched": _case(lambda L, F, a, b: a @ b, (4,), (2, 4, 3)),
    # reductions
    "sum_all": _case(lambda L, F, a: a.sum(), (3, 4)),
    "sum_dim_keepdim": _case(lambda L, F, a: a.sum(dim=1, keepdim=True), (3, 4)),
    "sum_dims_0_2": _case(lambda L, F, a: a.sum(dim=(0, 2)), (2, 3, 4)),
    "mean_all": _case(lambda L, F, a: a.mean(), (3, 4)),
    "mean_dims_0_2": _case(lambda L, F, a: a.mean(dim=(0, 2)), (2, 3, 4)),
    "mean_negative_dim": _case(lambda L, F, a: a.mean(dim=-1), (2, 3, 4)),
    "mean_negative_dims": _case(lambda L, F, a: a.mean(dim=(-1, -3), keepdim=True), (2, 3, 4)),
    "var_dim": _case(lambda L, F, a: a.var(dim=0), (4, 3)),
    "max_all": _case(lambda L, F, a: a.max(), (DISTINCT, (3, 4))),
    "max_dim": _case(lambda L, F, a: a.max(dim=1).values, (DISTINCT, (3, 4))),
    "max_dim_keepdim": _case(lambda L, F, a: a.max(dim=0, keepdim=True).values, (DISTINCT, (3, 4))),
    "min_all": _case(lambda L, F, a: a.min(), (DISTINCT, (3, 4))),
    "min_negative_dim": _case(lambda L, F, a: a.min(dim=-1).values, (DISTINCT, (2, 3, 4))),
    "amax_dims": _case(lambda L, F, a: a.amax(dim=(0, 2)), (DISTINCT, (2, 3, 4))),
    # moving elements
    "reshape": _case(lambda L, F, a: a.reshape(4, 3) * L.arange(12.0).reshape(4, 3), (3, 4)),
    "view_infer": _case(lambda L, F, a: a.view(-1, 2), (3, 4)),
    "transpose": _case(lambda L, F, a: a.transpose(0, 2), (2, 3, 4)),
    "permute": _case(lambda L, F, a: a.permute(2, 0, 1), (2, 3, 4)),
    "T": _case(lambda L, F, a: a.T, (3, 4)),
    "unsqueeze": _case(lambda L, F, a: a.unsqueeze(1), (3, 4)),
    "squeeze": _case(lambda L, F, a: a.squeeze(1), (3, 1, 4)),
    "flatten": _case(lambda L, F, a: a.flatten(1), (2, 3, 4)),
    "expand": _case(lambda L, F, a: a.expand(2, 3, 4), (3, 1)),
    "index_basic": _case(lambda L, F, a: a[1:, ::2], (3, 4)),
    "index_int": _case(lambda L, F, a: a[1], (3, 4)),
    "index_repeated": _case(lambda L, F, a: a[[0, 2, 0, 0]], (3, 4)),
    "index_pairs": _case(lambda L, F, a: a[[0, 1, 1, 1], [2, 0, 2, 2]], (3, 4)),
    "index_tensor": _case(lambda L, F, a: a[L.tensor([2, 2, 1])], (3, 4)),
    "cat_dim0": _case(lambda L, F, a, b: L.cat([a, b, a]), (2, 3), (1, 3)),
    "cat_dim1": _case(lambda L, F, a, b: L.cat([a, b], dim=1), (2, 3), (2, 2)),
    "stack_dim0": _case(lambda L, F, a, b: L.stack([a, b]), (2, 3), (2, 3)),
    "stack_last": _case(lambda L, F, a, b: L.stack([a, b, a], dim=-1), (2, 3), (2, 3)),
    # element-wise functions and activations
    "exp": _case(lambda L, F, a: a.exp(), (3, 4)),
    "sin": _case(lambda L, F, a: a.sin(), (3, 4)),
    "cos": _case(lambda L, F, a: L.cos(a), (3, 4)),
    "remainder": _case(lambda L, F, a, b: (a * 3) % b, (3, 4), (POSITIVE, (4,))),
    "masked_fill": _case(lambda L, F, a: a.masked_fill(a > 0, 0.5), (3, 4)),
    "masked_fill_tensor_value": _case(lambda L, F, a, v: L.masked_fill(a, a < 0, v), (3, 4), ()),
    "log": _case(lambda L, F, a: a.log(), (POSITIVE, (3, 4))),
    "log1p": _case(lambda L, F, a: L.log1p(a), (POSITIVE, (3, 4))),
    "sqrt": _case(lambda L, F, a: a.sqrt(), (POSITIVE, (3, 4))),
    "abs": _case(lambda L, F, a: a.abs(), (3, 4)),
    "clamp_min_max": _case(lambda L, F, a: a.clamp(min=-0.5, max=0.5), (4, 5)),
    "clamp_min": _case(lambda L, F, a: a.clamp(min=0.1), (4, 5)),
    "clamp_max": _case(lambda L, F, a: L.clamp(a, max=-0.2), (4, 5)),
    "clamp_tensor_min": _case(lambda L, F, a, low: L.clamp(a, min=low), (3, 4), (4,)),
    "clamp_tensor_bounds": _case(lambda L, F, a, low, high: a.clamp(low, high + 1.0),
                                 (3, 4), (4,), (3, 1)),
    "where": _case(lambda L, F, a, b: L.where(a > 0, a, b), (3, 4), (4,)),
    "tanh": _case(lambda L, F, a: a.tanh(), (3, 4)),
    "sigmoid": _case(lambda L, F, a: L.sigmoid(a * 3), (3, 4)),
    "relu": _case(lambda L, F, a: a.relu(), (3, 4)),
    "leaky_relu": _case(lambda L, F, a: F.leaky_relu(a, 0.2), (3, 4)),
    "softplus": _case(lambda L, F, a: F.softplus(a * 4), (3, 4)),
    "softplus_threshold": _case(lambda L, F, a: F.softplus(a, beta=2.0, threshold=1.0), (3, 4)),
    "gelu": _case(lambda L, F, a: F.gelu(a), (3, 4)),
    "gelu_tanh": _case(lambda L, F, a: F.gelu(a, approximate="tanh"), (3, 4)),
    "softmax_dim0": _case(lambda L, F, a: a.softmax(0), (3, 4)),
    "softmax_last": _case(lambda L, F, a: L.softmax(a, dim=-1), (2, 3, 4)),
    "log_softmax_dim0": _case(lambda L, F, a: a.log_softmax(0), (3, 4)),
    "log_softmax_dim1": _case(lambda L, F, a: L.log_softmax(a, dim=1), (2, 3, 4)),
    "logsumexp_dim1": _case(lambda L, F, a: a.logsumexp(1), (3, 4)),
    "logsumexp_dims": _case(lambda L, F, a: L.logsumexp(a, dim=(0, 2), keepdim=True), (2, 3, 4)),
    # a small network: every operation of a training step at once
    "mlp_step": _case(
        lambda L, F, x, w, b: (x @ w.T + b).tanh().log_softmax(dim=1)[[0, 1, 2], [1, 0, 1]].mean(),
        (3, 4), (2, 4), (2,)),
}


def make_inputs(name, seed=None):
    """Return float64 input arrays for case ``name``, drawn from ``seed``.

    Without ``seed`` the arrays come from a seed derived from the name, so they are the same on
    every call.
    """
    rng = np.random.default_rng(sum(map(ord, name)) if seed is None else seed)
    _, specs = CASES[name]
    arrays = []
    for kind, shape in specs:
        if kind == POSITIVE:
            arrays.append(rng.uniform(0.5, 2.0, shape))
        elif kind == DISTINCT:
            size = int(np.prod(shape))
            arrays.append((rng.permutation(size) - size / 2).reshape(shape) / 4.0)
        else:
            arrays.append(rng.standard_normal(shape))
    return arrays


def upstream_gradient(name, shape):
    """Return the gradient to seed backward with: random, so no mistake can hide in a sum."""
    return np.random.default_rng(sum(map(ord, name)) + 1).standard_normal(shape)
