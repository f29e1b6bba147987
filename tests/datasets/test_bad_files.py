"""Data files that must be refused in one line: devices, FIFOs, files over the size limit,
empty or 0-d arrays, non-finite values, IDX headers that overflow; and validation's cheap
file checks, which read at most a few KiB."""

import gzip
import os
import signal
import struct

import numpy as np
import pytest

from engines.datasets import DatasetError, files, load_csv, load_idx, load_numpy
from graph.validate import validate
from plugins import default_registry
from tests.datasets.test_data_nodes import data_graph
from tests.datasets.test_files import write_idx

LOADERS = {"csv": load_csv, "numpy": load_numpy, "idx": load_idx}
PEEKS = {"csv": files.peek_csv, "numpy": files.peek_numpy, "idx": files.peek_idx}


@pytest.fixture
def alarm():
    """Fail (instead of hanging) if a call blocks for more than 5 s."""
    def fail(*_):
        raise TimeoutError("blocked reading a special file")
    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_dev_zero_is_refused_at_once(kind, alarm):
    for call in (LOADERS[kind], PEEKS[kind]):
        with pytest.raises(DatasetError, match=r"^/dev/zero is not a regular file"):
            call("/dev/zero")


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_fifo_is_refused_without_blocking(kind, tmp_path, alarm):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    for call in (LOADERS[kind], PEEKS[kind]):
        with pytest.raises(DatasetError, match=r"pipe.csv is not a regular file"):
            call(fifo)


def test_size_limit_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("1,2\n" * 100)  # 400 bytes
    assert load_csv(path)[0].shape == (100, 2)
    monkeypatch.setenv("DENDRITE_MAX_DATA_BYTES", "300")
    for call in (load_csv, files.peek_csv):
        with pytest.raises(DatasetError, match=r"big.csv is 400 bytes, over the 300 bytes limit"
                                               r" .*DENDRITE_MAX_DATA_BYTES"):
            call(path)
    monkeypatch.setenv("DENDRITE_MAX_DATA_BYTES", "lots")
    with pytest.raises(DatasetError, match=r"DENDRITE_MAX_DATA_BYTES='lots' is not a positive"):
        load_csv(path)
    monkeypatch.delenv("DENDRITE_MAX_DATA_BYTES")
    assert files.max_data_bytes() == 4 << 30


def test_gzip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    raw = bytes([0, 0, 8, 1]) + struct.pack(">I", 5000) + bytes(5000)
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip.compress(raw))
    assert load_idx(path).shape == (5000,)
    monkeypatch.setenv("DENDRITE_MAX_DATA_BYTES", "1000")
    with pytest.raises(DatasetError, match=r"decompresses to more than 1000 bytes"):
        load_idx(path)


@pytest.mark.parametrize("array, pattern", [
    (np.array(3.0), r"zero.npy: the array is a single number \(0-d\)"),
    (np.zeros((0, 4)), r"zero.npy: the array has no rows \(shape \(0, 4\)\)"),
])
def test_0d_and_0_row_npy_are_named(tmp_path, array, pattern):
    path = tmp_path / "zero.npy"
    np.save(path, array)
    for call in (load_numpy, files.peek_numpy):
        with pytest.raises(DatasetError, match=pattern):
            call(path)


def test_0_row_idx_is_named(tmp_path):
    path = write_idx(tmp_path / "none.idx", np.zeros((0, 28, 28), np.uint8))
    for call in (load_idx, files.peek_idx):
        with pytest.raises(DatasetError, match=r"none.idx holds no items .*\(0, 28, 28\)"):
            call(path)


def test_idx_header_that_overflows_is_invalid_not_extra_bytes(tmp_path):
    # (2^32-1)^3 * 8 bytes wraps to a small number in int64 arithmetic
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", *(2**32 - 1,) * 3) + bytes(16))
    for call in (load_idx, files.peek_idx):
        with pytest.raises(DatasetError, match=r"huge.idx has an invalid or truncated header"):
            call(path)


@pytest.mark.parametrize("bad, index", [(np.nan, (2, 1)), (np.inf, (0, 0)), (-np.inf, (3, 2))])
def test_non_finite_npy_values_name_file_and_first_index(tmp_path, bad, index):
    array = np.ones((4, 3), np.float32)
    array[index] = bad
    array[3, 2] = bad  # a later one: the first is named
    np.save(tmp_path / "a.npy", array)
    np.savez(tmp_path / "b.npz", x=np.ones((4, 3)), y=array)
    with pytest.raises(DatasetError, match=rf"a.npy: the array .*not finite .*{index}"
                                           .replace("(", r"\(").replace(")", r"\)")):
        load_numpy(tmp_path / "a.npy")
    with pytest.raises(DatasetError, match=r"b.npz: array 'y' .*not finite"):
        load_numpy(tmp_path / "b.npz")


def test_peeks_read_only_a_few_kib(tmp_path, monkeypatch):
    """A 1 GB (sparse) IDX and .npy pass the checks; every read asks for <= PEEK_BYTES."""
    idx = tmp_path / "big.idx"
    with open(idx, "wb") as handle:
        handle.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 1000, 1000, 1000))
        handle.truncate(16 + 10**9)
    npy = tmp_path / "big.npy"
    np.save(npy, np.zeros((1000, 2)))
    header = npy.read_bytes()[:128]
    assert header.startswith(b"\x93NUMPY") and b"(1000, 2)" in header
    npy.write_bytes(header.replace(b"(1000, 2)", b"(10000000,20)"))
    with open(npy, "r+b") as handle:
        handle.truncate(128 + 8 * 2 * 10**8)
    reads = []
    real = files._read_bytes
    monkeypatch.setattr(files, "_read_bytes",
                        lambda path, limit=None: reads.append(limit) or real(path, limit))
    files.peek_idx(idx)
    files.peek_numpy(npy)
    assert reads and all(limit is not None and limit <= files.PEEK_BYTES for limit in reads)


def test_validate_reports_what_a_run_would_refuse(tmp_path):
    registry = default_registry()
    good = tmp_path / "good.npy"
    np.save(good, np.ones((8, 3), np.float32))
    graph = data_graph("core.numpy_file", {"path": str(good), "targets": "2"}, 1)
    assert [p for p in validate(graph, registry) if p.severity == "error"] == []
    for name, array in (("scalar.npy", np.array(1.0)), ("empty.npy", np.zeros((0, 3))),
                        ("words.npy", np.array(["a", "b"]))):
        np.save(tmp_path / name, array)
        graph.set_param("data", "path", str(tmp_path / name))
        errors = [p for p in validate(graph, registry) if p.severity == "error"]
        assert len(errors) == 1 and errors[0].node_id == "data", errors
        assert errors[0].message.startswith(f"NumPy file 'data': {name}")
    graph.set_param("data", "path", "/dev/zero")
    errors = [p for p in validate(graph, registry) if p.severity == "error"]
    assert [e.message for e in errors] == ["NumPy file 'data': /dev/zero is not a regular file "
                                           "(a device, pipe or socket); choose a data file."]


def test_validate_checks_idx_labels_and_csv(tmp_path):
    registry = default_registry()
    images = write_idx(tmp_path / "img.idx", np.zeros((4, 2, 2), np.uint8))
    labels = tmp_path / "lab.idx"
    labels.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 4) + bytes(3))  # one short
    graph = data_graph("core.idx_file", {"path": str(images), "labels_path": str(labels),
                                         "one_hot": False}, 1)
    errors = [p.message for p in validate(graph, registry) if p.severity == "error"]
    assert errors == ["IDX files 'data': lab.idx is truncated: its header declares shape (4,) "
                      "(4 data bytes) but only 3 follow."]
    csv = tmp_path / "t.csv"
    csv.write_bytes(b"\xff\xfe\x00binary")
    graph = data_graph("core.csv_file", {"path": str(csv)}, 1)
    errors = [p.message for p in validate(graph, registry) if p.severity == "error"]
    assert errors == ["CSV file 'data': t.csv is not UTF-8 text (byte 0); is it really a CSV "
                      "file?"]


def test_multi_member_gzip_reads_every_member(tmp_path):
    raw = bytes([0, 0, 8, 1]) + struct.pack(">I", 6) + bytes(range(6))
    path = tmp_path / "two.idx.gz"
    path.write_bytes(gzip.compress(raw[:5]) + gzip.compress(raw[5:]))  # as `cat a.gz b.gz`
    assert load_idx(path).tolist() == list(range(6))
