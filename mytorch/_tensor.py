"""The Tensor: an ndarray plus what reverse-mode autograd needs to know about it."""

import numpy as np

from mytorch import _dtype
from mytorch._size import Size
from mytorch.autograd import engine
from mytorch.autograd.grad_mode import _GradMode

# The names ``Tensor.type()`` returns, as torch's legacy tensor classes are named.
_LEGACY_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte",
                      "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                      "bool": "Bool"}


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``data`` is the numpy array that contains the values. When ``requires_grad`` is set, every
    operation on the tensor returns a new tensor whose ``grad_fn`` remembers how to send gradients
    back, and ``backward()`` fills ``.grad`` of the leaves. ``Tensor(data)`` follows torch's legacy
    constructor and stores the values in the default float dtype; ``mytorch.tensor(data)`` infers
    the dtype from the data.

    Deliberate differences from torch: ``.data`` is the ndarray itself rather than a tensor that
    shares its storage; in-place methods (``add_``, ``zero_``, ...) refuse to run where they would
    have to be recorded in a graph; and ``+=`` on a tensor that records a graph rebinds the name to
    a new tensor instead of changing the old one.
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_retains_grad", "__weakref__")

    # Makes numpy hand mixed expressions such as ``ndarray * tensor`` to Tensor's reflected dunders.
    __array_ufunc__ = None

    def __init__(self, data=(), *, dtype=None, requires_grad=False):
        numpy_dtype = _dtype.to_numpy_dtype(dtype) or _dtype.get_default_dtype().numpy_dtype
        self.data = np.array(data.data if isinstance(data, Tensor) else data, dtype=numpy_dtype)
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, grad_fn=None):
        """Wrap an array without copying or checks: the fast path every operation returns by."""
        tensor = object.__new__(cls)
        tensor.data = data if type(data) is np.ndarray else np.asarray(data)
        tensor.grad = None
        tensor.grad_fn = grad_fn
        tensor.requires_grad = grad_fn is not None
        tensor._retains_grad = False
        return tensor

    # ----------------------------------------------------------------- attributes

    @property
    def shape(self):
        """The size of each dimension, as a :class:`mytorch.Size` (a tuple)."""
        return Size(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self.data.dtype)

    @property
    def device(self):
        from mytorch._device import device

        return device("cpu")

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by a recorded operation."""
        return self.grad_fn is None

    @property
    def T(self):  # noqa: N802 - torch's name
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):  # noqa: N802 - torch's name
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return Size(self.data.shape) if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def nelement(self):
        return self.data.size

    def element_size(self):
        return self.data.itemsize

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # Hashing by identity, as torch does, so tensors can key dicts (optimizer state). The C slot
    # of object is faster than a Python method returning id(self).
    __hash__ = object.__hash__

    # ----------------------------------------------------------------- conversion

    def item(self):
        """Return the value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def numpy(self):
        """Return the underlying array, shared with the tensor, as ``torch.Tensor.numpy`` does."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __float__(self):
        return float(self.item())

    def __format__(self, format_spec):
        # f"{loss:.4f}" formats a one-element tensor's value, as torch does.
        if self.data.ndim == 0:
            return format(self.data.item(), format_spec)
        return object.__format__(self, format_spec)

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.data.size} values is ambiguous")
        return bool(self.data.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data.item())

    def to(self, *args, **kwargs):
        """Return the tensor in another dtype. A device of ``"cpu"`` is accepted and ignored."""
        copy = kwargs.pop("copy", False)
        dtype = parse_to_arguments(args, kwargs)
        if dtype is None or dtype == self.data.dtype:
            return self.clone() if copy else self
        return _ops.pointwise.cast(self, dtype.numpy_dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"mytorch.{_LEGACY_TYPE_NAMES[self.dtype.name]}Tensor"
        return self.to(dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def cpu(self):
        return self

    def contiguous(self):
        return self

    # ----------------------------------------------------------------- autograd

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on.

        ``gradient`` is the gradient of some scalar with respect to this tensor. It may be left out
        only when the tensor contains one element. ``create_graph=True`` (higher-order gradients)
        and ``inputs`` are not supported.
        """
        if create_graph or inputs is not None:
            raise NotImplementedError("mytorch computes first-order gradients only; "
                                      "create_graph and inputs are not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            # The two calls np.ones makes, without its Python wrapper.
            grad = np.empty(self.data.shape, self.data.dtype)
            grad.fill(1)
        else:
            grad = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if grad.shape != self.data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{grad.shape} and output[0] has a shape of {self.data.shape}.")
            grad = grad.astype(self.data.dtype, copy=False)
        engine.run_backward(self, grad, retain_graph=bool(retain_graph))

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on a leaf in place and return the tensor."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, got "
                f"{self.dtype}; convert with .float() first")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """Return a tensor that shares the data but is cut from the graph."""
        return Tensor._wrap(self.data)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ----------------------------------------------------------------- in-place updates
    # These change ``data`` directly and are not recorded, so they refuse to run where torch
    # would record them: on a tensor that requires grad while grad mode is on.

    def _check_inplace(self, source=None):
        if not _GradMode.enabled:
            return
        if isinstance(source, Tensor) and source.requires_grad:
            raise RuntimeError("mytorch does not record in-place operations, so a value that "
                               "requires grad would get no gradient here; build the tensor "
                               "with mytorch.cat, mytorch.stack or mytorch.where instead")
        if self.requires_grad:
            if self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation; wrap the update in mytorch.no_grad()")
            raise RuntimeError("mytorch does not record in-place operations; write y = y + x "
                               "instead of an in-place update of a tensor in the graph")

    def _inplace(self, values, source=None):
        self._check_inplace(source)
        self.data[...] = values.data if isinstance(values, Tensor) else values
        return self

    def zero_(self):
        return self._inplace(0)

    def fill_(self, value):
        return self._inplace(value)

    def copy_(self, src):
        return self._inplace(src, src)

    def add_(self, other, alpha=1):
        return self._inplace(self.data + alpha * _ops.data_of(other), other)

    def sub_(self, other, alpha=1):
        return self._inplace(self.data - alpha * _ops.data_of(other), other)

    def mul_(self, other):
        return self._inplace(self.data * _ops.data_of(other), other)

    def div_(self, other):
        return self._inplace(self.data / _ops.data_of(other), other)

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's argument names
        return self._inplace(np.clip(self.data, min, max))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from mytorch._random import numpy_rng

        return self._inplace(numpy_rng(generator).uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from mytorch._random import numpy_rng

        return self._inplace(numpy_rng(generator).normal(mean, std, self.data.shape))

    def _inplace_or_rebind(self, result):
        # Python rebinds the name to whatever ``__iadd__`` returns, so when the tensor is part of a
        # graph the new tensor takes its place and the recorded graph stays correct.
        # That includes ``x += w`` for a plain ``x`` and a ``w`` that requires grad: writing into
        # ``x`` would drop the recorded operation and ``w`` would get no gradient.
        if result.requires_grad:
            if self.requires_grad and self.grad_fn is None:
                self._check_inplace()  # a leaf that requires grad: raises as torch does
            return result
        if not np.can_cast(result.data.dtype, self.data.dtype, casting="same_kind"):
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output "
                               f"type {self.dtype}; convert the tensor first, e.g. x = x.float()")
        self.data[...] = result.data
        return self

    def __iadd__(self, other):
        return self._inplace_or_rebind(self + other)

    def __isub__(self, other):
        return self._inplace_or_rebind(self - other)

    def __imul__(self, other):
        return self._inplace_or_rebind(self * other)

    def __itruediv__(self, other):
        return self._inplace_or_rebind(self / other)

    # ----------------------------------------------------------------- arithmetic

    def __add__(self, other):
        return _ops.pointwise.add(self, other)

    def __radd__(self, other):
        return _ops.pointwise.add(other, self)

    def __sub__(self, other):
        return _ops.pointwise.sub(self, other)

    def __rsub__(self, other):
        return _ops.pointwise.sub(other, self)

    def __mul__(self, other):
        return _ops.pointwise.mul(self, other)

    def __rmul__(self, other):
        return _ops.pointwise.mul(other, self)

    def __truediv__(self, other):
        return _ops.pointwise.div(self, other)

    def __rtruediv__(self, other):
        return _ops.pointwise.div(other, self)

    def __pow__(self, other):
        return _ops.pointwise.pow(self, other)

    def __rpow__(self, other):
        return _ops.pointwise.pow(other, self)

    def __floordiv__(self, other):
        return _ops.pointwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.pointwise.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.pointwise.remainder(self, other)

    def __rmod__(self, other):
        return _ops.pointwise.remainder(other, self)

    def __neg__(self):
        return _ops.pointwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.pointwise.abs(self)

    def __matmul__(self, other):
        return _ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)

    def __getitem__(self, index):
        return _ops.shape.getitem(self, index)

    def __setitem__(self, index, value):
        self._check_inplace(value)
        self.data[_ops.shape.numpy_index(index)] = _ops.data_of(value)

    # Comparisons record nothing and return bool tensors.
    def __eq__(self, other):
        return _ops.pointwise.eq(self, other)

    def __ne__(self, other):
        return _ops.pointwise.ne(self, other)

    def __lt__(self, other):
        return _ops.pointwise.lt(self, other)

    def __le__(self, other):
        return _ops.pointwise.le(self, other)

    def __gt__(self, other):
        return _ops.pointwise.gt(self, other)

    def __ge__(self, other):
        return _ops.pointwise.ge(self, other)

    def __invert__(self):
        return _ops.pointwise.logical_not(self)

    def __and__(self, other):
        return Tensor._wrap(self.data & _ops.data_of(other))

    def __or__(self, other):
        return Tensor._wrap(self.data | _ops.data_of(other))

    def __xor__(self, other):
        return Tensor._wrap(self.data ^ _ops.data_of(other))

    # ----------------------------------------------------------------- methods named as in torch

    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        return self @ other

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def equal(self, other):
        return self.data.shape == other.data.shape and bool(np.array_equal(self.data, other.data))

    def remainder(self, other):
        return self % other

    def floor_divide(self, other):
        return self // other

    def sin(self):
        return _ops.pointwise.sin(self)

    def cos(self):
        return _ops.pointwise.cos(self)

    def masked_fill(self, mask, value):
        return _ops.pointwise.masked_fill(self, mask, value)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """Return a new tensor of ``data`` in this tensor's dtype unless ``dtype`` is given."""
        from mytorch._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        from mytorch._creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        from mytorch._creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        from mytorch._creation import ones

        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def clone(self):
        return _ops.pointwise.clone(self)

    def exp(self):
        return _ops.pointwise.exp(self)

    def log(self):
        return _ops.pointwise.log(self)

    def log1p(self):
        return _ops.pointwise.log1p(self)

    def sqrt(self):
        return _ops.pointwise.sqrt(self)

    def abs(self):
        return _ops.pointwise.abs(self)

    def square(self):
        return _ops.pointwise.pow(self, 2)

    def sign(self):
        return Tensor._wrap(np.sign(self.data))

    def round(self, decimals=0):
        return _ops.pointwise.round(self, decimals)

    def norm(self, p="fro", dim=None, keepdim=False):
        return _ops.reduction.norm(self, p, dim, keepdim)

    def clamp(self, min=None, max=None):  # noqa: A002 - torch's argument names
        return _ops.pointwise.clamp(self, min, max)

    clip = clamp

    def tanh(self):
        return _ops.pointwise.tanh(self)

    def sigmoid(self):
        return _ops.pointwise.sigmoid(self)

    def relu(self):
        return _ops.pointwise.relu(self)

    def softmax(self, dim):
        return _ops.reduction.softmax(self, dim)

    def log_softmax(self, dim):
        return _ops.reduction.log_softmax(self, dim)

    def logsumexp(self, dim, keepdim=False):
        return _ops.reduction.logsumexp(self, dim, keepdim)

    def sum(self, dim=None, keepdim=False):
        return _ops.reduction.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return _ops.reduction.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return _ops.reduction.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return _ops.reduction.var(self, dim, unbiased, keepdim, correction=correction) ** 0.5

    def max(self, dim=None, keepdim=False):
        return _ops.reduction.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.reduction.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _ops.reduction.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.reduction.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.reduction.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.reduction.argmin(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(self.data.all(axis=dim, keepdims=keepdim))

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(self.data.any(axis=dim, keepdims=keepdim))

    def reshape(self, *shape):
        return _ops.shape.reshape(self, *shape)

    def view(self, *shape):
        return _ops.shape.reshape(self, *shape)

    def view_as(self, other):
        return _ops.shape.reshape(self, other.shape)

    def reshape_as(self, other):
        return _ops.shape.reshape(self, other.shape)

    def expand(self, *sizes):
        return _ops.shape.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.shape.expand(self, other.shape)

    def transpose(self, dim0, dim1):
        return _ops.shape.transpose(self, dim0, dim1)

    def t(self):
        return _ops.shape.transpose(self, 0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        return _ops.shape.permute(self, *dims)

    def unsqueeze(self, dim):
        return _ops.shape.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.shape.squeeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.shape.flatten(self, start_dim, end_dim)

    # ----------------------------------------------------------------- printing

    def __repr__(self):
        data = self.data
        body = np.array2string(data, separator=", ", prefix="tensor(",
                               **_float_format(data), threshold=1000, edgeitems=3)
        extras = []
        if data.size == 0 and data.ndim != 1:
            extras.append(f"size={data.shape}")
        shown_by_values = (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool)
        if self.dtype not in shown_by_values:
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


def _float_format(data):
    """Return ``array2string`` options that print floats the way torch does.

    Torch prints whole numbers as ``1.``, other values with 4 decimals, and switches to
    scientific notation with 4 decimals when the finite non-zero magnitudes span more than a
    factor of 1000, exceed 1e8 or fall below 1e-4.
    """
    if data.dtype.kind != "f":
        return {}
    finite = np.abs(data[np.isfinite(data) & (data != 0)])
    if finite.size == 0:
        return {"precision": 4, "floatmode": "fixed"} if not np.all(data == 0) else {}
    low, high = finite.min(), finite.max()
    whole = bool(np.all(finite == np.round(finite)))
    if whole and high <= 1e8:
        return {}
    if high > 1e8 or (not whole and (high / low > 1000 or low < 1e-4)):
        # Right-aligned like numpy's own output, the widest entry being the most negative.
        width = len(f"{data[np.isfinite(data)].min():.4e}")
        return {"formatter": {"float_kind": lambda v: f"{v:.4e}".rjust(width)}}
    return {"precision": 4, "floatmode": "fixed"}


def parse_to_arguments(args, kwargs):
    """Return the dtype that ``to(...)`` requests (or None), checking that any device is the CPU.

    Accepts what torch's ``Tensor.to`` and ``Module.to`` do: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(tensor)`` (its dtype) and the keywords ``dtype``, ``device`` and
    ``non_blocking``.
    """
    from mytorch._device import device as device_type

    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, _dtype.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype = arg.dtype
        else:
            device = arg
    if device is not None:
        device_type(device)  # raises for anything but the CPU
    return dtype


from mytorch import _ops  # noqa: E402 - the operations need the Tensor class defined first
