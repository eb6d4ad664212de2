"""``Parameter``: the tensor type that a ``Module`` registers as a learnable weight."""

import numpy as np

from mytorch._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a :class:`~mytorch.nn.Module` registers when it is set as an attribute.

    ``Parameter(data)`` shares ``data``'s ndarray, as torch shares the storage, and requires grad
    unless ``requires_grad=False``. ``Parameter()`` is an empty float tensor. Operations on a
    parameter return plain tensors.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from mytorch import _dtype

            array = np.empty((0,), dtype=_dtype.get_default_dtype().numpy_dtype)
        elif isinstance(data, Tensor):
            array = data.data
        else:
            raise TypeError(f"Parameter expects a Tensor or None, got {type(data).__name__}; "
                            "wrap the values with mytorch.tensor(...) first")
        param = cls._wrap(array)
        param.requires_grad_(requires_grad)
        return param

    def __init__(self, data=None, requires_grad=True):
        # Everything happens in __new__; this keeps Tensor.__init__ from running again.
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copy = Parameter(Tensor._wrap(self.data.copy()), self.requires_grad)
        if self.grad is not None:
            copy.grad = Tensor._wrap(self.grad.data.copy())
        memo[id(self)] = copy
        return copy

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._wrap(array), requires_grad)
