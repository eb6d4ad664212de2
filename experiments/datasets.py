"""Data sources, the seeded stratified split, and standardisation.

Every source returns a feature matrix and integer class labels 0..k-1. ``make_splits`` then cuts
train, validation and test sets with the class proportions kept in each, and standardises all
three with the mean and scale of the training set alone, so nothing about validation or test data
leaks into training.
"""

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from experiments.errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[1]

SKLEARN_LOADERS = {
    "breast_cancer": sklearn_datasets.load_breast_cancer,
    "iris": sklearn_datasets.load_iris,
    "digits": sklearn_datasets.load_digits,
}
FILE_SOURCES = ("csv", "tutorial_pickle")


@dataclass
class Arrays:
    """A whole data set before the split: features (n, d) float64, labels (n,) int64 in 0..k-1."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    # A path or URL recorded as the data set's source in MLflow.
    source: str


@dataclass
class Splits:
    """Standardised train/validation/test arrays of one data set."""

    name: str
    arrays: Arrays
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scaler: StandardScaler

    @property
    def n_features(self):
        return self.x_train.shape[1]

    @property
    def n_classes(self):
        return len(self.arrays.class_names)


def launch_dir():
    """Return the folder the command was launched in, also inside a job that Ray runs.

    Ray starts each job in its copy of the repository, so the job's own working directory is
    not where the user ran the command; Hydra records that folder as ``hydra.runtime.cwd``.
    """
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.cwd)
    return Path.cwd()


def resolve_path(path):
    """Find ``path`` in the launch directory, else in the repository, else raise DataError."""
    candidate = launch_dir() / Path(path).expanduser()
    if candidate.is_dir():
        raise DataError(f"data.path={str(path)!r} is a folder; point data.path at a data file")
    if candidate.exists():
        return candidate.resolve()
    if Path(path).expanduser().is_absolute():
        raise DataError(f"data file {str(path)!r} not found; check data.path")

    in_repo = REPO_ROOT / path
    if in_repo.is_file():
        return in_repo
    raise DataError(f"data file {str(path)!r} not found in the launch directory {launch_dir()} "
                    f"nor in the repository {REPO_ROOT}; check data.path")


def check_data_config(data_cfg):
    """Raise DataError if ``data_cfg`` lacks a value its source needs, before any file is read."""
    source = data_cfg.source
    if source not in SKLEARN_LOADERS and source not in FILE_SOURCES:
        known = ", ".join([*SKLEARN_LOADERS, *FILE_SOURCES])
        raise DataError(f"unknown data.source {source!r}; use one of: {known}")
    if source in FILE_SOURCES and data_cfg.path is None:
        raise DataError(f"data.source={source} reads a file; set data.path=FILE")
    if source == "csv" and data_cfg.target is None:
        raise DataError("data.source=csv needs the label column; set data.target=COLUMN")


def load_arrays(data_cfg):
    """Load the whole data set that ``data_cfg.source`` names."""
    check_data_config(data_cfg)
    source = data_cfg.source
    if source in SKLEARN_LOADERS:
        bunch = SKLEARN_LOADERS[source]()
        return Arrays(
            features=np.asarray(bunch.data, dtype=np.float64),
            labels=np.asarray(bunch.target, dtype=np.int64),
            feature_names=[str(name) for name in bunch.feature_names],
            class_names=[str(name) for name in bunch.target_names],
            source=data_cfg.url or f"sklearn.datasets.load_{source}",
        )

    path = resolve_path(data_cfg.path)
    if source == "csv":
        features = None if data_cfg.features is None else list(data_cfg.features)
        return read_csv(path, data_cfg.target, features)
    return read_tutorial_pickle(path)


def read_csv_frame(path):
    """Read a CSV file into a frame, raising DataError for a file pandas cannot parse."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path} is empty; a CSV file needs a header row and one "
                        f"row per sample") from None
    except pd.errors.ParserError as error:
        detail = str(error).strip().splitlines()[-1].removeprefix("Error tokenizing data. ")
        raise DataError(f"data file {path} is not a valid CSV file ({detail}); give every "
                        f"row as many fields as the header") from None
    except UnicodeDecodeError as error:
        raise DataError(f"data file {path} is not UTF-8 text (byte {error.start}); save it as "
                        f"a UTF-8 CSV file") from None
    except OSError as error:
        raise DataError(f"cannot read data file {path}: {error.strerror or error}; check its "
                        f"permissions") from None


def class_labels(values, where):
    """Map label values to 0..k-1 in sorted order; return (class names, labels)."""
    values = np.asarray(values)
    if values.dtype.kind == "f" and not np.all(values == np.round(values)):
        example = values[values != np.round(values)][0]
        raise DataError(f"{where} has fractional labels such as {example}; classification "
                        f"needs class labels (integers or names), not a regression target")
    try:
        classes, labels = np.unique(values, return_inverse=True)
    except TypeError:
        kinds = sorted({type(value).__name__ for value in values.tolist()})
        raise DataError(f"{where} mixes label types {kinds}; use one type for all labels, "
                        f"for example integers") from None
    return [str(c) for c in classes], labels.reshape(-1).astype(np.int64)


def read_csv(path, target, features=None):
    """Read a CSV file with a header row, where column ``target`` contains the labels.

    Without ``features``, every other column is a feature. Labels of any type are mapped to
    0..k-1 in sorted order, and their original values become the class names. A file that
    cannot give a numeric feature matrix and labels raises DataError.
    """
    frame = read_csv_frame(path)
    if target not in frame.columns:
        raise DataError(f"target column {target!r} not found in {path}; "
                        f"columns are {list(frame.columns)}")
    if features is None:
        features = [column for column in frame.columns if column != target]
    missing = [column for column in features if column not in frame.columns]
    if missing:
        raise DataError(f"feature columns {missing} not found in {path}; "
                        f"columns are {list(frame.columns)}")
    if not features:
        raise DataError(f"{path} has no feature column besides the target {target!r}")
    if len(frame) == 0:
        raise DataError(f"data file {path} has a header but no data rows; add one row per "
                        f"sample")

    feature_frame = frame[features]
    if feature_frame.isna().any().any() or frame[target].isna().any():
        rows = frame.index[feature_frame.isna().any(axis=1) | frame[target].isna()]
        raise DataError(f"{path} has empty cells in {len(rows)} rows, the first on data row "
                        f"{rows[0] + 1}; fill or drop those rows first")
    not_numeric = [c for c in features if not pd.api.types.is_numeric_dtype(feature_frame[c])
                   or pd.api.types.is_bool_dtype(feature_frame[c])]
    if not_numeric:
        raise DataError(f"feature columns {not_numeric} in {path} are not numeric; "
                        f"encode them or leave them out of data.features")
    feature_values = feature_frame.to_numpy(dtype=np.float64)
    if not np.isfinite(feature_values).all():
        raise DataError(f"{path} has infinite or overflowing feature values; replace them "
                        f"with finite numbers")

    class_names, labels = class_labels(frame[target].to_numpy(), f"target column {target!r} "
                                                                   f"of {path}")
    return Arrays(
        features=feature_values,
        labels=labels,
        feature_names=[str(c) for c in features],
        class_names=class_names,
        source=str(path),
    )


class ForbiddenPickleError(pickle.UnpicklingError):
    """A pickle that names a callable or class outside the allowed builtins."""


class BuiltinsUnpickler(pickle.Unpickler):
    """An unpickler that builds builtin containers and numbers and raises on any other type.

    Pickle runs code by naming a callable (``os.system``, ``builtins.eval``) for the loader to
    look up and call. Lists, tuples, dicts, strings and numbers need no lookup, and the few
    builtins that do (sets, complex numbers) are listed here, so every other name is rejected.
    """

    ALLOWED_NAMES = {"set", "frozenset", "complex", "int", "float", "bool"}
    # Pickle protocols 0-2 spell the builtins module as Python 2 did.
    BUILTINS_MODULES = {"builtins", "__builtin__"}

    def find_class(self, module, name):
        if module in self.BUILTINS_MODULES and name in self.ALLOWED_NAMES:
            return super().find_class(module, name)
        raise ForbiddenPickleError(
            f"pickle refers to {module}.{name}, but only builtin containers and numbers are "
            f"allowed; convert the file to CSV or to plain lists, tuples and numbers"
        )


def load_builtins_pickle(raw):
    """Unpickle ``raw`` bytes that may contain only builtin containers and numbers."""
    return BuiltinsUnpickler(io.BytesIO(raw)).load()


def read_tutorial_pickle(path):
    """Read points stored as a pickle of ``[((x1, x2, ...), label), ...]``.

    A file that is not such a pickle, or that names anything but builtin containers and numbers,
    raises DataError.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise DataError(f"cannot read data file {path}: {error.strerror or error}; check its "
                        f"permissions") from None
    try:
        records = load_builtins_pickle(raw)
    except ForbiddenPickleError as error:
        raise DataError(f"data file {path} is not a plain-data pickle: {error}") from None
    except Exception as error:
        # A damaged or foreign file makes the unpickler fail in many ways (EOFError,
        # ValueError, KeyError, MemoryError, ...); each means the same to the user.
        raise DataError(f"data file {path} is not a readable pickle ({type(error).__name__}: "
                        f"{error}); write it with pickle.dump of a list of ((x1, x2), label) "
                        f"pairs") from None
    if not isinstance(records, (list, tuple)) or not records:
        raise DataError(f"{path} must contain a non-empty list of ((x1, x2), label) pairs, "
                        f"not {type(records).__name__}")

    points, raw_labels = [], []
    for index, record in enumerate(records):
        if not (isinstance(record, (list, tuple)) and len(record) == 2
                and isinstance(record[0], (list, tuple)) and len(record[0]) > 0
                and isinstance(record[1], (int, float, str))):
            raise DataError(f"record {index} of {path} is {record!r:.200}; "
                            f"expected ((x1, x2), label)")
        points.append(record[0])
        raw_labels.append(record[1])

    widths = {len(point) for point in points}
    if len(widths) != 1:
        raise DataError(f"points in {path} have different lengths {sorted(widths)}; give every "
                        f"point the same number of coordinates")
    try:
        features = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise DataError(f"points in {path} contain values that are not real numbers; use "
                        f"ints or floats for the coordinates") from None
    if not np.isfinite(features).all():
        raise DataError(f"points in {path} contain NaN or infinite coordinates; replace them "
                        f"with finite numbers")
    class_names, labels = class_labels(np.asarray(raw_labels, dtype=object)
                                       if len({type(label) for label in raw_labels}) > 1
                                       else np.asarray(raw_labels), f"labels of {path}")
    return Arrays(
        features=features,
        labels=labels,
        feature_names=[f"x{i + 1}" for i in range(features.shape[1])],
        class_names=class_names,
        source=str(path),
    )


def make_splits(name, arrays, val_size, test_size, seed):
    """Split stratified by class with ``seed``, then standardise with training statistics."""
    for key, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 < size < 1:
            raise DataError(f"data.{key}={size} must lie strictly between 0 and 1")
    if val_size + test_size >= 1:
        raise DataError(f"data.val_size + data.test_size = {val_size + test_size} leaves no "
                        f"training data; make their sum less than 1")
    if len(arrays.class_names) < 2:
        raise DataError(f"data set {name!r} has a single class {arrays.class_names}; "
                        f"classification needs at least two")

    try:
        x_rest, x_test, y_rest, y_test = train_test_split(
            arrays.features, arrays.labels, test_size=test_size, stratify=arrays.labels,
            random_state=seed,
        )
        # val_size is a share of the whole set, so rescale it to the share of what remains.
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=val_size / (1 - test_size), stratify=y_rest,
            random_state=seed,
        )
    except ValueError as error:
        # scikit-learn rejects a stratified split with fewer samples of a class, or in a split,
        # than it needs; its message names the counts.
        counts = np.bincount(arrays.labels, minlength=len(arrays.class_names)).tolist()
        raise DataError(f"data set {name!r} of {len(arrays.labels)} samples (per class "
                        f"{counts}) is too small for a stratified train/val/test split with "
                        f"data.val_size={val_size} and data.test_size={test_size} ({error}); "
                        f"add samples or raise the split sizes") from None

    scaler = StandardScaler().fit(x_train)
    return Splits(
        name=name,
        arrays=arrays,
        x_train=scaler.transform(x_train),
        y_train=y_train,
        x_val=scaler.transform(x_val),
        y_val=y_val,
        x_test=scaler.transform(x_test),
        y_test=y_test,
        scaler=scaler,
    )


def load_splits(data_cfg, seed):
    """Load the data set that ``data_cfg`` describes and split it with ``seed``."""
    arrays = load_arrays(data_cfg)
    return make_splits(data_cfg.name, arrays, data_cfg.val_size, data_cfg.test_size, seed)
