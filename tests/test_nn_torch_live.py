"""mytorch.nn against the installed torch on random inputs; skipped when torch is missing.

Each case is written once against a library argument ``lib`` (``torch`` or ``mytorch``), because
the two share every name used here. Float64 results must agree to 1e-10, float32 ones to 1e-5.
"""

import numpy as np
import pytest

import mytorch

torch = pytest.importorskip("torch", reason="torch is not installed; the stored references in "
                                            "test_nn_reference.py cover the same ground")

SEEDS = [0, 1, 2]


def _pair(array, requires_grad=True):
    """Return the same values as a torch tensor and a mytorch tensor."""
    return (torch.tensor(array, requires_grad=requires_grad),
            mytorch.tensor(array, requires_grad=requires_grad))


def _compare(outputs, leaves, rng, tolerance):
    """Backpropagate one random upstream gradient through both outputs and compare everything."""
    torch_out, my_out = outputs
    np.testing.assert_allclose(my_out.data, torch_out.detach().numpy(), **tolerance,
                               err_msg="output")
    grad_output = rng.standard_normal(tuple(torch_out.shape)).astype(my_out.data.dtype)
    torch_out.backward(torch.tensor(grad_output))
    my_out.backward(mytorch.tensor(grad_output))
    for index, (torch_leaf, my_leaf) in enumerate(leaves):
        np.testing.assert_allclose(my_leaf.grad.data, torch_leaf.grad.numpy(), **tolerance,
                                   err_msg=f"gradient of leaf {index}")


FLOAT64 = {"rtol": 1e-10, "atol": 1e-10}
# torch's float32 tanh-GELU gradient saturates to exactly 0 near x = -5, where the true value is
# about -1e-6 and mytorch's is close to it, so float32 needs an absolute tolerance above that.
FLOAT32 = {"rtol": 1e-5, "atol": 1e-5}

ACTIVATIONS = {
    "relu": lambda lib, x: lib.nn.functional.relu(x),
    "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x, 0.3),
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "gelu_tanh": lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
    "sigmoid": lambda lib, x: lib.nn.functional.sigmoid(x),
    "tanh": lambda lib, x: lib.nn.functional.tanh(x),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x, beta=1.5, threshold=2.0),
    "softmax": lambda lib, x: lib.nn.functional.softmax(x, dim=-1),
    "log_softmax": lambda lib, x: lib.nn.functional.log_softmax(x, dim=0),
    "flatten": lambda lib, x: lib.nn.Flatten()(x),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_activation_live(name, seed, dtype):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((5, 3, 4)) * 4).astype(dtype)
    leaves = _pair(x)

    outputs = tuple(ACTIVATIONS[name](lib, leaf) for lib, leaf in zip((torch, mytorch), leaves,
                                                                        strict=True))
    _compare(outputs, [leaves], rng, FLOAT64 if dtype == "float64" else FLOAT32)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_live(seed):
    rng = np.random.default_rng(seed)
    x, weight, bias = (_pair(rng.standard_normal(shape)) for shape in [(7, 2, 3), (4, 3), (4,)])

    outputs = (torch.nn.functional.linear(x[0], weight[0], bias[0]),
               mytorch.nn.functional.linear(x[1], weight[1], bias[1]))
    _compare(outputs, [x, weight, bias], rng, FLOAT64)


def _loss_inputs(rng, n, c):
    return {
        "x": rng.standard_normal((n, c)) * 3,
        "soft": rng.uniform(0, 1, (n, c)),
        "probabilities": rng.uniform(0.01, 0.99, (n, c)),
        "classes": rng.integers(0, c, n),
        "class_probabilities": rng.dirichlet(np.ones(c), n),
        "weight": rng.uniform(0.1, 2.0, c),
        "pos_weight": rng.uniform(0.1, 4.0, c),
    }


# Each entry takes a functional namespace f, the inputs d and the reduction r.
LOSSES = {
    "bce_logits": lambda f, d, r: f.binary_cross_entropy_with_logits(
        d["x"], d["soft"], weight=d["weight"], pos_weight=d["pos_weight"], reduction=r),
    "bce": lambda f, d, r: f.binary_cross_entropy(d["probabilities"], d["soft"],
                                                  weight=d["weight"], reduction=r),
    "mse": lambda f, d, r: f.mse_loss(d["x"], d["soft"], reduction=r),
    "l1": lambda f, d, r: f.l1_loss(d["x"], d["soft"], reduction=r),
    "ce": lambda f, d, r: f.cross_entropy(d["x"], d["classes"], reduction=r),
    "ce_weight_smoothing": lambda f, d, r: f.cross_entropy(
        d["x"], d["classes"], weight=d["weight"], label_smoothing=0.15, reduction=r),
    "ce_ignore": lambda f, d, r: f.cross_entropy(d["x"], d["classes"], weight=d["weight"],
                                                 ignore_index=0, reduction=r),
    "ce_probabilities": lambda f, d, r: f.cross_entropy(
        d["x"], d["class_probabilities"], weight=d["weight"], label_smoothing=0.05,
        reduction=r),
    "nll": lambda f, d, r: f.nll_loss(d["x"], d["classes"], weight=d["weight"],
                                      ignore_index=1, reduction=r),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_live(name, reduction, seed):
    rng = np.random.default_rng(seed)
    arrays = _loss_inputs(rng, n=int(rng.integers(2, 9)), c=int(rng.integers(2, 6)))
    differentiable = ("x", "probabilities")
    torch_args = {key: torch.tensor(value, requires_grad=key in differentiable)
                  for key, value in arrays.items()}
    my_args = {key: mytorch.tensor(value, requires_grad=key in differentiable)
               for key, value in arrays.items()}

    outputs = (LOSSES[name](torch.nn.functional, torch_args, reduction),
               LOSSES[name](mytorch.nn.functional, my_args, reduction))
    leaves = [(torch_args[key], my_args[key]) for key in differentiable if _used(name, key)]
    _compare(outputs, leaves, rng, FLOAT64)


def _used(name, key):
    """Return whether loss ``name`` takes ``key`` as its input: BCE probabilities, else logits."""
    return (key == "probabilities") == (name == "bce")


@pytest.mark.parametrize("seed", SEEDS)
def test_network_with_torch_weights_live(seed):
    torch.manual_seed(seed)
    torch_net = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3),
                                    torch.nn.Tanh(), torch.nn.Linear(3, 1)).double()
    my_net = mytorch.nn.Sequential(mytorch.nn.Linear(2, 5), mytorch.nn.Tanh(),
                                   mytorch.nn.Linear(5, 3), mytorch.nn.Tanh(),
                                   mytorch.nn.Linear(3, 1)).double()
    my_net.load_state_dict({key: mytorch.tensor(value.numpy())
                            for key, value in torch_net.state_dict().items()})
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((32, 2))
    y = (rng.random((32, 1)) > 0.5).astype(np.float64)

    torch_loss = torch.nn.BCEWithLogitsLoss()(torch_net(torch.tensor(x)), torch.tensor(y))
    my_loss = mytorch.nn.BCEWithLogitsLoss()(my_net(mytorch.tensor(x)), mytorch.tensor(y))
    torch_loss.backward()
    my_loss.backward()

    assert list(my_net.state_dict()) == list(torch_net.state_dict())
    assert my_loss.item() == pytest.approx(torch_loss.item(), rel=1e-12)
    for (name, torch_param), my_param in zip(torch_net.named_parameters(), my_net.parameters(),
                                             strict=True):
        np.testing.assert_allclose(my_param.grad.data, torch_param.grad.numpy(), **FLOAT64,
                                   err_msg=name)
    assert repr(my_net) == repr(torch_net)


def test_init_gains_live():
    for nonlinearity, param in [("tanh", None), ("relu", None), ("leaky_relu", 0.3),
                                ("selu", None), ("sigmoid", None)]:
        assert mytorch.nn.init.calculate_gain(nonlinearity, param) == \
            torch.nn.init.calculate_gain(nonlinearity, param)
