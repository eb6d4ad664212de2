"""Samplers: the order in which a DataLoader visits dataset indices, and how it groups them."""

import numbers

import numpy as np

from mytorch._random import numpy_rng


class Sampler:
    """An iterable over dataset indices; subclasses implement ``__iter__`` and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """The indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _epoch_indices(self):
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order, drawn afresh from ``generator`` each time it is iterated.

    Without replacement every pass is a permutation of the dataset's indices; ``num_samples``
    larger than the dataset chains whole permutations and cuts the last one short. With
    ``replacement=True`` the ``num_samples`` indices are drawn independently and uniformly.
    Without ``generator`` the draws come from the default generator (``mytorch.manual_seed``).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, numbers.Integral)
                                        or isinstance(num_samples, bool) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _epoch_indices(self):
        """Draw one pass of indices as an int64 array; each call advances the generator."""
        size = len(self.data_source)
        rng = numpy_rng(self.generator)
        if self.replacement:
            if size == 0:
                raise ValueError("cannot sample with replacement from an empty dataset")
            return rng.integers(0, size, size=self.num_samples, dtype=np.int64)
        whole_passes, rest = divmod(self.num_samples, size) if size else (0, 0)
        parts = [rng.permutation(size) for _ in range(whole_passes)]
        if rest:
            parts.append(rng.permutation(size)[:rest])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def __iter__(self):
        return iter(self._epoch_indices().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order, a fresh permutation each time it is iterated."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def _epoch_indices(self):
        order = numpy_rng(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[order]

    def __iter__(self):
        return iter(self._epoch_indices().tolist())

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    The last list is shorter when the sampler's length is not a multiple of ``batch_size``,
    unless ``drop_last`` is set, which drops it.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if (not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
