"""``Module``, the base class of every layer and network."""

from collections import OrderedDict, namedtuple

import numpy as np

from mytorch import _dtype
from mytorch._tensor import Tensor, parse_to_arguments
from mytorch.autograd.grad_mode import no_grad
from mytorch.nn.parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """The result of ``load_state_dict``: the keys it expected but missed, and the extra ones."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _indent_after_first_line(text, spaces):
    """Indent every line of ``text`` but the first, so a nested repr lines up under its key."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    padding = " " * spaces
    return "\n".join([first] + [padding + line for line in rest])


def _shape_text(shape):
    return str(tuple(int(size) for size in shape))


class Module:
    """Base class for layers and networks: subclass it, set layers as attributes, define forward.

    Setting an attribute to a :class:`Parameter` registers it as a parameter, and to a ``Module``
    registers it as a submodule. ``parameters()``, ``state_dict()``, ``train()``, ``zero_grad()``
    and ``repr`` then walk the whole tree in the order the attributes were first set. Calling the
    module runs ``forward``. Forward and backward hooks are not supported.
    """

    training = True

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"Module.__init__() takes no arguments, got {len(args)} positional "
                            f"and {sorted(kwargs)} keyword arguments")
        # object.__setattr__ because our __setattr__ reads these dictionaries.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function; define forward() in the subclass')

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- registration

    def _check_registry(self, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call; call "
                                 "super().__init__() first in the subclass's __init__")

    def _check_name(self, name, kind, store):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')
        if hasattr(self, name) and name not in store:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``."""
        self._check_registry("parameters")
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (mytorch.nn.Parameter or None required); wrap it in "
                            "nn.Parameter(...)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly, e.g. "
                             "nn.Parameter(tensor.detach().clone())")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a tensor that is state but not a parameter (saved in ``state_dict``).

        ``persistent=False`` keeps the buffer out of ``state_dict``. ``None`` registers an absent
        buffer, which ``state_dict`` skips.
        """
        self._check_registry("buffers")
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(mytorch.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the submodule ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_registry("child module")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_registry("parameters")
            self._forget(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(mytorch.nn.Parameter or None expected)")
            params[name] = None
            return

        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            self._check_registry("child module")
            self._forget(name)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (mytorch.nn.Module or None expected)")
            modules[name] = None
            return

        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(mytorch.Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _forget(self, name):
        """Drop ``name`` from every registry and the instance dict before it is registered anew."""
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            self.__dict__[store].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        # Only called when normal lookup fails, which is the case for every registered name.
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                del values[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        names = list(super().__dir__())
        for store in ("_parameters", "_buffers", "_modules"):
            names.extend(self.__dict__.get(store, {}))
        return sorted(set(names))

    def get_submodule(self, target):
        """Return the submodule at the dotted path ``target`` ("" is the module itself)."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}` "
                                     f"(looking up {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        """Return the parameter at the dotted path ``target``, such as ``"fc1.weight"``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}` "
                                 f"(looking up {target!r})")
        return module._parameters[name]

    # ----------------------------------------------------------------- traversal

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted name, module)`` for this module and every submodule, depth first.

        A module reachable by two paths is yielded once, under its first name, unless
        ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        # An explicit stack instead of recursion: optimizers and zero_grad walk the tree every
        # step, and nested generators cost a frame per level and module.
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + "." + child_name if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        """Yield this module and every submodule, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct submodules."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct submodules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        seen = set()
        if recurse:
            owners = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            owners = [(prefix, self)]
        for module_prefix, module in owners:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, parameter)``: each module's own parameters, then its children's.

        A parameter shared by several modules is yielded once unless ``remove_duplicate=False``.
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield the parameters in ``named_parameters`` order (the order optimizers use)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, buffer)`` in the same order as ``named_parameters``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield the buffers of this module and, with ``recurse``, of every submodule."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ----------------------------------------------------------------- modes and gradients

    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on every module; return self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``): Dropout stops dropping. Return self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter; return self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of every parameter: to None by default, else to zeros in place."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.data[...] = 0

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on this module; return self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- dtype and device

    def _apply_to_tensors(self, convert):
        """Replace the arrays of every parameter, gradient and buffer by ``convert(array)``.

        The parameter objects stay the same, so an optimizer built earlier still updates them.
        """
        for module in self.modules():
            for param in module._parameters.values():
                if param is None:
                    continue
                param.data = convert(param.data)
                if param.grad is not None:
                    param.grad.data = convert(param.grad.data)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer.data = convert(buffer.data)
        return self

    def _to_float_dtype(self, dtype):
        numpy_dtype = _dtype.to_numpy_dtype(dtype)
        return self._apply_to_tensors(
            lambda a: a.astype(numpy_dtype) if a.dtype.kind == "f" else a)

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers to a dtype; a "cpu" device is accepted.

        ``to(dtype)``, ``to("cpu")``, ``to(device, dtype)`` and ``to(tensor)`` are understood.
        """
        dtype = parse_to_arguments(args, kwargs)
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                                f"desired dtype={dtype}")
            self._to_float_dtype(dtype)
        return self

    def float(self):
        """Convert floating-point parameters and buffers to float32; return self."""
        return self._to_float_dtype(_dtype.float32)

    def double(self):
        """Convert floating-point parameters and buffers to float64; return self."""
        return self._to_float_dtype(_dtype.float64)

    def half(self):
        """Convert floating-point parameters and buffers to float16; return self."""
        return self._to_float_dtype(_dtype.float16)

    def cpu(self):
        return self

    def type(self, dst_type):
        """Convert every parameter and buffer to ``dst_type``; return self."""
        numpy_dtype = _dtype.to_numpy_dtype(dst_type)
        return self._apply_to_tensors(lambda a: a.astype(numpy_dtype))

    # ----------------------------------------------------------------- state_dict

    def _local_state(self):
        """Return this module's own parameters and persistent buffers by name, skipping None."""
        state = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                state[name] = param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                state[name] = buffer
        return state

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Return an OrderedDict of every parameter and persistent buffer under its dotted name.

        Each module contributes its parameters, then its buffers, then its children's entries.
        The values are detached tensors that share memory with the parameters (the parameters
        themselves with ``keep_vars=True``), so clone them to keep a snapshot.
        """
        if destination is None:
            destination = OrderedDict()
        for name, value in self._local_state().items():
            destination[prefix + name] = value if keep_vars else value.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy the tensors of ``state_dict`` into this module's parameters and buffers.

        Values are copied into the existing parameter objects (cast to their dtype), so an
        optimizer that references them sees the new values. ``assign=True`` instead puts a new
        Parameter that shares the value's array in place of each old one. With ``strict``, keys
        missing from ``state_dict`` and keys the module does not have raise a RuntimeError that
        lists them all; a shape mismatch raises even without ``strict``. Returns the named tuple
        ``(missing_keys, unexpected_keys)``. Shapes in the messages are tuples where torch prints
        ``torch.Size([...])``.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")

        missing_keys, unexpected_keys, error_msgs = [], [], []
        for prefix_name, module in self.named_modules():
            prefix = prefix_name + "." if prefix_name else ""
            module._load_local_state(state_dict, prefix, assign, missing_keys, unexpected_keys,
                                     error_msgs)

        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: "
                                  + ", ".join(f'"{k}"' for k in unexpected_keys) + ". ")
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: "
                                  + ", ".join(f'"{k}"' for k in missing_keys) + ". ")
        if error_msgs:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(error_msgs))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    def _load_local_state(self, state_dict, prefix, assign, missing_keys, unexpected_keys,
                          error_msgs):
        local_state = self._local_state()
        for name, current in local_state.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  f"mytorch.Tensor from checkpoint but received "
                                  f"{type(value)}")
                continue
            if value.shape != current.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{_shape_text(value.shape)} from checkpoint, the shape in "
                                  f"current model is {_shape_text(current.shape)}.")
                continue
            if assign:
                self._assign_loaded(name, current, value)
            else:
                with no_grad():
                    current.data[...] = np.asarray(value.data, dtype=current.data.dtype)

        # A key under this prefix is unexpected unless it names a local entry or starts with the
        # name of a child, whose own pass judges the rest of it.
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            local_name = key[len(prefix):]
            head = local_name.split(".", 1)[0]
            if head not in self._modules and local_name not in local_state:
                unexpected_keys.append(key)

    def _assign_loaded(self, name, current, value):
        if name in self._parameters:
            self._parameters[name] = Parameter(value, requires_grad=current.requires_grad)
        else:
            self._buffers[name] = value

    # ----------------------------------------------------------------- printing

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """Return the text printed inside this module's parentheses; subclasses override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent_after_first_line(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines

        text = self._get_name() + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
