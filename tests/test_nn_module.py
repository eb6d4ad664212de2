"""Module mechanics: registration, traversal order, state_dict, modes, containers, Parameter."""

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import mytorch
from mytorch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.scale = nn.Parameter(mytorch.ones(3))
        self.register_buffer("running", mytorch.zeros(3))
        self.register_buffer("cache", mytorch.zeros(1), persistent=False)
        self.note = "plain attribute"
        self.plain_tensor = mytorch.zeros(2)

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.act = nn.Tanh()
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.act(self.block(x)))


# ------------------------------------------------------------------ registration


def test_attributes_register_parameters_and_modules():
    net = Net()

    assert list(net._modules) == ["block", "act", "head"]
    assert list(net.block._parameters) == ["scale"]
    assert list(net.block._buffers) == ["running", "cache"]
    assert "plain_tensor" not in net.block._parameters
    assert net.block.note == "plain attribute"
    assert net.block.scale is net.block._parameters["scale"]


def test_named_parameters_order():
    names = [name for name, _ in Net().named_parameters()]

    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.weight",
                     "head.bias"]


def test_named_parameters_without_recursion():
    block = Block()

    assert [name for name, _ in block.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in block.named_parameters(prefix="b")][0] == "b.scale"


def test_shared_parameter_listed_once():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    net[1].weight = net[0].weight

    assert len(list(net.parameters())) == 3
    assert len(list(net.named_parameters(remove_duplicate=False))) == 4


def test_named_modules_and_children():
    net = Net()

    assert [name for name, _ in net.named_modules()] == ["", "block", "block.fc", "act", "head"]
    assert [name for name, _ in net.named_children()] == ["block", "act", "head"]
    assert list(net.children())[0] is net.block
    assert len(list(net.modules())) == 5


def test_buffers_listed_with_names():
    assert [name for name, _ in Net().named_buffers()] == ["block.running", "block.cache"]
    assert len(list(Net().buffers())) == 2


def test_register_parameter_none_and_reassign():
    layer = nn.Linear(2, 2, bias=False)

    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]

    layer.bias = nn.Parameter(mytorch.zeros(2))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]

    layer.bias = None
    assert layer.bias is None
    assert "bias" in layer._parameters


def test_assign_tensor_to_parameter_raises():
    layer = nn.Linear(2, 2)

    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        layer.weight = mytorch.zeros(2, 2)


def test_registration_errors_name_the_problem():
    class NoInit(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(mytorch.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()

    module = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        module.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        module.register_buffer("train", mytorch.zeros(1))
    with pytest.raises(TypeError, match="nn.Parameter"):
        module.register_parameter("w", mytorch.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        module.add_module("child", "not a module")


def test_missing_attribute_error():
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        Net().missing  # noqa: B018


def test_delattr_unregisters():
    net = Net()
    del net.act

    assert "act" not in net._modules
    assert [name for name, _ in net.named_children()] == ["block", "head"]


def test_get_submodule_and_parameter():
    net = Net()

    assert net.get_submodule("block.fc") is net.block.fc
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    with pytest.raises(AttributeError, match="nope"):
        net.get_submodule("block.nope")


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing"):
        nn.Module()(mytorch.zeros(1))


def test_call_runs_forward():
    net = Net()
    x = mytorch.randn(4, 2)

    assert np.array_equal(net(x).data, net.forward(x).data)
    assert net(x).shape == (4, 1)


# ------------------------------------------------------------------ state_dict


def test_state_dict_keys_and_values():
    net = Net()
    state = net.state_dict()

    assert isinstance(state, OrderedDict)
    assert list(state) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias",
                           "head.weight", "head.bias"]
    assert not state["block.scale"].requires_grad
    assert state["head.weight"].data is net.head.weight.data  # shares memory, as torch's does
    assert net.state_dict(keep_vars=True)["head.weight"] is net.head.weight


def test_state_dict_round_trip():
    mytorch.manual_seed(0)
    source = Net()
    mytorch.manual_seed(1)
    target = Net()
    x = mytorch.randn(5, 2)
    assert not np.allclose(source(x).data, target(x).data)

    params_before = list(target.parameters())
    result = target.load_state_dict(source.state_dict())

    assert np.array_equal(source(x).data, target(x).data)
    assert all(a is b for a, b in zip(params_before, target.parameters(), strict=True))
    assert result.missing_keys == []
    assert result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"


def test_load_state_dict_copies_values():
    net = nn.Linear(2, 1)
    weight = net.weight
    state = {"weight": mytorch.tensor([[1.5, -2.0]], dtype=mytorch.float64),
             "bias": mytorch.tensor([0.25])}

    net.load_state_dict(state)
    state["weight"].data[0, 0] = 99.0

    assert net.weight is weight
    assert net.weight.dtype == mytorch.float32
    assert net.weight.tolist() == [[1.5, -2.0]]
    assert net.bias.tolist() == [0.25]


def test_load_state_dict_not_strict_lists_keys():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = net.state_dict()
    del state["1.weight"]
    state["2.weight"] = mytorch.zeros(1)

    result = net.load_state_dict(state, strict=False)

    assert result.missing_keys == ["1.weight"]
    assert result.unexpected_keys == ["2.weight"]
    missing, unexpected = result
    assert missing == ["1.weight"]
    assert unexpected == ["2.weight"]


def test_load_state_dict_strict_lists_every_problem():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = net.state_dict()
    del state["1.bias"]
    state["0.weight"] = mytorch.zeros(4, 4)
    state["extra"] = mytorch.zeros(1)

    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)

    lines = str(error.value).split("\n\t")
    assert lines[0] == "Error(s) in loading state_dict for Sequential:"
    assert lines[1] == 'Missing key(s) in state_dict: "1.bias". '
    assert lines[2] == 'Unexpected key(s) in state_dict: "extra". '
    assert lines[3] == ("size mismatch for 0.weight: copying a param with shape (4, 4) from "
                        "checkpoint, the shape in current model is (3, 2).")


def test_size_mismatch_raises_without_strict():
    net = nn.Linear(2, 3)
    state = {"weight": mytorch.zeros(3, 2), "bias": mytorch.zeros(2)}

    with pytest.raises(RuntimeError, match=r"size mismatch for bias: .* \(2,\) .* \(3,\)"):
        net.load_state_dict(state, strict=False)


def test_buffers_in_state_dict_round_trip():
    source, target = Block(), Block()
    source.running.data[...] = [1.0, 2.0, 3.0]
    source.cache.data[...] = 7.0

    target.load_state_dict(source.state_dict())

    assert "cache" not in source.state_dict()
    assert target.running.tolist() == [1.0, 2.0, 3.0]
    assert target.cache.tolist() == [0.0]


def test_load_state_dict_assign_replaces():
    net = nn.Linear(2, 1)
    new_weight = mytorch.tensor([[1.0, 2.0]])

    net.load_state_dict({"weight": new_weight, "bias": mytorch.zeros(1)}, assign=True)

    assert isinstance(net.weight, nn.Parameter)
    assert net.weight.data is new_weight.data
    assert net.weight.requires_grad


# ------------------------------------------------------------------ modes and gradients


def test_train_eval_switch_every_module():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.Tanh()))

    assert net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 5
    net.train()
    assert [m.training for m in net.modules()] == [True] * 5
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_set_to_none():
    net = Net()
    net(mytorch.randn(3, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())

    net.zero_grad()

    assert all(p.grad is None for p in net.parameters())


def test_zero_grad_keeps_zeroed_tensors():
    net = Net()
    net(mytorch.randn(3, 2)).sum().backward()
    grads = [p.grad for p in net.parameters()]

    net.zero_grad(set_to_none=False)

    for param, grad in zip(net.parameters(), grads, strict=True):
        assert param.grad is grad
        assert not grad.data.any()


def test_gradients_accumulate_across_backward():
    layer = nn.Linear(2, 1)
    x = mytorch.randn(3, 2)
    layer(x).sum().backward()
    first = layer.weight.grad.data.copy()

    layer(x).sum().backward()

    np.testing.assert_allclose(layer.weight.grad.data, 2 * first, rtol=1e-6)


def test_requires_grad_toggle():
    net = Net()

    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    net = Net()
    visited = []

    net.apply(lambda module: visited.append(type(module).__name__))

    assert visited == ["Linear", "Block", "Tanh", "Linear", "Net"]


def test_apply_can_initialise():
    net = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))

    def fill_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)
            nn.init.zeros_(module.bias)

    net.apply(fill_linear)

    assert net[0].weight.tolist() == [[0.5] * 3] * 3
    assert net[2].bias.tolist() == [0.0]


def test_to_double_keeps_parameter_objects():
    net = Net()
    params = list(net.parameters())

    assert net.double() is net
    assert all(p.dtype == mytorch.float64 for p in net.parameters())
    assert all(a is b for a, b in zip(params, net.parameters(), strict=True))
    assert net.block.running.dtype == mytorch.float64
    net.to(mytorch.float32)
    assert net.head.weight.dtype == mytorch.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(mytorch.int64)


def test_deepcopy_is_independent():
    net = Net()
    twin = copy.deepcopy(net)
    x = mytorch.randn(2, 2)

    assert np.array_equal(net(x).data, twin(x).data)
    with mytorch.no_grad():
        twin.head.bias.fill_(10.0)
    assert not np.array_equal(net(x).data, twin(x).data)
    assert isinstance(twin.head.weight, nn.Parameter)
    assert twin.head.weight.requires_grad


# ------------------------------------------------------------------ Linear


def test_linear_shapes_and_formula():
    layer = nn.Linear(3, 2)
    x = mytorch.randn(4, 3)

    output = layer(x)

    assert layer.weight.shape == (2, 3)
    assert layer.bias.shape == (2,)
    assert output.shape == (4, 2)
    expected = x.data @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(output.data, expected, rtol=1e-6)


def test_linear_init_bounds():
    mytorch.manual_seed(0)
    layer = nn.Linear(16, 200)
    bound = 1 / math.sqrt(16)

    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound
    assert layer.weight.dtype == mytorch.float32


def test_linear_init_draws_weight_then_bias():
    mytorch.manual_seed(42)
    layer = nn.Linear(4, 3)

    mytorch.manual_seed(42)
    bound = 1 / math.sqrt(4)
    weight = mytorch.empty(3, 4).uniform_(-bound, bound)
    bias = mytorch.empty(3).uniform_(-bound, bound)

    assert np.array_equal(layer.weight.data, weight.data)
    assert np.array_equal(layer.bias.data, bias.data)


def test_linear_init_reproducible():
    mytorch.manual_seed(5)
    first = nn.Linear(3, 3)
    mytorch.manual_seed(5)
    second = nn.Linear(3, 3)
    third = nn.Linear(3, 3)

    assert np.array_equal(first.weight.data, second.weight.data)
    assert not np.array_equal(second.weight.data, third.weight.data)


def test_linear_dtype_argument():
    layer = nn.Linear(2, 2, dtype=mytorch.float64)

    assert layer.weight.dtype == mytorch.float64
    assert layer.bias.dtype == mytorch.float64


# ------------------------------------------------------------------ containers


def test_sequential_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)]
    net = nn.Sequential(*layers)

    assert len(net) == 3
    assert net[0] is layers[0]
    assert net[-1] is layers[2]
    assert list(net) == layers
    assert isinstance(net[:2], nn.Sequential)
    assert list(net[1:]) == layers[1:]
    assert list(net[1:]._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        net[3]  # noqa: B018


def test_sequential_append_and_forward():
    net = nn.Sequential(nn.Linear(2, 3))
    tanh = nn.Tanh()

    assert net.append(tanh) is net
    assert net[1] is tanh
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    x = mytorch.randn(4, 2)
    np.testing.assert_allclose(net(x).data, np.tanh(net[0](x).data), rtol=1e-6)


def test_sequential_from_ordered_dict():
    net = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))

    assert net.fc is net[0]
    assert list(net.state_dict()) == ["fc.weight", "fc.bias"]


def test_sequential_delete_and_insert_renumber():
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.ReLU())
    del net[1]

    assert list(net._modules) == ["0", "1"]
    assert isinstance(net[1], nn.ReLU)
    net.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid", "ReLU"]


def test_module_list_registers_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    layers.extend([nn.Tanh()])

    assert len(layers) == 5
    assert isinstance(layers[-1], nn.Tanh)
    assert len(list(layers.parameters())) == 8
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    assert isinstance(layers[1:3], nn.ModuleList)
    with pytest.raises(NotImplementedError, match="forward"):
        layers(mytorch.zeros(1))


def test_module_list_in_module():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    stack = Stack()

    assert [name for name, _ in stack.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert stack(mytorch.randn(3, 2)).shape == (3, 2)


def test_module_dict_access():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Tanh()})
    heads["c"] = nn.ReLU()

    assert list(heads) == ["a", "b", "c"]
    assert list(heads.keys()) == ["a", "b", "c"]
    assert "b" in heads
    assert len(heads) == 3
    assert isinstance(heads.pop("b"), nn.Tanh)
    assert list(heads) == ["a", "c"]
    assert list(heads.state_dict()) == ["a.weight", "a.bias"]


# ------------------------------------------------------------------ Parameter


def test_parameter_basics():
    data = mytorch.tensor([1.0, 2.0])
    param = nn.Parameter(data)

    assert isinstance(param, mytorch.Tensor)
    assert param.requires_grad
    assert param.is_leaf
    assert param.data is data.data
    assert repr(param) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(data, requires_grad=False).requires_grad


def test_parameter_operations_return_tensors():
    param = nn.Parameter(mytorch.tensor([1.0, 2.0]))
    output = param * 2

    assert type(output) is mytorch.Tensor
    assert output.grad_fn is not None


def test_parameter_empty_and_invalid():
    assert nn.Parameter().shape == (0,)
    with pytest.raises(TypeError, match="Parameter expects a Tensor"):
        nn.Parameter([1.0, 2.0])
