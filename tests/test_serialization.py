"""mytorch.save and mytorch.load: exact round trips, and rejection of foreign or damaged files."""

import collections
import io
import json
import math
import os
import pickle
import shlex
import zipfile

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mytorch
from mytorch.serialization import InvalidSaveFileError


def round_trip(obj):
    buffer = io.BytesIO()
    mytorch.save(obj, buffer)
    buffer.seek(0)
    return mytorch.load(buffer)


def assert_same_tensor(loaded, original):
    assert isinstance(loaded, mytorch.Tensor)
    assert loaded.dtype == original.dtype
    assert loaded.shape == original.shape
    assert loaded.requires_grad == original.requires_grad
    np.testing.assert_array_equal(loaded.data, original.data)


def save_bytes(obj):
    buffer = io.BytesIO()
    mytorch.save(obj, buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [mytorch.float16, mytorch.float32, mytorch.float64,
                                   mytorch.int64, mytorch.int32, mytorch.int16, mytorch.int8,
                                   mytorch.uint8, mytorch.bool])
def test_tensor_dtypes_round_trip(dtype):
    values = np.arange(-3, 9).reshape(3, 4) % (2 if dtype == mytorch.bool else 200)
    original = mytorch.tensor(values, dtype=dtype)

    assert_same_tensor(round_trip(original), original)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (2, 3, 4)])
def test_tensor_shapes_round_trip(shape):
    original = mytorch.from_numpy(np.random.default_rng(0).standard_normal(shape))

    assert_same_tensor(round_trip(original), original)


def test_requires_grad_round_trip():
    original = mytorch.randn(3, 2, dtype=mytorch.float64, requires_grad=True)

    loaded = round_trip(original)

    assert_same_tensor(loaded, original)
    assert loaded.is_leaf
    assert loaded.grad is None


def test_nested_structure_round_trip():
    weight = mytorch.randn(4, 3)
    original = {
        "zeta": [1, 2.5, "text", None, True, False],
        3: {"inner": (weight, mytorch.tensor([1, 2, 3]))},
        "alpha": (),
        -1: [],
        "numbers": {"big": 2**70, "negative": -17, "tiny": 1e-300, "minus_zero": -0.0},
        "unicode": "ñ→λ",
        "dtype": mytorch.float64,
    }

    loaded = round_trip(original)

    assert list(loaded) == ["zeta", 3, "alpha", -1, "numbers", "unicode", "dtype"]
    assert loaded["zeta"] == [1, 2.5, "text", None, True, False]
    assert [type(v) for v in loaded["zeta"]] == [int, float, str, type(None), bool, bool]
    assert isinstance(loaded[3]["inner"], tuple)
    assert_same_tensor(loaded[3]["inner"][0], weight)
    assert_same_tensor(loaded[3]["inner"][1], mytorch.tensor([1, 2, 3]))
    assert loaded["alpha"] == ()
    assert loaded[-1] == []
    assert loaded["numbers"] == {"big": 2**70, "negative": -17, "tiny": 1e-300, "minus_zero": 0.0}
    assert math.copysign(1.0, loaded["numbers"]["minus_zero"]) == -1.0
    assert loaded["unicode"] == "ñ→λ"
    assert loaded["dtype"] is mytorch.float64


def test_ordered_dict_round_trip():
    original = collections.OrderedDict([("b", 1), ("a", mytorch.zeros(2))])

    loaded = round_trip({"state": original, "plain": {"x": 1}})

    assert type(loaded["state"]) is collections.OrderedDict
    assert list(loaded["state"]) == ["b", "a"]
    assert type(loaded["plain"]) is dict


def test_special_floats_round_trip():
    loaded = round_trip([math.inf, -math.inf, math.nan, 0.1 + 0.2])

    assert loaded[0] == math.inf
    assert loaded[1] == -math.inf
    assert math.isnan(loaded[2])
    assert loaded[3] == 0.1 + 0.2


def test_numpy_values_round_trip():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    original = {"array": np.arange(5, dtype=np.int32), "fortran": fortran,
                "scalar": np.float32(1.25), "integer": np.int64(7)}

    loaded = round_trip(original)

    assert loaded["array"].dtype == np.int32
    np.testing.assert_array_equal(loaded["array"], np.arange(5))
    np.testing.assert_array_equal(loaded["fortran"], fortran)
    assert type(loaded["scalar"]) is np.float32
    assert loaded["scalar"] == np.float32(1.25)
    assert type(loaded["integer"]) is np.int64
    assert loaded["integer"] == 7


def test_shared_tensor_loads_once():
    shared = mytorch.ones(3)

    loaded = round_trip({"a": shared, "b": [shared], "c": mytorch.ones(3)})

    assert loaded["a"] is loaded["b"][0]
    assert loaded["a"] is not loaded["c"]


def test_loaded_tensor_is_writable_copy():
    original = mytorch.zeros(3)
    loaded = round_trip(original)

    loaded.data += 1.0

    np.testing.assert_array_equal(loaded.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(original.data, [0.0, 0.0, 0.0])


def test_parameter_like_subclass_loads_as_tensor():
    class Parameter(mytorch.Tensor):
        pass

    parameter = Parameter([1.0, 2.0], requires_grad=True)

    loaded = round_trip(parameter)

    assert type(loaded) is mytorch.Tensor
    assert_same_tensor(loaded, parameter)


# --------------------------------------------------------------------------- paths and files


def test_str_path(tmp_path):
    path = str(tmp_path / "state.pt")
    mytorch.save({"x": mytorch.arange(4)}, path)

    assert mytorch.load(path)["x"].tolist() == [0, 1, 2, 3]


def test_pathlib_path(tmp_path):
    path = tmp_path / "state.pt"
    mytorch.save([1, 2], path)

    assert mytorch.load(path) == [1, 2]


def test_open_file_objects(tmp_path):
    path = tmp_path / "state.pt"
    with open(path, "wb") as file:
        mytorch.save({"k": 1.5}, file)
    with open(path, "rb") as file:
        assert mytorch.load(file) == {"k": 1.5}


def test_overwrite_keeps_no_temporary(tmp_path):
    path = tmp_path / "state.pt"
    mytorch.save(1, path)
    mytorch.save(2, path)

    assert mytorch.load(path) == 2
    assert os.listdir(tmp_path) == ["state.pt"]


def test_failed_save_keeps_old_file(tmp_path):
    path = tmp_path / "state.pt"
    mytorch.save({"step": 1}, path)

    with pytest.raises(TypeError):
        mytorch.save({"step": 2, "bad": object()}, path)

    assert mytorch.load(path) == {"step": 1}
    assert os.listdir(tmp_path) == ["state.pt"]


def test_map_location_cpu_accepted():
    data = save_bytes([3])

    assert mytorch.load(io.BytesIO(data), map_location="cpu") == [3]
    assert mytorch.load(io.BytesIO(data), weights_only=False) == [3]


def test_map_location_cuda_raises():
    with pytest.raises(ValueError, match="map_location='cuda'"):
        mytorch.load(io.BytesIO(save_bytes([3])), map_location="cuda")


# --------------------------------------------------------------------------- unsupported objects


@pytest.mark.parametrize("value, type_name", [({1, 2}, "set"), (object(), "object"),
                                              (b"bytes", "bytes"), (1 + 2j, "complex")])
def test_unsupported_type_raises(value, type_name):
    with pytest.raises(TypeError, match=f"object of type {type_name} "):
        save_bytes({"a": [value]})


def test_unsupported_type_names_location():
    with pytest.raises(TypeError, match=r"at the saved object\['a'\]\[1\]"):
        save_bytes({"a": [1, {2}]})


@pytest.mark.parametrize("key", [(1, 2), 1.5, True, None])
def test_unsupported_key_raises(key):
    with pytest.raises(TypeError, match="dict keys of type str or int"):
        save_bytes({key: 1})


def test_object_array_raises():
    with pytest.raises(TypeError, match="dtype object"):
        save_bytes(np.array([None, 1], dtype=object))


# ---------------------------------------------------------------- hostile and damaged files


class RunsShellCommand:
    """Unpickling this object runs a shell command, the classic pickle exploit."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def write_pickle_exploit(directory):
    marker = directory / "exploit-ran"
    payload = pickle.dumps(RunsShellCommand(f"echo ran > {shlex.quote(str(marker))}"))
    return payload, marker


def test_pickle_exploit_does_not_run(tmp_path):
    payload, marker = write_pickle_exploit(tmp_path)
    path = tmp_path / "exploit.pt"
    path.write_bytes(payload)

    with pytest.raises(InvalidSaveFileError, match="not a valid mytorch save file") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)
    assert not marker.exists()


def test_pickle_exploit_payload_is_live(tmp_path):
    # Shows that the file of the test above would run its command if anything unpickled it.
    payload, marker = write_pickle_exploit(tmp_path)

    pickle.loads(payload)

    assert marker.read_text().strip() == "ran"


def test_pickle_inside_zip_does_not_run(tmp_path):
    payload, marker = write_pickle_exploit(tmp_path)
    path = tmp_path / "torch-style.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)

    with pytest.raises(InvalidSaveFileError, match="has no manifest.json") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)
    assert not marker.exists()


def test_random_bytes_raise(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(np.random.default_rng(0).bytes(4096))

    with pytest.raises(InvalidSaveFileError, match="not a zip archive") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


def test_text_file_raises(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("weights: [1, 2, 3]\n")

    with pytest.raises(InvalidSaveFileError, match="not a valid mytorch save file") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


def test_empty_file_raises(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")

    with pytest.raises(InvalidSaveFileError, match=str(path)):
        mytorch.load(path)


@pytest.mark.parametrize("keep_fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file_raises(tmp_path, keep_fraction):
    data = save_bytes({"w": mytorch.randn(20, 20), "b": mytorch.zeros(20)})
    path = tmp_path / "cut.pt"
    path.write_bytes(data[:int(len(data) * keep_fraction)])

    with pytest.raises(InvalidSaveFileError, match="not a valid mytorch save file") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


def test_damaged_array_data_raises(tmp_path):
    data = bytearray(save_bytes({"w": mytorch.zeros(50)}))
    # The zip stores members uncompressed, so the tensor's zero bytes appear literally.
    position = data.index(bytes(40))
    data[position + 10] ^= 0xFF
    path = tmp_path / "flipped.pt"
    path.write_bytes(bytes(data))

    with pytest.raises(InvalidSaveFileError, match="damaged") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


def write_archive(path, manifest, members=()):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest if isinstance(manifest, str)
                         else json.dumps(manifest))
        for name, payload in members:
            archive.writestr(name, payload)


@pytest.mark.parametrize("manifest, message", [
    ("{not json", "not valid JSON"),
    ({"format": "other", "version": 1, "root": {"type": "none"}}, "does not declare the format"),
    ({"format": "mytorch.save", "version": 99, "root": {"type": "none"}}, "version 99"),
    ({"format": "mytorch.save", "version": 1}, "no root object"),
    ({"format": "mytorch.save", "version": 1, "root": {"type": "pickle"}}, "unknown node type"),
    ({"format": "mytorch.save", "version": 1, "root": {"type": "tensor", "array": 0}},
     "arrays/0.npy is missing"),
    ({"format": "mytorch.save", "version": 1, "root": {"type": "int", "value": "1"}},
     "type 'int' contains '1'"),
    ({"format": "mytorch.save", "version": 1, "root": {"type": "dtype", "name": "Tensor"}},
     "unknown dtype name"),
])
def test_bad_manifest_raises(tmp_path, manifest, message):
    path = tmp_path / "bad.pt"
    write_archive(path, manifest)

    with pytest.raises(InvalidSaveFileError, match=message) as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_object_array_member_raises(tmp_path):
    manifest = {"format": "mytorch.save", "version": 1, "root": {"type": "ndarray", "array": 0}}
    path = tmp_path / "objects.pt"
    write_archive(path, manifest, [("arrays/0.npy", npy_bytes(np.array([None], dtype=object)))])

    with pytest.raises(InvalidSaveFileError, match="unsupported dtype object"):
        mytorch.load(path)


def test_oversized_array_header_raises(tmp_path):
    # The header claims 10^12 elements while the member contains 8 data bytes; loading must
    # reject it before allocating anything of that size.
    member = npy_bytes(np.zeros(1)).replace(b"(1,)", b"(1000000000000,)")
    manifest = {"format": "mytorch.save", "version": 1, "root": {"type": "ndarray", "array": 0}}
    path = tmp_path / "huge.pt"
    write_archive(path, manifest, [("arrays/0.npy", member)])

    with pytest.raises(InvalidSaveFileError, match=r"declares shape \(1000000000000,\)"):
        mytorch.load(path)


def test_file_object_error_names_file(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(b"\x80\x04not a zip")

    with open(path, "rb") as file, pytest.raises(InvalidSaveFileError) as info:
        mytorch.load(file)

    assert str(path) in str(info.value)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mytorch.load(tmp_path / "absent.pt")


def test_torch_save_file_raises(tmp_path):
    torch = pytest.importorskip("torch", reason="torch writes the foreign file for this check")
    path = tmp_path / "from-torch.pt"
    torch.save({"w": torch.zeros(3)}, path)

    with pytest.raises(InvalidSaveFileError, match="no manifest.json") as info:
        mytorch.load(path)

    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- generated structures


def assert_identical(loaded, original):
    """Assert equal types, key order and values, with NaN equal to NaN and -0.0 kept."""
    assert type(loaded) is type(original)
    if isinstance(original, mytorch.Tensor):
        assert_same_tensor(loaded, original)
    elif isinstance(original, dict):
        assert list(loaded) == list(original)
        for key in original:
            assert_identical(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original)
        for left, right in zip(loaded, original, strict=True):
            assert_identical(left, right)
    elif isinstance(original, float):
        assert (math.isnan(loaded) and math.isnan(original)) or (
            loaded == original and math.copysign(1, loaded) == math.copysign(1, original))
    else:
        assert loaded == original


def tensors():
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
    dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
    arrays = dtypes.flatmap(lambda dtype: hnp.arrays(dtype, shapes))
    return st.builds(mytorch.from_numpy, arrays)


leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                   tensors())
structures = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(structures)
def test_generated_structures_round_trip(original):
    assert_identical(round_trip(original), original)
