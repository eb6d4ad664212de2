"""mytorch.nn against torch's stored numbers (tests/reference/make_nn_references.py, torch 2.13).

Every case rebuilds the module from the expression torch was given, feeds it the same float64
inputs and compares outputs and gradients to 1e-10. Printed text must match torch's exactly.
"""

import pathlib
import re
from collections import OrderedDict

import numpy as np
import pytest

import mytorch
from mytorch import nn

REFERENCE_DIR = pathlib.Path(__file__).parent / "reference"
TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}


def _load(name):
    with np.load(REFERENCE_DIR / name, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


LAYERS = _load("nn_layers.npz")
LOSSES = _load("nn_losses.npz")
NET = _load("nn_reference_net.npz")


def _cases(arrays):
    return sorted(key[: -len("/expr")] for key in arrays if key.endswith("/expr")
                  and not key.startswith("repr/"))


def _build(expr, tensors=None):
    namespace = {"nn": nn, "OrderedDict": OrderedDict}
    namespace.update(tensors or {})
    return eval(expr, namespace)  # noqa: S307 - expressions written by the reference script


def _assert_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, err_msg=what, **TOLERANCE)


# ------------------------------------------------------------------ layers


@pytest.mark.parametrize("case", _cases(LAYERS))
def test_layer_matches_torch(case):
    module = _build(str(LAYERS[f"{case}/expr"])).double()
    with mytorch.no_grad():
        for name, param in module.named_parameters():
            param.copy_(mytorch.tensor(LAYERS[f"{case}/param/{name}"]))
    x = mytorch.tensor(LAYERS[f"{case}/input"], requires_grad=True)

    output = module(x)
    output.backward(mytorch.tensor(LAYERS[f"{case}/grad_output"]))

    assert output.dtype == mytorch.float64
    _assert_close(output.data, LAYERS[f"{case}/output"], "output")
    _assert_close(x.grad.data, LAYERS[f"{case}/grad_input"], "grad of input")
    for name, param in module.named_parameters():
        _assert_close(param.grad.data, LAYERS[f"{case}/grad/{name}"], f"grad of {name}")


def test_layer_cases_cover_every_layer():
    expressions = " ".join(str(LAYERS[f"{case}/expr"]) for case in _cases(LAYERS))
    for layer in ("Linear", "Identity", "Flatten", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
                  "GELU", "Softplus", "Softmax", "LogSoftmax", "Dropout"):
        assert f"nn.{layer}(" in expressions


# ------------------------------------------------------------------ losses


@pytest.mark.parametrize("case", _cases(LOSSES))
def test_loss_matches_torch(case):
    tensors = {name: mytorch.tensor(LOSSES[f"{case}/{name}"]) for name in ("W", "PW")
               if f"{case}/{name}" in LOSSES}
    module = _build(str(LOSSES[f"{case}/expr"]), tensors)
    x = mytorch.tensor(LOSSES[f"{case}/input"], requires_grad=True)
    target = mytorch.tensor(LOSSES[f"{case}/target"])
    has_target_grad = f"{case}/grad_target" in LOSSES
    if has_target_grad:
        target.requires_grad_(True)

    output = module(x, target)
    output.backward(mytorch.tensor(LOSSES[f"{case}/grad_output"]))

    assert output.shape == LOSSES[f"{case}/output"].shape
    _assert_close(output.data, LOSSES[f"{case}/output"], "loss")
    _assert_close(x.grad.data, LOSSES[f"{case}/grad_input"], "grad of input")
    if has_target_grad:
        _assert_close(target.grad.data, LOSSES[f"{case}/grad_target"], "grad of target")


def test_bce_with_logits_extreme_values():
    # Logits [-800, -120, 0, 800] with targets [0, 1, 1, 0]: exact losses, no inf or NaN.
    output = LOSSES["bce_logits_extreme_none/output"]
    assert output.tolist() == [0.0, 120.0, pytest.approx(np.log(2), rel=1e-15), 800.0]

    x = mytorch.tensor([-800.0, -120.0, 0.0, 800.0], dtype=mytorch.float64, requires_grad=True)
    target = mytorch.tensor([0.0, 1.0, 1.0, 0.0], dtype=mytorch.float64)
    loss = nn.BCEWithLogitsLoss(reduction="sum")(x, target)
    loss.backward()

    assert loss.item() == pytest.approx(920.0 + np.log(2), rel=1e-15)
    assert x.grad.tolist() == [0.0, -1.0, -0.5, 1.0]


def test_cross_entropy_extreme_logits():
    x = mytorch.tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], dtype=mytorch.float64,
                       requires_grad=True)
    losses = nn.CrossEntropyLoss(reduction="none")(x, mytorch.tensor([2, 0]))

    expected_second = np.log(np.exp([1.0, 2.0, 3.0]).sum()) - 1.0
    assert losses[0].item() == 2000.0
    assert losses[1].item() == pytest.approx(expected_second, rel=1e-15)
    _assert_close(losses.data, LOSSES["ce_extreme_none/output"], "torch's losses")


def test_loss_cases_cover_options():
    expressions = [str(LOSSES[f"{case}/expr"]) for case in _cases(LOSSES)]
    for option in ("pos_weight=PW", "weight=W", "ignore_index=", "label_smoothing=",
                   "reduction='none'", "reduction='mean'", "reduction='sum'"):
        assert any(option in expr for expr in expressions), option
    for loss in ("BCEWithLogitsLoss", "BCELoss", "MSELoss", "L1Loss", "CrossEntropyLoss",
                 "NLLLoss"):
        assert any(f"nn.{loss}(" in expr for expr in expressions), loss


# ------------------------------------------------------------------ the reference network


class Net(nn.Module):
    """The 2-5-3-1 Tanh network with the attribute names of the reference script."""

    def __init__(self):
        super().__init__()
        self.hidden1 = nn.Linear(2, 5)
        self.act1 = nn.Tanh()
        self.hidden2 = nn.Linear(5, 3)
        self.act2 = nn.Tanh()
        self.output = nn.Linear(3, 1)

    def forward(self, x):
        return self.output(self.act2(self.hidden2(self.act1(self.hidden1(x)))))


def _reference_sequential():
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(),
                         nn.Linear(3, 1)).double()


def test_reference_net_loss_and_gradients():
    net = _reference_sequential()
    state = {key[len("param/"):]: mytorch.tensor(value) for key, value in NET.items()
             if key.startswith("param/")}
    net.load_state_dict(state)

    logits = net(mytorch.tensor(NET["x"]))
    loss = nn.BCEWithLogitsLoss(reduction="mean")(logits, mytorch.tensor(NET["y"]))
    loss.backward()

    _assert_close(loss.data, NET["loss"], "loss")
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for name, param in net.named_parameters():
        _assert_close(param.grad.data, NET[f"grad/{name}"], f"grad of {name}")


def test_reference_net_module_subclass_gradients():
    net = Net().double()
    renamed = dict(zip(["hidden1", "hidden2", "output"], ["0", "2", "4"], strict=True))
    with mytorch.no_grad():
        for name, param in net.named_parameters():
            layer, kind = name.split(".")
            param.copy_(mytorch.tensor(NET[f"param/{renamed[layer]}.{kind}"]))

    loss = nn.BCEWithLogitsLoss()(net(mytorch.tensor(NET["x"])), mytorch.tensor(NET["y"]))
    loss.backward()

    _assert_close(loss.data, NET["loss"], "loss")
    for name, param in net.named_parameters():
        layer, kind = name.split(".")
        _assert_close(param.grad.data, NET[f"grad/{renamed[layer]}.{kind}"], f"grad of {name}")


def test_reference_net_prints_like_torch():
    assert repr(_reference_sequential()) == str(NET["repr/reference_sequential"])
    assert repr(Net()) == str(NET["repr/reference_module"])
    assert str(Net()) == str(NET["repr/reference_module"])


@pytest.mark.parametrize("case", sorted(key[len("repr/"):-len("/expr")] for key in NET
                                        if key.startswith("repr/") and key.endswith("/expr")))
def test_repr_matches_torch(case):
    module = _build(str(NET[f"repr/{case}/expr"]))
    assert repr(module) == str(NET[f"repr/{case}"])


# ------------------------------------------------------------------ load_state_dict messages


def _small_net():
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))


def _load_error(module, state):
    with pytest.raises(RuntimeError) as error:
        module.load_state_dict(state)
    return str(error.value)


def test_load_error_missing_unexpected_text():
    net = _small_net()
    state = net.state_dict()
    del state["2.bias"]
    state["1.scale"] = mytorch.zeros(1)
    state["extra"] = mytorch.zeros(1)

    assert _load_error(net, state) == str(NET["load_error/missing_unexpected"])


def test_load_error_size_mismatch_text():
    net = _small_net()
    state = net.state_dict()
    state["0.weight"] = mytorch.zeros(4, 2)
    state["2.bias"] = mytorch.zeros(2)

    # mytorch prints shapes as tuples where torch prints torch.Size([...]).
    expected = re.sub(r"torch\.Size\(\[([^\]]*)\]\)",
                      lambda m: str(tuple(int(v) for v in m.group(1).split(", "))),
                      str(NET["load_error/size_mismatch"]))
    assert _load_error(net, state) == expected
