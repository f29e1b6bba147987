"""Users' data files: CSV, .npy/.npz and IDX round trips, and every error naming its file."""

import gzip
import struct

import numpy as np
import pytest

from engines.datasets import DatasetError, load_csv, load_idx, load_idx_pair, load_numpy

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def write_idx(path, array, compress=False):
    """A tiny IDX writer written from the format's description (magic, sizes, big-endian)."""
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    code = IDX_CODES[np.dtype(big.dtype)]
    raw = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += big.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


# -- CSV -------------------------------------------------------------------------------------
def test_csv_round_trip_with_header_and_named_target(tmp_path):
    data = np.array([[1.5, 2, 0], [3, -4e-3, 1], [5, 6, 2]], dtype=np.float32)
    path = tmp_path / "table.csv"
    path.write_text("a,b,label\n" + "\n".join(",".join(map(str, row)) for row in data) + "\n")
    x, y, columns = load_csv(path, targets="label")
    assert columns == ["a", "b", "label"]
    np.testing.assert_array_equal(x, data[:, :2])
    np.testing.assert_array_equal(y, data[:, 2:])


def test_csv_without_header_semicolons_and_index_targets(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("1;2;3;4\n5;6;7;8\n\n9;10;11;12\n")
    x, y, _ = load_csv(path, targets="0,-1")
    np.testing.assert_array_equal(x, [[2, 3], [6, 7], [10, 11]])
    np.testing.assert_array_equal(y, [[1, 4], [5, 8], [9, 12]])
    x, y, _ = load_csv(path, targets=None)
    assert x.shape == (3, 4) and y is None


@pytest.mark.parametrize("text, targets, pattern", [
    ("a,b\n1,2\n3,x\n", None, r"bad\.csv line 3, column 2 \('b'\): 'x' is not a number"),
    ("a,b\n1,2\n3,\n", None, r"bad\.csv line 3, column 2 \('b'\): an empty cell"),
    ("1,2\n3,4,5\n", None, r"bad\.csv line 2 has 3 cells; line 1 has 2"),
    ("a,b\n1,2\n", "c", r"bad\.csv has no column 'c'; its columns are a, b"),
    ("a,b\n1,2\n", "5", r"bad\.csv has 2 columns; target column 5"),
    ("", None, r"bad\.csv is empty"),
    ("a,b\n", None, r"bad\.csv has a header but no data rows"),
    ("a,b\n1,nan\n", None, r"bad\.csv line 2, column 2: the value is not finite"),
])
def test_csv_errors_name_file_and_place(tmp_path, text, targets, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=pattern):
        load_csv(path, targets=targets)


def test_missing_file_and_binary_csv(tmp_path):
    with pytest.raises(DatasetError, match="nowhere.csv: no such file"):
        load_csv(tmp_path / "nowhere.csv")
    path = tmp_path / "image.csv"
    path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DatasetError, match="image.csv is not UTF-8"):
        load_csv(path)
    assert issubclass(DatasetError, ValueError)


# -- NumPy -----------------------------------------------------------------------------------
def test_npy_and_npz_round_trip(tmp_path):
    x = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    y = np.arange(5)
    np.save(tmp_path / "x.npy", x)
    loaded, none = load_numpy(tmp_path / "x.npy")
    np.testing.assert_array_equal(loaded, x)
    assert none is None
    np.savez(tmp_path / "xy.npz", inputs=x, labels=y)
    lx, ly = load_numpy(tmp_path / "xy.npz", "inputs", "labels")
    np.testing.assert_array_equal(lx, x)
    np.testing.assert_array_equal(ly, y)
    np.savez_compressed(tmp_path / "one.npz", images=x)
    lx, ly = load_numpy(tmp_path / "one.npz", "x", "")
    np.testing.assert_array_equal(lx, x)
    assert ly is None


def test_numpy_errors_name_the_file(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object),
            allow_pickle=True)
    with pytest.raises(DatasetError, match="objects.npy holds Python objects"):
        load_numpy(tmp_path / "objects.npy")
    np.savez(tmp_path / "mixed.npz", x=np.zeros((2, 2)), y=np.array([[1], "a"], dtype=object))
    with pytest.raises(DatasetError, match="mixed.npz: array 'y' holds Python objects"):
        load_numpy(tmp_path / "mixed.npz")
    np.savez(tmp_path / "keys.npz", a=np.zeros(3), b=np.zeros(3))
    with pytest.raises(DatasetError, match="keys.npz has no array 'x'; it holds a, b"):
        load_numpy(tmp_path / "keys.npz")
    np.savez(tmp_path / "rows.npz", x=np.zeros((3, 2)), y=np.zeros(4))
    with pytest.raises(DatasetError, match="rows.npz: 'x' has 3 rows but 'y' has 4"):
        load_numpy(tmp_path / "rows.npz")
    np.save(tmp_path / "words.npy", np.array(["a", "b"]))
    with pytest.raises(DatasetError, match="words.npy: the array holds <U1"):
        load_numpy(tmp_path / "words.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DatasetError, match="junk.npy"):
        load_numpy(tmp_path / "junk.npy")


# -- IDX -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4).reshape(2, 3, 4) - 5).astype(dtype)
    path = write_idx(tmp_path / "a.idx", array, compress)
    loaded = load_idx(path)
    assert loaded.shape == (2, 3, 4) and loaded.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(loaded, array)


def test_idx_pair_and_mismatched_counts(tmp_path):
    images = write_idx(tmp_path / "images-idx3-ubyte", np.zeros((4, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "labels-idx1-ubyte.gz", np.array([1, 2, 3, 4], np.uint8), True)
    x, y = load_idx_pair(images, labels)
    assert x.shape == (4, 2, 2) and y.tolist() == [1, 2, 3, 4]
    short = write_idx(tmp_path / "short-labels", np.array([1, 2, 3], np.uint8))
    with pytest.raises(DatasetError, match="images-idx3-ubyte holds 4 items but short-labels "
                                           "holds 3 labels"):
        load_idx_pair(images, short)


def test_idx_errors_name_the_file(tmp_path):
    good = bytes([0, 0, 8, 2]) + struct.pack(">2I", 2, 3) + bytes(6)
    cases = {
        "truncated.idx": (good[:-1], r"truncated.idx is truncated: .*\(2, 3\)"),
        "long.idx": (good + b"\0", r"long.idx has 1 bytes more"),
        "magic.idx": (b"\x08\x03" + good[2:], r"magic.idx is not an IDX file: its magic"),
        "code.idx": (bytes([0, 0, 7, 2]) + good[4:], r"code.idx is not an IDX file"),
        "tiny.idx": (b"\0\0", r"tiny.idx is too short"),
        "dims.idx": (bytes([0, 0, 8, 3, 0, 0]), r"dims.idx: the IDX header declares 3"),
        "broken.gz": (gzip.compress(good)[:-6], r"broken.gz is a damaged or truncated gzip"),
    }
    for name, (raw, pattern) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(DatasetError, match=pattern):
            load_idx(tmp_path / name)
