"""Torch-named dtypes backed by numpy dtypes.

``mytorch.float32`` and friends are the objects users pass as ``dtype=``; each wraps the numpy dtype
that stores the data. ``Tensor.dtype`` returns them, so ``x.dtype == mytorch.float32`` reads as in
torch, and comparing with a numpy dtype works too.
"""

import numpy as np


class dtype:  # noqa: N801 - torch spells the class in lower case
    """A tensor element type: a torch name over a numpy dtype."""

    __slots__ = ("name", "numpy_dtype", "is_floating_point", "itemsize")

    def __init__(self, name, numpy_dtype):
        self.name = name
        self.numpy_dtype = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy_dtype.kind == "f"
        self.itemsize = self.numpy_dtype.itemsize

    def __repr__(self):
        return f"mytorch.{self.name}"

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self.numpy_dtype == other.numpy_dtype
        try:
            return self.numpy_dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.numpy_dtype)

    # dtypes are singletons, so copying one returns the same object, as in torch.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)  # noqa: A001 - torch's alias
float64 = double = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)  # noqa: A001 - torch's alias
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - torch's name

_BY_NUMPY = {d.numpy_dtype: d
             for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool)}

_default_float = float32


def from_numpy_dtype(numpy_dtype):
    """Return the mytorch dtype that stores elements of ``numpy_dtype``."""
    try:
        return _BY_NUMPY[np.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(f"numpy dtype {np.dtype(numpy_dtype)} has no mytorch equivalent; "
                        f"supported: {', '.join(str(k) for k in _BY_NUMPY)}") from None


def to_numpy_dtype(value):
    """Return the numpy dtype for a mytorch dtype, a numpy dtype or a Python type, or None."""
    if value is None:
        return None
    if isinstance(value, dtype):
        return value.numpy_dtype
    return np.dtype(value)


def set_default_dtype(d):
    """Set the dtype that floating-point factories and Python float data produce."""
    global _default_float
    if not isinstance(d, dtype) or d not in (float16, float32, float64):
        raise TypeError(f"only floating-point dtypes can be the default, got {d!r}; "
                        "use mytorch.float32 or mytorch.float64")
    _default_float = d


def get_default_dtype():
    """Return the dtype that floating-point factories produce (float32 unless changed)."""
    return _default_float
