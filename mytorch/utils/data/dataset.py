"""Map-style datasets (``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``) and
``random_split``."""

import bisect
import math
import numbers
import warnings

from mytorch._random import numpy_rng
from mytorch._tensor import Tensor


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns sample ``i``, ``len(dataset)`` the sample count.

    Subclasses implement ``__getitem__`` and, for the default samplers, ``__len__``.
    ``a + b`` chains two datasets into a ``ConcatDataset``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples taken along the first dimension of tensors of equal length.

    ``dataset[i]`` is the tuple ``(t[i] for t in tensors)``, so ``TensorDataset(x, y)`` yields
    ``(x[i], y[i])`` pairs. The DataLoader batches a TensorDataset by indexing each tensor once per
    batch rather than collating sample by sample.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"TensorDataset argument {position} is a {type(tensor).__name__}, "
                                "not a Tensor; wrap arrays with mytorch.from_numpy first")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset argument {position} is a 0-d tensor; every "
                                 "tensor needs a first dimension that indexes the samples")
        sizes = [tensor.shape[0] for tensor in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}; "
                             "every tensor must hold the same number of samples")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets read one after the other as one dataset."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError(f"index {index} is out of range for a dataset of {len(self)} "
                                 "samples")
            index += len(self)
        dataset_index = bisect.bisect_right(self.cumulative_sizes, index)
        if dataset_index == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of {len(self)} samples")
        offset = self.cumulative_sizes[dataset_index - 1] if dataset_index > 0 else 0
        return self.datasets[dataset_index][index - offset]


def _lengths_from_fractions(fractions, total):
    """Turn fractions that sum to 1 into lengths that sum to ``total``.

    Each split gets ``floor(total * fraction)``. The samples left over go one at a time to the
    splits in order, starting again at the first, which is how torch 2.13 distributes them.
    """
    for position, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction {fraction!r} at index {position} is not between 0 and 1")
    lengths = [math.floor(total * fraction) for fraction in fractions]
    remainder = total - sum(lengths)
    for i in range(remainder):
        lengths[i % len(lengths)] += 1
    for position, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"random_split: the split at index {position} is empty",
                          stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` contains either sample counts that sum to ``len(dataset)`` or fractions that sum
    to 1 (for example ``[0.8, 0.2]``). The permutation is drawn from ``generator``, or from the
    default generator when it is None, so a seeded generator always gives the same split.
    """
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length, got an empty sequence")
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, total)

    for position, length in enumerate(lengths):
        if not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"length {length!r} at index {position} is invalid; pass "
                             "non-negative integer counts or fractions that sum to 1")
    if sum(lengths) != total:
        raise ValueError(f"the lengths {lengths} sum to {sum(lengths)}, but the dataset has "
                         f"{total} samples; they must be equal")

    permutation = numpy_rng(generator).permutation(total).tolist()
    subsets = []
    start = 0
    for length in lengths:
        subsets.append(Subset(dataset, permutation[start:start + length]))
        start += length
    return subsets
