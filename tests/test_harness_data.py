"""Data sources, splits and readers of the experiment harness, tested in-process."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("sklearn", reason="the harness tests need the [harness] extra")

from hydra import compose, initialize_config_dir  # noqa: E402

from experiments import synthetic  # noqa: E402
from experiments.datasets import (  # noqa: E402
    Arrays,
    load_builtins_pickle,
    load_splits,
    make_splits,
    read_csv,
    read_tutorial_pickle,
)
from experiments.errors import DataError  # noqa: E402
from experiments.pipeline import derive_seeds  # noqa: E402
from experiments.schemas import register_configs  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = REPO_ROOT / "conf"

# name -> (samples, features, classes)
SHIPPED = {
    "breast_cancer": (569, 30, 2),
    "iris": (150, 4, 3),
    "digits": (1797, 64, 10),
    "moons": (500, 2, 2),
    "circles": (500, 2, 2),
    "xor": (500, 2, 2),
    "spirals": (500, 2, 2),
    "blobs": (500, 2, 3),
}


def compose_config(*overrides):
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def write_tutorial_pickle(path, records):
    path.write_bytes(pickle.dumps(records))
    return path


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_data_config_loads(name):
    samples, features, classes = SHIPPED[name]
    cfg = compose_config(f"data={name}")
    splits = load_splits(cfg.data, seed=0)

    assert splits.n_features == features
    assert splits.n_classes == classes
    sizes = [len(splits.y_train), len(splits.y_val), len(splits.y_test)]
    assert sum(sizes) == samples
    # val_size and test_size are 0.2 of the whole set.
    assert abs(sizes[1] - 0.2 * samples) <= 1
    assert abs(sizes[2] - 0.2 * samples) <= 1
    for labels in (splits.y_train, splits.y_val, splits.y_test):
        assert set(np.unique(labels)) == set(range(classes))


def test_csv_data_config_loads(tmp_path):
    path = tmp_path / "points.csv"
    rows = ["a,b,c,kind"] + [f"{i},{i % 7},{i % 3},{'yes' if i % 2 else 'no'}"
                             for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    cfg = compose_config("data=csv", f"data.path={path}", "data.target=kind",
                         "data.features=[a,c]")
    splits = load_splits(cfg.data, seed=0)

    assert splits.n_features == 2
    assert splits.arrays.feature_names == ["a", "c"]
    assert splits.arrays.class_names == ["no", "yes"]
    assert len(splits.y_train) + len(splits.y_val) + len(splits.y_test) == 60


def test_tutorial_pickle_config_loads(tmp_path):
    records = [((float(i), float(-i)), i % 2) for i in range(40)]
    path = write_tutorial_pickle(tmp_path / "trn_datas.pkl", records)
    cfg = compose_config("data=tutorial_pickle", f"data.path={path}")
    splits = load_splits(cfg.data, seed=0)

    assert splits.n_features == 2
    assert splits.n_classes == 2


def test_split_stratified_and_seeded():
    features = np.arange(200, dtype=np.float64).reshape(100, 2)
    labels = np.array([0] * 80 + [1] * 20)
    arrays = Arrays(features, labels, ["x1", "x2"], ["a", "b"], "memory")

    first = make_splits("t", arrays, 0.2, 0.2, seed=3)
    again = make_splits("t", arrays, 0.2, 0.2, seed=3)
    other = make_splits("t", arrays, 0.2, 0.2, seed=4)

    # 20 % of each class in val and in test: 16 + 4 of 80 + 20.
    assert np.bincount(first.y_val).tolist() == [16, 4]
    assert np.bincount(first.y_test).tolist() == [16, 4]
    assert np.bincount(first.y_train).tolist() == [48, 12]
    assert np.array_equal(first.x_train, again.x_train)
    assert not np.array_equal(first.x_train, other.x_train)


def test_standardisation_fitted_on_train_only():
    rng = np.random.default_rng(0)
    features = rng.normal(5.0, 3.0, size=(300, 3))
    labels = np.arange(300) % 2
    splits = make_splits("t", Arrays(features, labels, ["a", "b", "c"], ["0", "1"], "memory"),
                         0.2, 0.2, seed=0)

    np.testing.assert_allclose(splits.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(splits.x_train.std(axis=0), 1.0, atol=1e-12)
    # Validation data is scaled with the training statistics, so its mean is not exactly 0.
    assert np.abs(splits.x_val.mean(axis=0)).max() > 1e-6
    raw_val_mean = splits.scaler.inverse_transform(splits.x_val).mean(axis=0)
    expected = (raw_val_mean - splits.scaler.mean_) / splits.scaler.scale_
    np.testing.assert_allclose(splits.x_val.mean(axis=0), expected, rtol=1e-10)


def test_split_sizes_rejected():
    arrays = Arrays(np.zeros((10, 1)), np.arange(10) % 2, ["x"], ["0", "1"], "memory")
    with pytest.raises(ValueError, match="leaves no training data"):
        make_splits("t", arrays, 0.5, 0.5, seed=0)
    with pytest.raises(ValueError, match=r"data.val_size=0 must lie strictly between 0 and 1"):
        make_splits("t", arrays, 0, 0.2, seed=0)


def test_csv_reader_maps_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,label,y\n1.5,cat,2\n2.5,dog,3\n3.5,cat,4\n")
    arrays = read_csv(path, "label")

    assert arrays.feature_names == ["x", "y"]
    np.testing.assert_array_equal(arrays.features, [[1.5, 2], [2.5, 3], [3.5, 4]])
    np.testing.assert_array_equal(arrays.labels, [0, 1, 0])
    assert arrays.class_names == ["cat", "dog"]


def test_csv_reader_errors(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,name,label\n1,a,0\n2,b,1\n")
    with pytest.raises(ValueError, match=r"target column 'kind' not found .* \['x', 'name'"):
        read_csv(path, "kind")
    with pytest.raises(ValueError, match=r"feature columns \['z'\] not found"):
        read_csv(path, "label", ["x", "z"])
    with pytest.raises(ValueError, match=r"feature columns \['name'\] .* are not numeric"):
        read_csv(path, "label")


def test_shipped_csv_matches_generator(tmp_path):
    synthetic.main(["--out", str(tmp_path)])
    for name in synthetic.GENERATORS:
        assert (tmp_path / f"{name}.csv").read_text() == \
            (REPO_ROOT / "data" / f"{name}.csv").read_text(), name


def test_tutorial_pickle_reader(tmp_path):
    records = [((0.5, -1.0), 1), ((2.0, 3.0), 0), ((-1.5, 0.25), 1)]
    arrays = read_tutorial_pickle(write_tutorial_pickle(tmp_path / "p.pkl", records))

    np.testing.assert_array_equal(arrays.features, [[0.5, -1.0], [2.0, 3.0], [-1.5, 0.25]])
    np.testing.assert_array_equal(arrays.labels, [1, 0, 1])
    assert arrays.feature_names == ["x1", "x2"]


def test_tutorial_pickle_bad_record(tmp_path):
    path = write_tutorial_pickle(tmp_path / "p.pkl", [((0.5, 1.0), 1), (0.5, 1)])
    with pytest.raises(ValueError, match=r"record 1 of .* expected \(\(x1, x2\), label\)"):
        read_tutorial_pickle(path)


def test_builtins_pickle_keeps_containers():
    value = {"a": [1, 2.5, (3, 4j)], "b": {5, 6}, "c": frozenset({7}), "d": True}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert load_builtins_pickle(pickle.dumps(value, protocol=protocol)) == value


class MakeFolder:
    """Unpickling this calls os.mkdir, standing in for any code an attacker would run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


class EvalPayload:
    def __reduce__(self):
        return (eval, ("1 + 1",))


def test_hostile_pickle_rejected(tmp_path):
    target = tmp_path / "created_by_pickle"
    payload = pickle.dumps([((0.0, 1.0), MakeFolder(str(target)))])
    path = tmp_path / "hostile.pkl"
    path.write_bytes(payload)

    with pytest.raises(DataError, match=r"refers to posix\.mkdir|refers to os\.mkdir"):
        read_tutorial_pickle(path)
    assert not target.exists()

    with pytest.raises(pickle.UnpicklingError, match=r"builtins\.eval"):
        load_builtins_pickle(pickle.dumps(EvalPayload()))
    with pytest.raises(pickle.UnpicklingError, match=r"numpy"):
        load_builtins_pickle(pickle.dumps(np.float64(1.0)))


def test_missing_file_reported(tmp_path):
    cfg = compose_config("data=csv", f"data.path={tmp_path / 'none.csv'}", "data.target=y")
    with pytest.raises(DataError, match="none.csv' not found; check data.path"):
        load_splits(cfg.data, seed=0)


def test_relative_path_found_in_repository(tmp_path, monkeypatch):
    # Launching from another folder still finds the shipped data/moons.csv.
    monkeypatch.chdir(tmp_path)
    cfg = compose_config("data=moons")
    assert load_splits(cfg.data, seed=0).n_features == 2


def test_seeds_distinct_and_deterministic():
    seeds = derive_seeds(0)
    assert seeds == derive_seeds(0)
    assert len({seeds.split, seeds.init, seeds.shuffle}) == 3
    assert derive_seeds(1) != seeds
    assert derive_seeds(-1) == derive_seeds(2**64 - 1)
