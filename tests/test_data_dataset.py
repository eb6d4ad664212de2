"""Datasets: TensorDataset, Subset, ConcatDataset and random_split."""

import numpy as np
import pytest

import mytorch
from mytorch.utils.data import ConcatDataset, Subset, TensorDataset, random_split


def seeded(seed):
    return mytorch.Generator().manual_seed(seed)


def indices_of(subset):
    return [subset[i] for i in range(len(subset))]


# --------------------------------------------------------------------------- TensorDataset


def test_tensor_dataset_items():
    features = mytorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    labels = mytorch.tensor([0, 1, 0])
    dataset = TensorDataset(features, labels)

    x, y = dataset[1]

    assert len(dataset) == 3
    assert x.tolist() == [3.0, 4.0]
    assert y.item() == 1


def test_tensor_dataset_size_mismatch_raises():
    with pytest.raises(ValueError, match=r"first dimensions are \[3, 2\]"):
        TensorDataset(mytorch.zeros(3, 2), mytorch.zeros(2))


def test_tensor_dataset_rejects_arrays():
    with pytest.raises(TypeError, match="ndarray"):
        TensorDataset(np.zeros(3))


# --------------------------------------------------------------------------- Subset, ConcatDataset


def test_subset_reorders_samples():
    subset = Subset(list(range(10, 20)), [4, 0, 9])

    assert len(subset) == 3
    assert indices_of(subset) == [14, 10, 19]


def test_subset_list_index():
    features = mytorch.arange(10)
    subset = Subset(TensorDataset(features), [9, 8, 7])

    rows, = subset[[0, 2]]

    assert rows.tolist() == [9, 7]


def test_concat_dataset_indexing():
    combined = ConcatDataset([list(range(3)), list(range(10, 12))])

    assert len(combined) == 5
    assert [combined[i] for i in range(5)] == [0, 1, 2, 10, 11]
    assert combined[-1] == 11
    with pytest.raises(IndexError, match="index 5"):
        combined[5]


def test_dataset_addition_concatenates():
    first = TensorDataset(mytorch.arange(2))
    second = TensorDataset(mytorch.arange(3))

    combined = first + second

    assert len(combined) == 5
    assert combined[4][0].item() == 2


# --------------------------------------------------------------------------- random_split


def test_random_split_lengths():
    parts = random_split(range(10), [3, 7], generator=seeded(0))
    members = [indices_of(part) for part in parts]

    assert [len(part) for part in parts] == [3, 7]
    assert sorted(members[0] + members[1]) == list(range(10))


@pytest.mark.parametrize("size, fractions, expected", [
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),
    (11, [0.5, 0.5], [6, 5]),
    (10, [0.25, 0.25, 0.25, 0.25], [3, 3, 2, 2]),
    (100, [0.8, 0.2], [80, 20]),
])
def test_random_split_fractions(size, fractions, expected):
    # The expected lengths are torch 2.13's: floors, then the remainder one by one from the first.
    parts = random_split(range(size), fractions, generator=seeded(1))

    assert [len(part) for part in parts] == expected
    assert sorted(i for part in parts for i in indices_of(part)) == list(range(size))


def test_random_split_same_seed_same_split():
    first = random_split(range(20), [0.5, 0.5], generator=seeded(3))
    second = random_split(range(20), [0.5, 0.5], generator=seeded(3))
    other = random_split(range(20), [0.5, 0.5], generator=seeded(4))

    assert indices_of(first[0]) == indices_of(second[0])
    assert indices_of(first[0]) != indices_of(other[0])


def test_random_split_is_shuffled():
    parts = random_split(range(50), [25, 25], generator=seeded(5))

    assert indices_of(parts[0]) != list(range(25))


def test_random_split_default_generator():
    mytorch.manual_seed(9)
    first = random_split(range(30), [10, 20])
    mytorch.manual_seed(9)
    second = random_split(range(30), [10, 20])

    assert indices_of(first[0]) == indices_of(second[0])


def test_random_split_wrong_sum_raises():
    with pytest.raises(ValueError, match="sum to 9, but the dataset has 10"):
        random_split(range(10), [4, 5])


def test_random_split_bad_fraction_raises():
    with pytest.raises(ValueError, match="fraction 1.5 at index 0"):
        random_split(range(10), [1.5, -0.5])


def test_random_split_negative_length_raises():
    with pytest.raises(ValueError, match="length -2 at index 1"):
        random_split(range(3), [5, -2])


def test_random_split_warns_on_empty_split():
    with pytest.warns(UserWarning, match="index 1 is empty"):
        parts = random_split(range(2), [0.9, 0.1], generator=seeded(0))

    assert [len(part) for part in parts] == [2, 0]
