"""The Optimizer base class: parameter groups, per-parameter state and their state_dict."""

from collections import defaultdict

import numpy as np

from mytorch._tensor import Tensor


class Optimizer:
    """Base class of all optimizers, with the interface of ``torch.optim.Optimizer``.

    Args:
        params: an iterable of tensors to optimize, or of dicts that each define a parameter
            group (a ``"params"`` list plus any hyperparameters that differ from ``defaults``).
        defaults: the hyperparameters (``lr``, ...) used by every group that does not set them.

    ``param_groups`` is a list of dicts, one per group, read afresh at every ``step()``, so a
    learning-rate scheduler or the user may change ``group["lr"]`` between steps. ``state`` maps
    each parameter object to a dict of its buffers (tensors) and step count.

    Subclasses implement ``step()``. Their updates write into ``p.data`` in place with numpy, so a
    step never replaces a parameter object, never records a graph and never changes ``p.grad``.
    Parameters whose ``grad`` is None are skipped.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._opt_called = False

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got a single {type(params).__name__}. "
                            "Wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Pass a list instead")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

        # Work arrays for step(), one set per parameter, and the flat layouts of groups (see
        # _flat_group). Neither is part of state_dict, because they carry no information between
        # steps that the state does not have.
        self._scratch = {}
        self._flat_groups = {}

    # ----------------------------------------------------------------- groups

    def _validate_group(self, group):
        """Raise ValueError for an invalid hyperparameter in ``group``. Subclasses override it."""

    def add_param_group(self, param_group):
        """Add a group of parameters, filling in every hyperparameter it leaves out from defaults.

        Raises TypeError for params that are not tensors and ValueError for a non-leaf tensor, an
        invalid hyperparameter, or a parameter that is already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Pass a list instead")
        else:
            params = list(params)

        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor. Pass the leaf tensors the "
                                 "model was built from, or .detach().requires_grad_() a copy")

        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._validate_group(group)

        # Tensors compare elementwise, so membership is checked by identity.
        seen = {id(p) for existing in self.param_groups for p in existing["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(group)

    # ----------------------------------------------------------------- gradients and steps

    def zero_grad(self, set_to_none=True):
        """Reset the gradient of every parameter: to None by default, else fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad.data.fill(0)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient. Subclasses implement it.

        ``closure``, if given, re-evaluates the model and returns the loss, which step returns.
        Implementations call ``_run_closure`` first, which also sets the flag that the lr
        schedulers read to check that ``optimizer.step()`` ran before ``scheduler.step()``.
        """
        raise NotImplementedError

    def _run_closure(self, closure):
        """Mark that step() ran (for the schedulers' order check) and return the closure's loss."""
        self._opt_called = True
        if closure is None:
            return None

        from mytorch.autograd.grad_mode import enable_grad

        with enable_grad():
            return closure()

    def _scratch_arrays(self, p, count):
        """Return ``count`` work arrays shaped like ``p``, made once and reused by every step."""
        arrays = self._scratch.get(p)
        data = p.data
        if arrays is None or len(arrays) < count or arrays[0].shape != data.shape \
                or arrays[0].dtype != data.dtype:
            arrays = tuple(np.empty_like(data) for _ in range(count))
            self._scratch[p] = arrays
        return arrays

    def _flat_group(self, group, params, buffer_fills, work_count):
        """Return the flat layout of ``params`` (the group's parameters that have a gradient).

        Returns None when the per-parameter path must run instead: for fewer than two
        parameters, mixed dtypes, or states that differ in step count or in which buffers they
        have. ``buffer_fills`` maps each state buffer the step needs to its initial value.
        Building the layout moves every buffer into one flat array and stores views of it in
        ``state[p]``, so state_dict still returns one tensor per buffer and parameter.
        """
        flat = self._flat_groups.get(id(group))
        if flat is not None and flat.group is group and flat.matches(params, buffer_fills):
            return flat

        self._flat_groups.pop(id(group), None)
        if len(params) < 2:
            return None
        dtype = params[0].data.dtype
        if any(p.data.dtype != dtype for p in params):
            return None
        states = [self.state[p] for p in params]
        if len({state.get("step", 0.0) for state in states}) != 1:
            return None
        if any(state and any(name not in state for name in buffer_fills) for state in states):
            return None

        flat = _FlatGroup(group, params, buffer_fills, work_count)
        for state, views in zip(states, flat.state_views(), strict=True):
            for name, view in views.items():
                if name in state:
                    view[...] = state[name].data
                state[name] = Tensor._wrap(view)
            state.setdefault("step", 0.0)
        self._flat_groups[id(group)] = flat
        return flat

    # ----------------------------------------------------------------- state_dict

    def state_dict(self):
        """Return the optimizer's state as ``{"state": ..., "param_groups": ...}``, as torch does.

        Parameters are replaced by their index in the order of ``param_groups``: ``state`` maps
        each index to its buffers and step count, and each group's ``"params"`` is a list of
        indices. Tuples (``betas``) become lists, so the dict contains only tensors, numbers,
        strings, bools, None, lists and dicts. As in torch, the state tensors are the live
        buffers, not copies: save them before the next ``step()`` or copy them.
        """
        index_of = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: _plain(value) for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            param_groups.append(packed)

        state = {}
        for param, param_state in self.state.items():
            key = index_of[id(param)] if isinstance(param, Tensor) else param
            state[key] = param_state
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a dict made by ``state_dict()``, deep-copying it so the two share no arrays.

        Floating-point buffers are cast to their parameter's dtype. The step count stays a Python
        float. Hyperparameters come from the saved groups, and the parameters from this optimizer.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(self.param_groups)} in this optimizer")
        for index, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {index} has {len(saved['params'])} saved "
                    f"parameters and {len(group['params'])} in this optimizer")

        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for index, param in zip(saved["params"], group["params"], strict=True):
                param_of[index] = param

        self.state = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            param = param_of.get(_as_index(key))
            if param is None:
                self.state[key] = _deep_copy(saved_state, None)
                continue
            self.state[param] = {
                name: float(value) if name == "step" else _deep_copy(value, param.data.dtype)
                for name, value in saved_state.items()
            }

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new_group = {key: _deep_copy(value, None) for key, value in saved.items()}
            for key, default in self.defaults.items():
                if isinstance(default, tuple) and isinstance(new_group.get(key), list):
                    new_group[key] = tuple(new_group[key])
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.param_groups = new_groups
        self._scratch = {}
        self._flat_groups = {}

    # ----------------------------------------------------------------- printing

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _plain(value):
    """Return ``value`` with tuples turned into lists, recursively."""
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def _as_index(key):
    """Return a saved state key as an int index, because a saver may have made it a string."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def _deep_copy(value, float_dtype):
    """Copy tensors, arrays, lists and dicts recursively, casting floating arrays to float_dtype."""
    if isinstance(value, Tensor):
        return Tensor._wrap(_copy_array(value.data, float_dtype))
    if isinstance(value, np.ndarray):
        return Tensor._wrap(_copy_array(value, float_dtype))
    if isinstance(value, dict):
        return {key: _deep_copy(item, float_dtype) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item, float_dtype) for item in value]
    if isinstance(value, tuple):
        return tuple(_deep_copy(item, float_dtype) for item in value)
    return value


def _copy_array(array, float_dtype):
    if float_dtype is not None and array.dtype.kind == "f":
        return np.array(array, dtype=float_dtype, copy=True)
    return np.array(array, copy=True)


def lerp_(start, end, weight, work):
    """Move ``start`` in place toward ``end`` by ``weight``, rounding as ``torch.lerp_`` does.

    torch computes ``start + weight * (end - start)`` for ``|weight| < 0.5`` and
    ``end - (end - start) * (1 - weight)`` otherwise, which keeps the result exact at weight 1.
    ``work`` is a scratch array shaped like ``start``.
    """
    np.subtract(end, start, out=work)
    if abs(weight) < 0.5:
        work *= weight
        start += work
    else:
        work *= 1 - weight
        np.subtract(end, work, out=start)


class _FlatGroup:
    """The parameters of one group laid end to end, so one ufunc call updates all of them.

    A small network has many small parameters, and numpy's per-call overhead (about 1 us)
    dominates their update. A step gathers the parameters and gradients into ``param`` and
    ``grad``, runs the update once on the flat arrays (elementwise, so the results are
    bit-identical to the per-parameter path), and copies ``param`` back. The state buffers live
    in ``buffers``, and ``state[p]`` contains views of them.

    NOTE: a buffer tensor that the caller assigns into ``state[p]`` is ignored until the layout
    is rebuilt (by ``load_state_dict`` or a change in which parameters have gradients).
    """

    __slots__ = ("group", "params", "shapes", "names", "param", "grad", "param_views",
                 "buffers", "work", "_offsets")

    def __init__(self, group, params, buffer_fills, work_count):
        self.group = group
        self.params = list(params)
        self.shapes = [p.data.shape for p in params]
        self.names = tuple(buffer_fills)
        dtype = params[0].data.dtype

        sizes = [p.data.size for p in params]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        total = self._offsets[-1]

        self.param = np.empty(total, dtype=dtype)
        self.grad = np.empty(total, dtype=dtype)
        self.param_views = self._views(self.param)
        self.buffers = {name: np.full(total, fill, dtype=dtype)
                        for name, fill in buffer_fills.items()}
        self.work = tuple(np.empty(total, dtype=dtype) for _ in range(work_count))

    def _views(self, flat):
        return [flat[start:stop].reshape(shape) for start, stop, shape
                in zip(self._offsets[:-1], self._offsets[1:], self.shapes, strict=True)]

    def state_views(self):
        """Return, per parameter, a dict from buffer name to its view of the flat buffer."""
        views = {name: self._views(buffer) for name, buffer in self.buffers.items()}
        return [{name: views[name][index] for name in self.names}
                for index in range(len(self.params))]

    def matches(self, params, buffer_fills):
        """Return whether the layout still fits these parameters and buffer names."""
        if len(params) != len(self.params) or tuple(buffer_fills) != self.names:
            return False
        for p, own, shape in zip(params, self.params, self.shapes, strict=True):
            if p is not own or p.data.shape != shape:
                return False
        return True

    def gather(self):
        """Copy every parameter and gradient into ``param`` and ``grad``."""
        np.concatenate([p.data.ravel() for p in self.params], out=self.param)
        np.concatenate([p.grad.data.ravel() for p in self.params], out=self.grad)

    def scatter(self):
        """Copy the updated ``param`` back into every parameter, in place."""
        for p, view in zip(self.params, self.param_views, strict=True):
            p.data[...] = view
