"""``save`` and ``load``: write tensors and nested containers to a file that is safe to open.

A save file is a zip archive (uncompressed, like ``np.savez``) with two kinds of members:

- ``manifest.json``: ``{"format": "mytorch.save", "version": 1, "root": <node>}``, where each node
  is a JSON object whose ``"type"`` names the kind of value (``dict``, ``list``, ``tuple``,
  ``tensor``, ``ndarray``, ``int``, ``float``, ...). Dict keys are kept with their type and order.
- ``arrays/<n>.npy``: the data of every tensor and ndarray, in numpy's ``.npy`` format.

Loading parses JSON and reads ``.npy`` files with ``allow_pickle=False``, so unlike a pickle a save
file cannot run code. Any file that is not a well-formed save file raises ``InvalidSaveFileError``.
"""

import collections
import io
import json
import math
import os
import zipfile
import zlib

import numpy as np

from mytorch import _dtype
from mytorch._tensor import Tensor

FORMAT_NAME = "mytorch.save"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


class InvalidSaveFileError(ValueError):
    """A file given to ``mytorch.load`` is not a readable mytorch save file."""


# --------------------------------------------------------------------------- saving


class _Encoder:
    """Turn an object tree into JSON nodes plus a list of arrays.

    A tensor or ndarray that occurs several times is stored once, and ``load`` returns one object
    for all its occurrences, as torch does for shared tensors.
    """

    def __init__(self):
        self.arrays = []
        self._array_ids = {}

    def _store_array(self, owner, array):
        key = id(owner)
        if key not in self._array_ids:
            self._array_ids[key] = (len(self.arrays), owner)  # owner kept alive so ids stay unique
            self.arrays.append(array)
        return self._array_ids[key][0]

    def encode(self, obj, path):
        if obj is None:
            return {"type": "none"}

        if isinstance(obj, Tensor):
            _check_array_dtype(obj.data, path)
            return {"type": "tensor", "array": self._store_array(obj, obj.data),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            _check_array_dtype(obj, path)
            return {"type": "ndarray", "array": self._store_array(obj, obj)}
        if isinstance(obj, np.generic):
            array = np.asarray(obj)
            _check_array_dtype(array, path)
            return {"type": "numpy_scalar", "array": self._store_array(obj, array)}

        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": _encode_float(float(obj))}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}

        if isinstance(obj, dict):
            return self._encode_dict(obj, path)
        if isinstance(obj, (list, tuple)):
            return {"type": "list" if isinstance(obj, list) else "tuple",
                    "items": [self.encode(item, f"{path}[{i}]") for i, item in enumerate(obj)]}

        raise TypeError(f"mytorch.save cannot store an object of type {type(obj).__name__} "
                        f"(at {path}); supported are dict, list, tuple, Tensor, numpy arrays "
                        "and scalars, int, float, str, bool and None")

    def _encode_dict(self, obj, path):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"mytorch.save can store dict keys of type str or int only; "
                                f"got key {key!r} of type {type(key).__name__} at {path}")
            items.append([key, self.encode(value, f"{path}[{key!r}]")])
        # An OrderedDict (what Module.state_dict returns) loads as one, other mappings as dicts.
        return {"type": "dict", "items": items,
                "ordered": isinstance(obj, collections.OrderedDict)}


def _check_array_dtype(array, path):
    if array.dtype.kind not in "biufc":
        raise TypeError(f"mytorch.save cannot store an array of dtype {array.dtype} (at {path}); "
                        "only bool and numeric arrays are supported")


def _encode_float(value):
    # JSON has no NaN or infinity, so those are written as strings and every other float as a
    # number, which Python's json round-trips exactly.
    if math.isfinite(value):
        return value
    return repr(value)


def _write_archive(file, manifest, arrays):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, allow_nan=False))
        for index, array in enumerate(arrays):
            with archive.open(f"arrays/{index}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


def save(obj, f):
    """Save ``obj`` to ``f``: a path (``str`` or ``os.PathLike``) or a writable binary file.

    ``obj`` may nest dicts (with str or int keys), lists and tuples of tensors, ndarrays, numpy
    scalars, mytorch dtypes, ints, floats, strings, bools and None. Tensors come back from
    ``load`` with the same dtype, shape, values and ``requires_grad``; a ``Parameter`` comes
    back as a plain tensor. Writing to a path goes through a temporary file in the same
    directory, so an interrupted save leaves any earlier file at that path intact.

    Raises:
        TypeError: an object, dict key or array dtype that the format cannot store.
    """
    encoder = _Encoder()
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                "root": encoder.encode(obj, "the saved object")}

    if not isinstance(f, (str, os.PathLike)):
        _write_archive(f, manifest, encoder.arrays)
        return

    path = os.fspath(f)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as file:
            _write_archive(file, manifest, encoder.arrays)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# --------------------------------------------------------------------------- loading


class _Decoder:
    def __init__(self, archive, describe):
        self.archive = archive
        self.describe = describe
        self._loaded = {}

    def fail(self, problem):
        raise InvalidSaveFileError(f"{self.describe} is not a valid mytorch save file: {problem}")

    def _array(self, node):
        index = node.get("array")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            self.fail(f"invalid array reference {index!r}")
        if index not in self._loaded:
            name = f"arrays/{index}.npy"
            try:
                raw = self.archive.read(name)
            except KeyError:
                self.fail(f"the member {name} is missing")
            self._loaded[index] = {"array": self._parse_npy(raw, name)}
        return index, self._loaded[index]

    def _parse_npy(self, raw, name):
        """Parse a .npy member, checking its header against its size before allocating."""
        stream = io.BytesIO(raw)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            self.fail(f"the member {name} has the unsupported .npy version {version}")
        if dtype.hasobject or dtype.kind not in "biufc":
            self.fail(f"the member {name} has the unsupported dtype {dtype}")

        count = math.prod(shape)
        offset = stream.tell()
        if len(raw) - offset != count * dtype.itemsize:
            self.fail(f"the member {name} declares shape {shape} of {dtype} but contains "
                      f"{len(raw) - offset} data bytes")
        # frombuffer over bytes is read-only, and tensors must be writable, hence the copy.
        flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).copy()
        if fortran_order:
            return flat.reshape(shape[::-1]).transpose()
        return flat.reshape(shape)

    def _shared(self, node, kind, build):
        index, entry = self._array(node)
        if kind not in entry:
            entry[kind] = build(entry["array"])
        return entry[kind]

    def decode(self, node):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(f"expected a node object, found {node!r:.80}")
        kind = node["type"]

        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                self.fail(f"a node of type {kind!r} contains {value!r:.80}")
            return value
        if kind == "float":
            return self._float(node.get("value"))
        if kind == "tensor":
            return self._shared(node, "tensor", lambda array: self._tensor(array, node))
        if kind == "ndarray":
            return self._shared(node, "ndarray", lambda array: array)
        if kind == "numpy_scalar":
            return self._shared(node, "numpy_scalar", self._numpy_scalar)
        if kind == "dtype":
            return self._dtype(node.get("name"))
        if kind == "dict":
            result = self._dict(node.get("items"))
            return collections.OrderedDict(result) if node.get("ordered") is True else result
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                self.fail(f"a {kind} node has no item list")
            values = [self.decode(item) for item in items]
            return values if kind == "list" else tuple(values)
        self.fail(f"unknown node type {kind!r}")

    def _tensor(self, array, node):
        requires_grad = node.get("requires_grad", False)
        if not isinstance(requires_grad, bool):
            self.fail(f"a tensor node has requires_grad={requires_grad!r}")
        try:
            _dtype.from_numpy_dtype(array.dtype)
        except TypeError:
            self.fail(f"a tensor has the dtype {array.dtype}, which mytorch does not support")
        tensor = Tensor._wrap(array)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor

    def _numpy_scalar(self, array):
        if array.ndim != 0:
            self.fail(f"a numpy scalar node refers to an array of shape {array.shape}")
        return array[()]

    def _float(self, value):
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            return float(value)
        if value in ("nan", "inf", "-inf"):
            return float(value)
        self.fail(f"a node of type 'float' contains {value!r:.80}")

    def _dtype(self, name):
        value = getattr(_dtype, name, None) if isinstance(name, str) else None
        if not isinstance(value, _dtype.dtype):
            self.fail(f"unknown dtype name {name!r:.80}")
        return value

    def _dict(self, items):
        if not isinstance(items, list):
            self.fail("a dict node has no item list")
        result = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                self.fail(f"a dict item is not a [key, value] pair: {item!r:.80}")
            key, value = item
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                self.fail(f"a dict key has the type {type(key).__name__}")
            result[key] = self.decode(value)
        return result


def _describe(f):
    if isinstance(f, (str, os.PathLike)):
        return f"'{os.fspath(f)}'"
    name = getattr(f, "name", None)
    return f"'{name}'" if isinstance(name, str) else f"the file object {f!r}"


def _read_manifest(archive, decoder):
    try:
        raw = archive.read(MANIFEST_NAME)
    except KeyError:
        decoder.fail(f"the archive has no {MANIFEST_NAME} (a torch.save file or another zip?)")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        decoder.fail(f"{MANIFEST_NAME} is not valid JSON ({error})")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        decoder.fail(f"{MANIFEST_NAME} does not declare the format {FORMAT_NAME!r}")
    if manifest.get("version") != FORMAT_VERSION:
        decoder.fail(f"the format version {manifest.get('version')!r} is not supported; "
                     f"this mytorch reads version {FORMAT_VERSION}")
    if "root" not in manifest:
        decoder.fail(f"{MANIFEST_NAME} has no root object")
    return manifest


def _load_archive(file, describe):
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise InvalidSaveFileError(
            f"{describe} is not a valid mytorch save file: it is not a zip archive ({error}). "
            "Files written by torch.save or pickle cannot be read; save them again with "
            "mytorch.save"
        ) from None

    with archive:
        decoder = _Decoder(archive, describe)
        try:
            manifest = _read_manifest(archive, decoder)
            return decoder.decode(manifest["root"])
        except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError) as error:
            if isinstance(error, InvalidSaveFileError):
                raise
            # A damaged member (bad CRC, cut short, not a .npy file) surfaces here.
            raise InvalidSaveFileError(
                f"{describe} is not a valid mytorch save file: a stored array is damaged "
                f"({type(error).__name__}: {error})") from None
        except RecursionError:
            decoder.fail("the structure is nested too deeply")


def load(f, map_location=None, *, weights_only=True, **kwargs):
    """Load an object written by ``save`` from ``f``: a path or a readable, seekable binary file.

    ``map_location`` accepts only the CPU (None, ``"cpu"`` or a ``mytorch.device``), and
    ``weights_only`` is accepted for torch's signature: loading never runs code either way.

    Raises:
        InvalidSaveFileError: ``f`` is not a well-formed mytorch save file (a pickle, a torch.save
            zip, a text file, or a save file that is truncated or damaged).
    """
    if kwargs:
        raise TypeError(f"mytorch.load got unexpected keyword arguments {sorted(kwargs)}; "
                        "the format uses no pickle module, so pickle options do not apply")
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"map_location={map_location!r} is not supported; mytorch tensors "
                         "live on the CPU, so pass None or 'cpu'")

    describe = _describe(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _load_archive(file, describe)
    return _load_archive(f, describe)
