"""The DataLoader: iterate over a dataset in batches, in order or shuffled."""

import numbers

import numpy as np

from mytorch._tensor import Tensor
from mytorch.utils.data.collate import default_collate, default_convert
from mytorch.utils.data.dataset import Subset, TensorDataset
from mytorch.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Iterate over ``dataset`` in batches, like ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (default 1); None yields single samples without batching.
        shuffle: visit the samples in a new random order each epoch (default False).
        sampler: an iterable of indices that sets the order; excludes ``shuffle``.
        batch_sampler: an iterable of index lists; excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers, pin_memory: accepted so torch scripts run unchanged. NOTE: loading always
            happens in the calling process, whatever the value of ``num_workers``.
        collate_fn: merges a list of samples into a batch (default ``default_collate``).
        drop_last: drop the last batch when it is smaller than ``batch_size`` (default False).
        generator: the ``mytorch.Generator`` that shuffling draws from; the default generator
            when None. The same seed gives the same sequence of epochs.

    ``len(loader)`` is ``ceil(N / batch_size)``, or ``floor(N / batch_size)`` with ``drop_last``.
    The loader can be iterated any number of times, and each shuffled epoch draws a fresh
    permutation. A ``TensorDataset`` (or a ``Subset`` of one) with the default ``collate_fn``
    is batched by indexing each tensor once per batch, which gives the same batches as
    collating sample by sample, only faster.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None, *, persistent_workers=False):
        if shuffle not in (None, True, False):
            raise ValueError(f"shuffle should be True, False or None, but got shuffle={shuffle!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative integer, but got "
                             f"num_workers={num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError(f"sampler option is mutually exclusive with shuffle; got "
                             f"sampler={sampler!r} and shuffle=True. Shuffle inside the sampler")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    f"sampler and drop_last; got batch_size={batch_size!r}, shuffle={shuffle!r}, "
                    f"sampler={sampler!r}, drop_last={drop_last!r}")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None turns batching off, so drop_last=True has no "
                             "meaning; leave drop_last False or set a batch_size")

        if sampler is None:
            if shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)

        source = _tensor_source(self.dataset) if self._default_collate else None
        if source is None:
            return (self.collate_fn([self.dataset[index] for index in batch])
                    for batch in self.batch_sampler)
        tensors, base_indices = source
        return (_index_tensors(tensors, base_indices, batch)
                for batch in self._index_arrays())

    def _index_arrays(self):
        """Yield each batch's indices as an int64 array.

        When the batch sampler is the stock BatchSampler over a sampler that can draw a whole
        epoch as an array, the epoch is drawn once and sliced, which avoids Python lists.
        """
        batch_sampler = self.batch_sampler
        sampler = getattr(batch_sampler, "sampler", None)
        if type(batch_sampler) is not BatchSampler or not hasattr(sampler, "_epoch_indices"):
            for batch in batch_sampler:
                yield np.asarray(batch, dtype=np.int64)
            return

        indices = sampler._epoch_indices()
        batch_size = batch_sampler.batch_size
        stop = len(indices)
        if batch_sampler.drop_last:
            stop -= stop % batch_size
        for start in range(0, stop, batch_size):
            yield indices[start:start + batch_size]

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, sampler={type(self.sampler).__name__}, "
                f"drop_last={self.drop_last})")


def _tensor_source(dataset):
    """Return ``(tensors, indices)`` when ``dataset`` reads rows of tensors, else None.

    ``indices`` maps the dataset's positions to rows of the tensors (None for the identity),
    so a Subset of a TensorDataset, or a Subset of a Subset, qualifies too. Tensors that
    require grad are left to the generic path, which records the stacking in the graph.
    """
    positions = None
    while isinstance(dataset, Subset):
        subset_indices = np.asarray(dataset.indices, dtype=np.int64)
        positions = subset_indices if positions is None else subset_indices[positions]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if any(tensor.requires_grad for tensor in dataset.tensors):
        return None
    return dataset.tensors, positions


def _index_tensors(tensors, base_indices, batch_indices):
    rows = batch_indices if base_indices is None else base_indices[batch_indices]
    return [Tensor._wrap(tensor.data[rows]) for tensor in tensors]
