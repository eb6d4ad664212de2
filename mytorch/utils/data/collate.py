"""``default_collate``: merge a list of samples into one batch, following torch's rules."""

import collections.abc
import numbers

import numpy as np

from mytorch import _dtype
from mytorch._creation import tensor as make_tensor
from mytorch._ops import shape
from mytorch._tensor import Tensor


def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _reject(value):
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(value).__name__}. Pass a collate_fn for other types")


def _array_to_tensor(array):
    if array.dtype.kind not in "biuf":
        _reject(array)
    _dtype.from_numpy_dtype(array.dtype)  # rejects dtypes mytorch has no name for
    return Tensor._wrap(array)


def default_collate(batch):
    """Merge a list of samples into a batch, adding a new first dimension.

    Tensors are stacked, and ndarrays and numpy scalars become stacked tensors of their dtype.
    Python floats become a float64 tensor, ints an int64 tensor and bools a bool tensor. Strings
    stay a list. Dicts, named tuples, tuples and lists are collated field by field. As in torch
    2.x, a tuple or list of fields gives a list of batched fields, so ``x, y = batch`` works.
    """
    elem = batch[0]

    if isinstance(elem, Tensor):
        return shape.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        return _array_to_tensor(np.stack(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, np.generic):
        return _array_to_tensor(np.array(batch))
    if isinstance(elem, bool):
        return make_tensor(list(batch), dtype=_dtype.bool)
    if isinstance(elem, numbers.Integral):
        return make_tensor(list(batch), dtype=_dtype.int64)
    if isinstance(elem, numbers.Real):
        return make_tensor(list(batch), dtype=_dtype.float64)

    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated

    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch, strict=True)))

    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) != 1:
            raise RuntimeError(f"each element in list of batch should be of equal size; got "
                               f"sizes {sorted(sizes)}")
        fields = [default_collate(list(field)) for field in zip(*batch, strict=True)]
        if isinstance(elem, (tuple, list)):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields

    _reject(elem)


def default_convert(sample):
    """Turn the ndarrays and numpy scalars in one sample into tensors, without batching.

    The DataLoader applies this when ``batch_size=None`` switches batching off.
    """
    if isinstance(sample, Tensor):
        return sample
    if isinstance(sample, np.ndarray):
        return _array_to_tensor(sample) if sample.dtype.kind in "biuf" else sample
    if isinstance(sample, np.generic) and sample.dtype.kind in "biuf":
        return _array_to_tensor(np.asarray(sample))
    if isinstance(sample, (str, bytes)):
        return sample
    if isinstance(sample, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in sample.items()}
        try:
            return type(sample)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(sample):
        return type(sample)(*(default_convert(value) for value in sample))
    if isinstance(sample, tuple):
        return [default_convert(value) for value in sample]
    if isinstance(sample, collections.abc.Sequence):
        converted = [default_convert(value) for value in sample]
        try:
            return type(sample)(converted)
        except TypeError:
            return converted
    return sample
