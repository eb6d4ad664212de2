"""DataLoader, samplers and default_collate: batch sizes, shuffling, seeding and the fast path."""

import numpy as np
import pytest

import mytorch
from mytorch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
)


class RangeDataset(Dataset):
    """Sample i is the pair (tensor([i, 10 * i]) in float64, i): a plain map-style dataset."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(index)
        return mytorch.tensor([float(index), 10.0 * index], dtype=mytorch.float64), index


class PlainTensorDataset(Dataset):
    """The same samples as TensorDataset, but a different class, so the loader collates them."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)


def make_tensors(size=10):
    features = mytorch.from_numpy(np.arange(size * 3, dtype=np.float32).reshape(size, 3))
    labels = mytorch.arange(size)
    return features, labels


def labels_of(loader):
    return [batch[1].tolist() for batch in loader]


def seeded(seed):
    return mytorch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- batch sizes


def test_batch_sizes_partial_last():
    loader = DataLoader(RangeDataset(10), batch_size=4)

    assert len(loader) == 3
    assert [len(indices) for indices in labels_of(loader)] == [4, 4, 2]


def test_batch_sizes_drop_last():
    loader = DataLoader(RangeDataset(10), batch_size=4, drop_last=True)

    assert len(loader) == 2
    assert [len(indices) for indices in labels_of(loader)] == [4, 4]


@pytest.mark.parametrize("size, batch_size", [(1, 1), (7, 7), (7, 8), (12, 5), (12, 3)])
def test_len_matches_iteration(size, batch_size):
    for drop_last in (False, True):
        loader = DataLoader(RangeDataset(size), batch_size=batch_size, drop_last=drop_last)
        expected = size // batch_size if drop_last else -(-size // batch_size)

        assert len(loader) == expected
        assert len(list(loader)) == expected


def test_sequential_order_and_values():
    batches = list(DataLoader(RangeDataset(5), batch_size=2))
    features, indices = batches[0]

    assert labels_of(batches) == [[0, 1], [2, 3], [4]]
    assert features.dtype == mytorch.float64
    np.testing.assert_array_equal(features.data, [[0.0, 0.0], [1.0, 10.0]])
    assert indices.dtype == mytorch.int64


def test_batch_size_none_yields_samples():
    loader = DataLoader(RangeDataset(3), batch_size=None)
    samples = list(loader)

    assert len(loader) == 3
    assert [index for _, index in samples] == [0, 1, 2]
    assert samples[2][0].shape == (2,)


# --------------------------------------------------------------------------- shuffling


def test_shuffled_epoch_is_permutation():
    loader = DataLoader(RangeDataset(23), batch_size=5, shuffle=True, generator=seeded(0))

    for _ in range(3):
        order = [i for batch in labels_of(loader) for i in batch]
        assert sorted(order) == list(range(23))


def test_consecutive_epochs_differ():
    loader = DataLoader(RangeDataset(20), batch_size=4, shuffle=True, generator=seeded(1))
    epochs = [labels_of(loader) for _ in range(4)]

    for earlier, later in zip(epochs, epochs[1:], strict=False):
        assert earlier != later


def test_same_seed_repeats_epochs():
    first = DataLoader(RangeDataset(20), batch_size=4, shuffle=True, generator=seeded(7))
    second = DataLoader(RangeDataset(20), batch_size=4, shuffle=True, generator=seeded(7))
    other = DataLoader(RangeDataset(20), batch_size=4, shuffle=True, generator=seeded(8))

    first_epochs = [labels_of(first) for _ in range(3)]
    assert [labels_of(second) for _ in range(3)] == first_epochs
    assert [labels_of(other) for _ in range(3)] != first_epochs


def test_shuffle_uses_default_generator():
    mytorch.manual_seed(123)
    first = [labels_of(DataLoader(RangeDataset(16), batch_size=16, shuffle=True))
             for _ in range(2)]
    mytorch.manual_seed(123)
    second = [labels_of(DataLoader(RangeDataset(16), batch_size=16, shuffle=True))
              for _ in range(2)]

    assert first == second
    assert first[0] != first[1]


def test_iterating_twice_without_shuffle():
    loader = DataLoader(RangeDataset(6), batch_size=4)

    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5]]
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5]]


def test_interleaved_iterators():
    loader = DataLoader(RangeDataset(6), batch_size=2)
    outer = iter(loader)
    first = next(outer)

    assert labels_of(loader) == [[0, 1], [2, 3], [4, 5]]
    assert first[1].tolist() == [0, 1]
    assert next(outer)[1].tolist() == [2, 3]


# ------------------------------------------------------------------ TensorDataset fast path


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_fast_path_matches_collate(shuffle, drop_last):
    features, labels = make_tensors(11)
    fast = DataLoader(TensorDataset(features, labels), batch_size=3, shuffle=shuffle,
                      drop_last=drop_last, generator=seeded(5))
    slow = DataLoader(PlainTensorDataset(features, labels), batch_size=3, shuffle=shuffle,
                      drop_last=drop_last, generator=seeded(5))

    for _ in range(2):
        fast_batches = list(fast)
        slow_batches = list(slow)
        assert len(fast_batches) == len(slow_batches) == len(fast)
        for fast_batch, slow_batch in zip(fast_batches, slow_batches, strict=True):
            assert type(fast_batch) is type(slow_batch)
            for fast_tensor, slow_tensor in zip(fast_batch, slow_batch, strict=True):
                assert fast_tensor.dtype == slow_tensor.dtype
                assert fast_tensor.shape == slow_tensor.shape
                np.testing.assert_array_equal(fast_tensor.data, slow_tensor.data)


def test_fast_path_through_subsets():
    features, labels = make_tensors(12)
    inner = Subset(TensorDataset(features, labels), [11, 9, 7, 5, 3, 1, 0])
    outer = Subset(inner, [6, 0, 2])

    batches = list(DataLoader(outer, batch_size=2))

    assert labels_of(batches) == [[0, 11], [7]]
    np.testing.assert_array_equal(batches[1][0].data, features.data[[7]])


def test_fast_path_copies_rows():
    features, labels = make_tensors(4)
    batch_features, _ = next(iter(DataLoader(TensorDataset(features, labels), batch_size=4)))

    batch_features.data[0, 0] = -1.0

    assert features.data[0, 0] == 0.0


def test_custom_collate_fn_is_used():
    features, labels = make_tensors(5)
    loader = DataLoader(TensorDataset(features, labels), batch_size=2,
                        collate_fn=lambda samples: len(samples))

    assert list(loader) == [2, 2, 1]


def test_requires_grad_batches_keep_graph():
    weights = mytorch.ones(4, 2, requires_grad=True)
    batch, = next(iter(DataLoader(TensorDataset(weights), batch_size=4)))

    batch.sum().backward()

    np.testing.assert_array_equal(weights.grad.data, np.ones((4, 2)))


# --------------------------------------------------------------------------- samplers


def test_sampler_argument_sets_order():
    loader = DataLoader(RangeDataset(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])

    assert labels_of(loader) == [[5, 4], [3, 2], [1, 0]]


def test_batch_sampler_argument():
    batch_sampler = [[0, 2], [4], [1, 3, 5]]
    loader = DataLoader(RangeDataset(6), batch_sampler=batch_sampler)

    assert len(loader) == 3
    assert labels_of(loader) == batch_sampler


def test_sequential_sampler_order():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4


def test_random_sampler_num_samples():
    sampler = RandomSampler(range(4), num_samples=10, generator=seeded(2))
    drawn = list(sampler)

    assert len(sampler) == 10
    assert len(drawn) == 10
    assert sorted(drawn[:4]) == [0, 1, 2, 3]
    assert sorted(drawn[4:8]) == [0, 1, 2, 3]
    assert len(set(drawn[8:])) == 2


def test_random_sampler_replacement():
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=200, generator=seeded(3)))

    assert len(drawn) == 200
    assert set(drawn) == {0, 1, 2}


def test_subset_random_sampler():
    drawn = list(SubsetRandomSampler([10, 20, 30], generator=seeded(4)))

    assert sorted(drawn) == [10, 20, 30]


def test_batch_sampler_groups():
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, drop_last=False)) == 3
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_bad_batch_size_raises(batch_size):
    with pytest.raises(ValueError, match=f"batch_size={batch_size!r}"):
        DataLoader(RangeDataset(4), batch_size=batch_size)


def test_shuffle_with_sampler_raises():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(RangeDataset(4), sampler=[0, 1, 2, 3], shuffle=True)


def test_batch_sampler_with_batch_size_raises():
    with pytest.raises(ValueError, match="batch_size=2"):
        DataLoader(RangeDataset(4), batch_size=2, batch_sampler=[[0, 1]])


@pytest.mark.parametrize("keyword, value", [("drop_last", 1), ("shuffle", "yes"),
                                            ("num_workers", -1)])
def test_bad_flag_raises(keyword, value):
    with pytest.raises(ValueError, match=f"{keyword}={value!r}"):
        DataLoader(RangeDataset(4), **{keyword: value})


def test_drop_last_without_batching_raises():
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(RangeDataset(4), batch_size=None, drop_last=True)


def test_random_sampler_bad_num_samples_raises():
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler(range(4), num_samples=0)


# --------------------------------------------------------------------------- default_collate


def test_collate_numbers():
    floats, ints, flags = default_collate([(1.5, 2, True), (2.5, 3, False)])

    assert floats.dtype == mytorch.float64
    assert floats.tolist() == [1.5, 2.5]
    assert ints.dtype == mytorch.int64
    assert ints.tolist() == [2, 3]
    assert flags.dtype == mytorch.bool
    assert flags.tolist() == [True, False]


def test_collate_numpy_keeps_dtype():
    arrays = default_collate([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)])
    scalars = default_collate([np.float32(1.0), np.float32(2.0)])

    assert arrays.dtype == mytorch.int32
    assert arrays.tolist() == [[1, 2], [3, 4]]
    assert scalars.dtype == mytorch.float32
    assert scalars.tolist() == [1.0, 2.0]


def test_collate_dicts_and_strings():
    batch = default_collate([{"x": 1.0, "name": "a"}, {"x": 2.0, "name": "b"}])

    assert list(batch) == ["x", "name"]
    assert batch["x"].tolist() == [1.0, 2.0]
    assert batch["name"] == ["a", "b"]


def test_collate_tuple_gives_list():
    batch = default_collate([(mytorch.zeros(2), 0), (mytorch.ones(2), 1)])

    assert isinstance(batch, list)
    np.testing.assert_array_equal(batch[0].data, [[0.0, 0.0], [1.0, 1.0]])
    assert batch[1].tolist() == [0, 1]


def test_collate_unequal_lengths_raises():
    with pytest.raises(RuntimeError, match=r"equal size; got sizes \[1, 2\]"):
        default_collate([[1, 2], [3]])


def test_collate_unsupported_type_raises():
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
