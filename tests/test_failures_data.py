"""Bad data files: each one raises the harness's DataError with a message naming the file."""

import pickle

import numpy as np
import pytest

pytest.importorskip("pandas", reason="the harness tests need the [harness] extra")
pytest.importorskip("sklearn", reason="the harness tests need the [harness] extra")
hypothesis = pytest.importorskip("hypothesis", reason="the property test needs hypothesis")

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from experiments.datasets import (  # noqa: E402
    make_splits,
    read_csv,
    read_tutorial_pickle,
    resolve_path,
)
from experiments.errors import DataError, InputError  # noqa: E402

# Each case: file text, target column, and a piece of the expected message.
BAD_CSV = {
    "empty file": ("", "label", "is empty"),
    "ragged rows": ("x,label\n1,0\n2,1,7\n3,0\n", "label", "as many fields as the header"),
    "header only": ("x,y,label\n", "label", "no data rows"),
    "missing value": ("x,y,label\n1,2,0\n3,,1\n", "label", "empty cells in 1 rows"),
    "missing label": ("x,label\n1,0\n2,\n", "label", "empty cells"),
    "text feature": ("x,y,label\n1,a,0\n2,b,1\n", "label", "['y'] in"),
    "missing target": ("x,y,label\n1,2,0\n", "class", "target column 'class' not found"),
    "fractional labels": ("x,label\n1,0.5\n2,1.5\n", "label", "fractional labels such as 0.5"),
    "infinite feature": ("x,label\n1,0\ninf,1\n", "label", "infinite"),
    "no feature": ("label\n0\n1\n", "label", "no feature column"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_named_error(tmp_path, case):
    text, target, expected = BAD_CSV[case]
    path = tmp_path / "points.csv"
    path.write_text(text)

    with pytest.raises(DataError) as error:
        read_csv(path, target)
    message = str(error.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_non_utf8_csv_named(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(b"x,label\n\xff\xfe,0\n")
    with pytest.raises(DataError, match="is not UTF-8 text"):
        read_csv(path, "label")


def test_single_class_rejected():
    features = np.arange(20, dtype=np.float64).reshape(10, 2)
    with pytest.raises(DataError, match=r"single class \['a'\]"):
        make_splits("one", make_arrays(features, np.zeros(10, np.int64), ["a"]), 0.2, 0.2, 0)


def test_too_few_rows_for_split():
    # Three rows cannot give each of train, val and test a sample of both classes.
    arrays = make_arrays(np.array([[0.0], [1.0], [2.0]]), np.array([0, 1, 0]), ["a", "b"])
    with pytest.raises(DataError) as error:
        make_splits("tiny", arrays, 0.2, 0.2, 0)
    message = str(error.value)
    assert "data set 'tiny' of 3 samples (per class [2, 1])" in message
    assert "add samples" in message


def make_arrays(features, labels, class_names):
    from experiments.datasets import Arrays

    return Arrays(features, labels, [f"x{i}" for i in range(features.shape[1])], class_names,
                  "memory")


def test_garbage_pickle_named(tmp_path):
    path = tmp_path / "points.pkl"
    path.write_bytes(b"this is not a pickle at all")
    with pytest.raises(DataError) as error:
        read_tutorial_pickle(path)
    assert str(path) in str(error.value)
    assert "not a readable pickle" in str(error.value)


def test_truncated_pickle_named(tmp_path):
    path = tmp_path / "points.pkl"
    path.write_bytes(pickle.dumps([((0.0, 1.0), 1)] * 5)[:-7])
    with pytest.raises(DataError, match="not a readable pickle"):
        read_tutorial_pickle(path)


@pytest.mark.parametrize("records, expected", [
    ([((0.0, "a"), 1), ((1.0, 2.0), 0)], "not real numbers"),
    ([((0.0, float("nan")), 1), ((1.0, 2.0), 0)], "NaN or infinite"),
    ([((0.0, 1.0), [1]), ((1.0, 2.0), 0)], "record 0"),
    ([((0.0, 1.0), 1), ((1.0, 2.0), "a")], "mixes label types"),
    ({"points": []}, "non-empty list"),
])
def test_bad_pickle_records_named(tmp_path, records, expected):
    path = tmp_path / "points.pkl"
    path.write_bytes(pickle.dumps(records))
    with pytest.raises(DataError, match=expected):
        read_tutorial_pickle(path)


def test_absolute_missing_path_named_once(tmp_path):
    missing = tmp_path / "none.csv"
    with pytest.raises(DataError) as error:
        resolve_path(str(missing))
    message = str(error.value)
    assert message == f"data file {str(missing)!r} not found; check data.path"


def test_folder_as_path_rejected(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        resolve_path(str(tmp_path))


def test_data_error_is_input_error():
    assert issubclass(DataError, InputError)
    assert issubclass(InputError, ValueError)


# ---- property-based: random malformed CSV files -------------------------------------------

NUMBER = st.one_of(st.integers(-1000, 1000),
                   st.floats(-1e6, 1e6, allow_nan=False).map(lambda value: round(value, 3)))
# Cells that break a CSV file in the ways users' files break: empty, text, quotes, separators,
# special float spellings, stray whitespace and non-ASCII text.
BAD_CELL = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e999", "abc", '"', '"a,b"', " ", "1,2",
                     "\t", "ä", "0x10", "1.2.3", "True", "#"]),
    st.text(max_size=6),
)


@st.composite
def csv_files(draw):
    """Return (text, clean table or None): a CSV of numbers, perhaps damaged afterwards."""
    n_features = draw(st.integers(1, 3))
    # Few rows test the empty and too-small cases; 15 or more are enough for a 3-way split.
    n_rows = draw(st.one_of(st.integers(0, 4), st.integers(15, 30)))
    header = [f"x{i}" for i in range(n_features)] + ["label"]
    rows = [[draw(NUMBER) for _ in range(n_features)] + [draw(st.integers(0, 1))]
            for _ in range(n_rows)]
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]

    damaged = False
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cell", "extra field", "drop field", "drop header",
                                     "blank line", "raw line"]))
        index = draw(st.integers(0, len(lines) - 1))
        fields = lines[index].split(",")
        if kind == "cell":
            fields[draw(st.integers(0, len(fields) - 1))] = draw(BAD_CELL)
            lines[index] = ",".join(fields)
        elif kind == "extra field":
            lines[index] = lines[index] + "," + draw(BAD_CELL)
        elif kind == "drop field":
            lines[index] = ",".join(fields[:-1])
        elif kind == "drop header":
            lines = lines[1:] or [""]
        elif kind == "blank line":
            lines.insert(index, "")
        else:
            lines.insert(index, draw(st.text(max_size=20)))
        damaged = True
    return "\n".join(lines) + "\n", None if damaged else (header, rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_random_csv_loads_or_data_error(tmp_path_factory, case):
    text, clean = case
    path = tmp_path_factory.mktemp("csv") / "points.csv"
    path.write_text(text)

    try:
        arrays = read_csv(path, "label")
        splits = make_splits("random", arrays, 0.2, 0.2, seed=0)
    except DataError as error:
        assert "\n" not in str(error)
        event("DataError")
        return

    event("loaded clean file" if clean is not None else "loaded damaged file")
    # A file that loaded gives finite features and labels 0..k-1 that every split can use.
    assert arrays.features.dtype == np.float64
    assert np.isfinite(arrays.features).all()
    assert arrays.labels.min() == 0
    assert arrays.labels.max() == len(arrays.class_names) - 1
    assert len(splits.y_train) + len(splits.y_val) + len(splits.y_test) == len(arrays.labels)
    if clean is not None:
        header, rows = clean
        expected = np.array([row[:-1] for row in rows], dtype=np.float64)
        np.testing.assert_array_equal(arrays.features, expected)
        assert arrays.feature_names == header[:-1]
        expected_labels = np.unique([row[-1] for row in rows], return_inverse=True)[1]
        np.testing.assert_array_equal(arrays.labels, expected_labels)
