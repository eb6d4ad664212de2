"""Operations that move elements without changing them: reshapes, transposes, indexing, joins."""

import numpy as np

from mytorch._ops import normalize_dims, result, result_dtype
from mytorch._tensor import Tensor


def _sizes(args):
    """Accept sizes as varargs (``reshape(2, 3)``) or as one sequence (``reshape((2, 3))``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _reshaped(a, out, name):
    # Every op here only rearranges elements, so the gradient is the output's, reshaped back.
    shape = a.data.shape
    return result(out, (a,), lambda g: (g.reshape(shape),), name)


def reshape(a, *shape):
    """Return the elements in a new shape; one size may be -1 and is then inferred.

    Unlike torch's ``view``, this also works on non-contiguous data (numpy copies when it must).
    """
    sizes = _sizes(shape)
    try:
        out = a.data.reshape(sizes)
    except ValueError:
        raise RuntimeError(f"shape '{list(sizes)}' is invalid for input of size "
                           f"{a.data.size}") from None
    return _reshaped(a, out, "ViewBackward0")


def flatten(a, start_dim=0, end_dim=-1):
    x = a.data
    if x.ndim == 0:
        return _reshaped(a, x.reshape(1), "ViewBackward0")
    start, end = normalize_dims(start_dim, x.ndim)[0], normalize_dims(end_dim, x.ndim)[0]
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return _reshaped(a, x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:]), "ViewBackward0")


def unsqueeze(a, dim):
    ndim = a.data.ndim
    if not -ndim - 1 <= dim <= ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-ndim - 1}, {ndim}], but got {dim})")
    return _reshaped(a, np.expand_dims(a.data, dim % (ndim + 1)), "UnsqueezeBackward0")


def squeeze(a, dim=None):
    """Drop size-1 dimensions; a named dimension whose size is not 1 is left alone, as in torch."""
    x = a.data
    if dim is None:
        axes = tuple(i for i, size in enumerate(x.shape) if size == 1)
    else:
        axes = tuple(i for i in normalize_dims(dim, x.ndim) if x.ndim and x.shape[i] == 1)
    return _reshaped(a, x.squeeze(axes), "SqueezeBackward0")


def expand(a, *sizes):
    """Broadcast to a larger shape without copying; -1 keeps a dimension's size.

    The gradient is the output's; the engine sums it back over the broadcast dimensions.
    """
    sizes = _sizes(sizes)
    x = a.data
    lead = len(sizes) - x.ndim
    target = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return result(np.broadcast_to(x, target), (a,), lambda g: (g,), "ExpandBackward0")


def transpose(a, dim0, dim1):
    out = np.swapaxes(a.data, dim0, dim1)
    return result(out, (a,), lambda g: (np.swapaxes(g, dim0, dim1),), "TransposeBackward0")


def permute(a, *dims):
    dims = _sizes(dims)
    if sorted(d % max(a.data.ndim, 1) for d in dims) != list(range(a.data.ndim)):
        raise RuntimeError(f"permute(): dims {list(dims)} are not a permutation of the "
                           f"{a.data.ndim} dimensions of a tensor of shape {a.data.shape}")
    inverse = np.argsort([d % a.data.ndim for d in dims])
    out = np.transpose(a.data, dims)
    return result(out, (a,), lambda g: (np.transpose(g, inverse),), "PermuteBackward0")


# ------------------------------------------------------------------ indexing


def numpy_index(index):
    """Translate a torch-style index (tensors inside tuples too) into one numpy understands."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _has_integer_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list) or (isinstance(part, np.ndarray) and part.dtype != bool):
            return True
    return False


def getitem(a, index):
    """Index like numpy; with integer arrays, repeated indices add up their gradients."""
    index = numpy_index(index)
    x = a.data
    out = x[index]
    repeated_possible = _has_integer_array(index)

    def backward(g):
        grad = np.zeros(x.shape, dtype=g.dtype)
        if repeated_possible:
            np.add.at(grad, index, g)  # plain assignment would keep only the last of repeats
        else:
            grad[index] = g
        return (grad,)

    return result(out, (a,), backward, "IndexBackward0")


# ------------------------------------------------------------------ joining


def _promoted(out, arrays, tensors):
    # numpy joins int64 and float32 into float64, torch into float32.
    first = arrays[0].dtype
    if all(array.dtype is first for array in arrays):
        return out
    return out.astype(result_dtype(*tensors), copy=False)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension; each gets back its slice of the gradient."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    arrays = [t.data for t in tensors]
    axis = normalize_dims(dim, arrays[0].ndim)[0]
    out = _promoted(np.concatenate(arrays, axis=axis), arrays, tensors)
    bounds = np.cumsum([arr.shape[axis] for arr in arrays])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return result(out, tuple(tensors), backward, "CatBackward0")


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrays = [t.data for t in tensors]
    out = _promoted(np.stack(arrays, axis=dim), arrays, tensors)
    axis = dim % out.ndim

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return result(out, tuple(tensors), backward, "StackBackward0")
