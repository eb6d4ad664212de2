"""Containers of modules: ``Sequential``, ``ModuleList`` and ``ModuleDict``."""

import operator
from collections import OrderedDict
from itertools import islice

from mytorch.nn.modules.module import Module, _indent_after_first_line


def _position(index, length, kind):
    """Return ``index`` as a position in ``[0, length)``, accepting negative indices."""
    index = operator.index(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {kind} of length {length}")
    return index % length


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b)(x)`` is ``b(a(x))``.

    Built from modules (named "0", "1", ...) or from one OrderedDict of names to modules.
    Indexing with an int returns a module, with a slice a new Sequential that keeps the names.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):  # noqa: A002 - torch's argument name
        output = input
        for module in self._modules.values():
            output = module(output)
        return output

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        position = _position(index, len(self._modules), "Sequential")
        return next(islice(self._modules.values(), position, None))

    def __setitem__(self, index, module):
        position = _position(index, len(self._modules), "Sequential")
        key = next(islice(self._modules.keys(), position, None))
        setattr(self, key, module)

    def __delitem__(self, index):
        if isinstance(index, slice):
            keys = list(self._modules.keys())[index]
        else:
            position = _position(index, len(self._modules), "Sequential")
            keys = [next(islice(self._modules.keys(), position, None))]
        for key in keys:
            del self._modules[key]
        # Renumber so that the names stay "0", "1", ... as torch does after a deletion.
        modules = list(self._modules.values())
        self._modules.clear()
        for index, module in enumerate(modules):
            self._modules[str(index)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end under the next free number; return self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of ``modules``; return self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` and renumber; return self."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: Module, got {type(module).__name__}")
        length = len(self._modules)
        if not -length <= index <= length:
            raise IndexError(f"Index out of range: {index} for a Sequential of length {length}")
        modules = list(self._modules.values())
        modules.insert(index % (length + 1) if index < 0 else index, module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self._modules[str(position)] = item
        return self


class ModuleList(Module):
    """A list of modules whose parameters the owner registers; it has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_position(index, len(self._modules), "ModuleList"))]

    def __setitem__(self, index, module):
        position = _position(index, len(self._modules), "ModuleList")
        setattr(self, str(position), module)

    def __delitem__(self, index):
        if isinstance(index, slice):
            keys = list(self._modules.keys())[index]
        else:
            keys = [str(_position(index, len(self._modules), "ModuleList"))]
        for key in keys:
            del self._modules[key]
        modules = list(self._modules.values())
        self._modules.clear()
        for position, module in enumerate(modules):
            self._modules[str(position)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of the iterable ``modules``; return self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            f"{type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for position, item in enumerate(modules):
            self.add_module(str(position), item)

    def __repr__(self):
        # Runs of equal consecutive entries print once, as "(first-last): count x entry" (torch
        # 2.1 and later do the same).
        entries = [repr(module) for module in self._modules.values()]
        if not entries:
            return self._get_name() + "()"

        lines, start = [], 0
        while start < len(entries):
            end = start
            while end + 1 < len(entries) and entries[end + 1] == entries[start]:
                end += 1
            text = _indent_after_first_line(entries[start], 2)
            if end == start:
                lines.append(f"({start}): {text}")
            else:
                lines.append(f"({start}-{end}): {end - start + 1} x {text}")
            start = end + 1
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, keyed by name in insertion order; it has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove the module ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        """Add the modules of a mapping or of an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module
