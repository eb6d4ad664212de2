"""Write torch's numbers for every nn layer and loss to tests/reference/nn_*.npz.

Run with torch installed (these files came from torch 2.13.0, CPU, float64):

    .venv/bin/python tests/reference/make_nn_references.py

Each case is a Python expression that builds the module, such as ``nn.LeakyReLU(0.2)`` or
``nn.CrossEntropyLoss(weight=W, label_smoothing=0.1)``, stored next to its arrays. The tests
evaluate the same expression with ``nn`` bound to ``mytorch.nn`` and ``W``/``PW`` to the stored
weights, so the case list lives here only. Every array is float64, and the inputs and targets come
from a seeded numpy generator, so mytorch sees exactly the numbers torch saw.

Files:
    nn_layers.npz      ``<case>/expr``, ``input``, ``grad_output``, ``output``, ``grad_input``
                       and, for Linear, ``param/<name>`` and ``grad/<name>``.
    nn_losses.npz      ``<case>/expr``, ``input``, ``target``, optional ``W``/``PW``, ``output``,
                       ``grad_output``, ``grad_input`` and, for float targets, ``grad_target``.
    nn_reference_net.npz  the 2-5-3-1 Tanh network with BCEWithLogitsLoss: batch, parameters,
                       loss and gradients, plus ``repr/<case>`` texts and load_state_dict errors.
"""

import json
import pathlib
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

HERE = pathlib.Path(__file__).parent
SEED = 20261204


def _run_backward(output, grad_output):
    output.backward(torch.from_numpy(grad_output))


# ------------------------------------------------------------------ layers

LAYER_CASES = {
    "linear": ("nn.Linear(3, 2)", (4, 3)),
    "linear_batched": ("nn.Linear(3, 2)", (2, 4, 3)),
    "linear_no_bias": ("nn.Linear(3, 2, bias=False)", (4, 3)),
    "identity": ("nn.Identity()", (4, 3)),
    "flatten": ("nn.Flatten()", (2, 3, 4)),
    "flatten_0_1": ("nn.Flatten(0, 1)", (2, 3, 4)),
    "sigmoid": ("nn.Sigmoid()", (4, 5)),
    "tanh": ("nn.Tanh()", (4, 5)),
    "relu": ("nn.ReLU()", (4, 5)),
    "leaky_relu": ("nn.LeakyReLU()", (4, 5)),
    "leaky_relu_0.2": ("nn.LeakyReLU(0.2)", (4, 5)),
    "gelu": ("nn.GELU()", (4, 5)),
    "gelu_tanh": ("nn.GELU(approximate='tanh')", (4, 5)),
    "softplus": ("nn.Softplus()", (4, 5)),
    "softplus_beta2_threshold1": ("nn.Softplus(beta=2.0, threshold=1.0)", (4, 5)),
    "softmax_dim1": ("nn.Softmax(dim=1)", (4, 5)),
    "softmax_dim0": ("nn.Softmax(dim=0)", (4, 5)),
    "log_softmax_dim1": ("nn.LogSoftmax(dim=1)", (4, 5)),
    "dropout_eval": ("nn.Dropout(0.3).eval()", (4, 5)),
}


def make_layers(rng):
    arrays = {}
    for case, (expr, shape) in LAYER_CASES.items():
        module = eval(expr, {"nn": nn}).double()
        with torch.no_grad():
            for param in module.parameters():
                param.copy_(torch.from_numpy(rng.uniform(-1, 1, tuple(param.shape))))

        x_np = rng.standard_normal(shape) * 3
        # Values at the kinks and the extremes: ReLU's 0 and Softplus's linear region.
        x_np.reshape(-1)[:3] = [0.0, 30.0, -30.0]
        x = torch.from_numpy(x_np.copy()).requires_grad_(True)
        output = module(x)
        grad_output = rng.standard_normal(tuple(output.shape))
        _run_backward(output, grad_output)

        arrays[f"{case}/expr"] = np.array(expr)
        arrays[f"{case}/input"] = x_np
        arrays[f"{case}/grad_output"] = grad_output
        arrays[f"{case}/output"] = output.detach().numpy()
        arrays[f"{case}/grad_input"] = x.grad.numpy()
        for name, param in module.named_parameters():
            arrays[f"{case}/param/{name}"] = param.detach().numpy()
            arrays[f"{case}/grad/{name}"] = param.grad.numpy()
    return arrays


# ------------------------------------------------------------------ losses


def loss_cases(rng):
    """Return ``{case: (expr, input, target, tensors)}``, with ``tensors`` the W/PW arrays."""
    x = rng.standard_normal((6, 4))
    soft = rng.uniform(0, 1, (6, 4))
    weight = rng.uniform(0.2, 2.0, 4)
    pos_weight = rng.uniform(0.5, 3.0, 4)
    probabilities = 1 / (1 + np.exp(-x))
    classes = np.array([0, 3, 1, 2, 2, 1])
    classes_ignored = np.array([0, -100, 1, 2, -100, 1])
    class_probabilities = rng.dirichlet(np.ones(4), 6)
    near = x + rng.standard_normal((6, 4))
    near[0, :2] = x[0, :2]  # exact ties, where L1's gradient is sign(0) = 0

    cases = {}
    for reduction in ("none", "mean", "sum"):
        r = f"reduction='{reduction}'"
        cases[f"bce_logits_{reduction}"] = (f"nn.BCEWithLogitsLoss({r})", x, soft, {})
        cases[f"bce_logits_weight_{reduction}"] = (
            f"nn.BCEWithLogitsLoss(weight=W, {r})", x, soft, {"W": weight})
        cases[f"bce_logits_pos_weight_{reduction}"] = (
            f"nn.BCEWithLogitsLoss(pos_weight=PW, {r})", x, soft, {"PW": pos_weight})
        cases[f"bce_logits_both_{reduction}"] = (
            f"nn.BCEWithLogitsLoss(weight=W, pos_weight=PW, {r})", x, soft,
            {"W": weight, "PW": pos_weight})
        extreme = np.array([-800.0, -120.0, 0.0, 800.0])
        cases[f"bce_logits_extreme_{reduction}"] = (
            f"nn.BCEWithLogitsLoss({r})", extreme, np.array([0.0, 1.0, 1.0, 0.0]), {})
        cases[f"bce_logits_extreme_flipped_{reduction}"] = (
            f"nn.BCEWithLogitsLoss({r})", extreme, np.array([1.0, 0.0, 0.0, 1.0]), {})
        cases[f"bce_logits_extreme_pos_weight_{reduction}"] = (
            f"nn.BCEWithLogitsLoss(pos_weight=PW, {r})", extreme, np.array([1.0, 0.0, 1.0, 1.0]),
            {"PW": np.array([2.5])})

        cases[f"bce_{reduction}"] = (f"nn.BCELoss({r})", probabilities, soft, {})
        cases[f"bce_weight_{reduction}"] = (f"nn.BCELoss(weight=W, {r})", probabilities, soft,
                                            {"W": weight})
        cases[f"bce_clamped_{reduction}"] = (
            f"nn.BCELoss({r})", np.array([0.0, 1.0, 0.5, 1e-50]), np.array([1.0, 0.0, 1.0, 1.0]),
            {})

        cases[f"mse_{reduction}"] = (f"nn.MSELoss({r})", x, near, {})
        cases[f"l1_{reduction}"] = (f"nn.L1Loss({r})", x, near, {})

        cases[f"ce_{reduction}"] = (f"nn.CrossEntropyLoss({r})", x, classes, {})
        cases[f"ce_weight_{reduction}"] = (f"nn.CrossEntropyLoss(weight=W, {r})", x, classes,
                                           {"W": weight})
        cases[f"ce_ignore_default_{reduction}"] = (f"nn.CrossEntropyLoss({r})", x,
                                                   classes_ignored, {})
        cases[f"ce_ignore_index_1_{reduction}"] = (
            f"nn.CrossEntropyLoss(ignore_index=1, {r})", x, classes, {})
        cases[f"ce_smoothing_{reduction}"] = (
            f"nn.CrossEntropyLoss(label_smoothing=0.1, {r})", x, classes, {})
        cases[f"ce_smoothing_weight_ignore_{reduction}"] = (
            f"nn.CrossEntropyLoss(weight=W, ignore_index=2, label_smoothing=0.25, {r})", x,
            classes, {"W": weight})
        cases[f"ce_extreme_{reduction}"] = (
            f"nn.CrossEntropyLoss({r})", np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]),
            np.array([2, 0]), {})
        cases[f"ce_probabilities_{reduction}"] = (
            f"nn.CrossEntropyLoss({r})", x, class_probabilities, {})
        cases[f"ce_probabilities_weight_smoothing_{reduction}"] = (
            f"nn.CrossEntropyLoss(weight=W, label_smoothing=0.2, {r})", x, class_probabilities,
            {"W": weight})
        cases[f"ce_one_sample_{reduction}"] = (
            f"nn.CrossEntropyLoss(label_smoothing=0.1, {r})", x[0], np.array(3), {})
        cases[f"ce_spatial_{reduction}"] = (
            f"nn.CrossEntropyLoss(weight=W, ignore_index=0, label_smoothing=0.1, {r})",
            x.reshape(2, 4, 3), np.array([[0, 1, 3], [2, 2, 1]]), {"W": weight})

        log_probs = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
        cases[f"nll_{reduction}"] = (f"nn.NLLLoss({r})", log_probs, classes, {})
        cases[f"nll_weight_ignore_{reduction}"] = (
            f"nn.NLLLoss(weight=W, ignore_index=3, {r})", log_probs, classes, {"W": weight})
    return cases


def make_losses(rng):
    arrays = {}
    for case, (expr, x_np, target_np, tensors) in loss_cases(rng).items():
        bound = {name: torch.from_numpy(value) for name, value in tensors.items()}
        module = eval(expr, {"nn": nn, **bound})
        x = torch.from_numpy(x_np.copy()).requires_grad_(True)
        target = torch.from_numpy(target_np.copy())
        float_target = target.is_floating_point()
        if float_target:
            target.requires_grad_(True)

        output = module(x, target)
        grad_output = rng.standard_normal(tuple(output.shape)) if output.ndim else np.array(1.0)
        _run_backward(output, grad_output)

        arrays[f"{case}/expr"] = np.array(expr)
        arrays[f"{case}/input"] = x_np
        arrays[f"{case}/target"] = target_np
        for name, value in tensors.items():
            arrays[f"{case}/{name}"] = value
        arrays[f"{case}/output"] = output.detach().numpy()
        arrays[f"{case}/grad_output"] = grad_output
        arrays[f"{case}/grad_input"] = x.grad.numpy()
        if float_target:
            arrays[f"{case}/grad_target"] = target.grad.numpy()
    return arrays


# ------------------------------------------------------------------ the reference network


class Net(nn.Module):
    """The 2-5-3-1 Tanh network as a Module subclass with named layers."""

    def __init__(self):
        super().__init__()
        self.hidden1 = nn.Linear(2, 5)
        self.act1 = nn.Tanh()
        self.hidden2 = nn.Linear(5, 3)
        self.act2 = nn.Tanh()
        self.output = nn.Linear(3, 1)

    def forward(self, x):
        return self.output(self.act2(self.hidden2(self.act1(self.hidden1(x)))))


# Printed by torch and by mytorch, which must give the same text.
REPR_CASES = {
    "sequential_named": "nn.Sequential(OrderedDict([('fc', nn.Linear(2, 5)), "
                        "('act', nn.Tanh()), ('out', nn.Linear(5, 1))]))",
    "activations": "nn.Sequential(nn.Sigmoid(), nn.ReLU(), nn.ReLU(inplace=True), "
                   "nn.LeakyReLU(), nn.LeakyReLU(0.2, inplace=True), nn.GELU(), "
                   "nn.GELU(approximate='tanh'), nn.Softplus(), nn.Softplus(beta=2, "
                   "threshold=5), nn.Softmax(dim=1), nn.Softmax(), nn.LogSoftmax(dim=-1))",
    "others": "nn.Sequential(nn.Identity(), nn.Flatten(), nn.Flatten(0, 2), nn.Dropout(), "
              "nn.Dropout(p=0.25), nn.Linear(4, 2, bias=False))",
    "losses": "nn.ModuleList([nn.BCEWithLogitsLoss(), nn.BCELoss(), nn.MSELoss(), "
              "nn.L1Loss(reduction='sum'), nn.CrossEntropyLoss(label_smoothing=0.1), "
              "nn.NLLLoss()])",
    "module_list_runs": "nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), "
                        "nn.Tanh(), nn.Linear(2, 2), nn.Tanh(), nn.Tanh()])",
    "module_list_nested": "nn.ModuleList([nn.Sequential(nn.Linear(2, 3), nn.ReLU()), "
                          "nn.Sequential(nn.Linear(2, 3), nn.ReLU())])",
    "module_dict": "nn.ModuleDict({'encoder': nn.Sequential(nn.Linear(2, 4), nn.Tanh()), "
                   "'head': nn.Linear(4, 1)})",
    "nested": "nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(1, 1))), nn.ModuleList())",
    "empty_sequential": "nn.Sequential()",
}


def _load_error(module, state_dict):
    try:
        module.load_state_dict(state_dict)
    except RuntimeError as error:
        return str(error)
    raise AssertionError("load_state_dict accepted an invalid state_dict")


def make_reference_net():
    torch.manual_seed(0)
    batch_rng = np.random.default_rng(SEED + 1)
    net = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(),
                        nn.Linear(3, 1)).double()
    x_np = batch_rng.standard_normal((50, 2))
    y_np = (x_np[:, :1] * x_np[:, 1:] > 0).astype(np.float64)
    loss = nn.BCEWithLogitsLoss(reduction="mean")(net(torch.from_numpy(x_np)),
                                                  torch.from_numpy(y_np))
    loss.backward()

    arrays = {"x": x_np, "y": y_np, "loss": loss.detach().numpy()}
    for name, param in net.named_parameters():
        arrays[f"param/{name}"] = param.detach().numpy()
        arrays[f"grad/{name}"] = param.grad.numpy()

    arrays["repr/reference_sequential"] = np.array(repr(net))
    arrays["repr/reference_module"] = np.array(repr(Net()))
    for case, expr in REPR_CASES.items():
        arrays[f"repr/{case}/expr"] = np.array(expr)
        arrays[f"repr/{case}"] = np.array(repr(eval(expr, {"nn": nn, "OrderedDict": OrderedDict})))

    # load_state_dict's message for a missing, an unexpected and a misshapen entry.
    small = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    state = small.state_dict()
    del state["2.bias"]
    state["1.scale"] = torch.zeros(1)
    state["extra"] = torch.zeros(1)
    arrays["load_error/missing_unexpected"] = np.array(_load_error(small, state))
    state = small.state_dict()
    state["0.weight"] = torch.zeros(4, 2)
    state["2.bias"] = torch.zeros(2)
    arrays["load_error/size_mismatch"] = np.array(_load_error(small, state))
    return arrays


def _save(name, arrays):
    path = HERE / name
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({len(arrays)} arrays, {path.stat().st_size} bytes)")


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    _save("nn_layers.npz", make_layers(rng))
    _save("nn_losses.npz", make_losses(rng))
    _save("nn_reference_net.npz", make_reference_net())
    print(json.dumps({"torch": torch.__version__, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
