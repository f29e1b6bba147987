"""Loaders for users' data files: CSV, NumPy .npy/.npz and MNIST's IDX format (optionally .gz).

Every problem raises DatasetError whose message names the file and what is wrong with it
(the line and column for CSV cells), so nodes can show it as it is.

Only regular files are read (never a device such as /dev/zero, a FIFO or a socket), and none
larger than `max_data_bytes()`: 4 GiB unless the environment variable DENDRITE_MAX_DATA_BYTES
says otherwise (also the limit on a .gz file's decompressed size). `peek_*` check a file the
way validation does: its kind, size and header, reading at most a few KiB.
"""

from __future__ import annotations

import csv
import io
import math
import os
import stat
import zipfile
import zlib

import numpy as np


class DatasetError(ValueError):
    """A data file cannot be used; the message names the file and the problem."""


MAX_BYTES_VARIABLE = "DENDRITE_MAX_DATA_BYTES"
DEFAULT_MAX_BYTES = 4 << 30
PEEK_BYTES = 4096  # what validation reads of a file at most (an IDX or .npy header)


def _name(path) -> str:
    return os.path.basename(os.fspath(path)) or os.fspath(path)


def max_data_bytes() -> int:
    """The largest data file read: DENDRITE_MAX_DATA_BYTES when set, else 4 GiB."""
    raw = os.environ.get(MAX_BYTES_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise DatasetError(f"{MAX_BYTES_VARIABLE}={raw!r} is not a positive number of bytes.")
    return value


def _size_text(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"


def _too_large(path, size) -> DatasetError:
    limit = max_data_bytes()
    return DatasetError(f"{path} is {_size_text(size)}, over the {_size_text(limit)} limit "
                        f"for data files; set {MAX_BYTES_VARIABLE} to allow more.")


def check_file(path) -> int:
    """Refuse a path that is not a regular data file within the size limit; its size."""
    path = os.fspath(path)
    if not path:
        raise DatasetError("No file chosen; set the node's path.")
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DatasetError(f"{path}: no such file.") from None
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatasetError(f"{path} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError(f"{path} is not a regular file (a device, pipe or socket); "
                           "choose a data file.")
    if info.st_size > max_data_bytes():
        raise _too_large(path, info.st_size)
    return info.st_size


def _read_bytes(path, limit: int | None = None) -> bytes:
    """The file's bytes (its first `limit` bytes when given), after check_file."""
    check_file(path)
    path = os.fspath(path)
    cap = max_data_bytes()
    try:
        # O_NONBLOCK: a path swapped for a FIFO after the check must not hang the open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise DatasetError(f"{path} is not a regular file (a device, pipe or "
                                   "socket); choose a data file.")
            # read(n) allocates n bytes first: ask for what the file holds, not the limit
            if limit is not None:
                return handle.read(min(limit, info.st_size + 1))
            parts = [handle.read(info.st_size + 1)]
            total = len(parts[0])
            while total > info.st_size and total <= cap:  # it grew since: read on in chunks
                part = handle.read(1 << 20)
                if not part:
                    break
                parts.append(part)
                total += len(part)
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if total > cap:
        raise _too_large(path, total)
    return b"".join(parts) if len(parts) > 1 else parts[0]


# -- CSV -------------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _lines(path) -> list:
    raw = _read_bytes(path)
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{_name(path)} is not UTF-8 text (byte {exc.start}); "
                           "is it really a CSV file?") from None


def _guess_delimiter(line: str) -> str:
    return max(",;\t", key=line.count) if any(d in line for d in ",;\t") else " "


def _cells(line: str, delimiter: str) -> list:
    if delimiter == " ":
        return line.split()
    return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]


def _parse_fast(lines: list, delimiter: str, width: int):
    """NumPy's C parser for the common, clean case; None when anything looks wrong."""
    try:
        data = np.loadtxt(lines, delimiter=None if delimiter == " " else delimiter,
                          dtype=np.float64, ndmin=2, comments=None, quotechar='"')
    except ValueError:
        return None
    return data if data.shape == (len(lines), width) else None


def _parse_slow(path, body: list, delimiter: str, columns: list, has_header: bool,
                first_line: int) -> np.ndarray:
    """Cell by cell, so the first ragged row or non-number is named with its line."""
    name, width, rows = _name(path), len(columns), []
    for number, line in body:
        row = _cells(line, delimiter)
        if len(row) != width:
            raise DatasetError(f"{name} line {number} has {len(row)} cells; line {first_line} "
                               f"has {width}. Every row needs the same number of columns.")
        for column, cell in enumerate(row):
            if not _is_number(cell):
                what = f"column {column + 1} ({columns[column]!r})" if has_header \
                    else f"column {column + 1}"
                shown = repr(cell) if cell else "an empty cell"
                raise DatasetError(f"{name} line {number}, {what}: {shown} is not a number.")
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def resolve_columns(path, spec, columns: list) -> list:
    """Column indexes from names, indexes (negative count from the end) or a comma list."""
    if spec is None or spec == "" or spec == []:
        return []
    items = spec.split(",") if isinstance(spec, str) else (
        list(spec) if isinstance(spec, (list, tuple)) else [spec])
    found = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        if isinstance(item, str) and item in columns:
            index = columns.index(item)
        elif isinstance(item, int) or (isinstance(item, str) and item.lstrip("-").isdigit()):
            index = int(item)
            if not -len(columns) <= index < len(columns):
                raise DatasetError(f"{_name(path)} has {len(columns)} columns; target column "
                                   f"{index} does not exist.")
            index %= len(columns)
        else:
            raise DatasetError(f"{_name(path)} has no column {item!r}; its columns are "
                               f"{', '.join(columns)}.")
        if index not in found:
            found.append(index)
    return found


def load_csv(path, targets=None, header: str = "auto", delimiter: str | None = None):
    """Read a numeric CSV: returns (x float32 (n, k), y float32 (n, t) or None, column names).

    targets: column names or indexes (a comma-separated string, an int or a list) that become
    y; the other columns become x. header: "auto" (a first row with any non-number is a
    header), "yes" or "no". The delimiter (, ; tab or spaces) is guessed when not given.
    """
    name = _name(path)
    numbered = [(number, line) for number, line in enumerate(_lines(path), 1) if line.strip()]
    if not numbered:
        raise DatasetError(f"{name} is empty.")
    first_line, first_text = numbered[0]
    delimiter = delimiter or _guess_delimiter(first_text)
    first = _cells(first_text, delimiter)
    has_header = header == "yes" or (header == "auto" and not all(map(_is_number, first)))
    columns = first if has_header else [str(i) for i in range(len(first))]
    body = numbered[1:] if has_header else numbered
    if not body:
        raise DatasetError(f"{name} has a header but no data rows.")
    width = len(columns)
    data = _parse_fast([line for _, line in body], delimiter, width)
    if data is None:
        data = _parse_slow(path, body, delimiter, columns, has_header, first_line)
    if not np.isfinite(data).all():
        number, column = np.argwhere(~np.isfinite(data))[0]
        raise DatasetError(f"{name} line {body[number][0]}, column {column + 1}: "
                           "the value is not finite (nan or inf).")
    target_index = resolve_columns(path, targets, columns)
    feature_index = [i for i in range(width) if i not in target_index]
    if not feature_index:
        raise DatasetError(f"{name}: every column is a target; leave some as inputs.")
    x = data[:, feature_index].astype(np.float32)
    y = data[:, target_index].astype(np.float32) if target_index else None
    return x, y, columns


# -- NumPy -----------------------------------------------------------------------------------
def _numeric(path, array, what: str) -> np.ndarray:
    """array if it is numeric, has a row axis, has rows and is finite; else DatasetError."""
    name = _name(path)
    if array.dtype.kind not in "biuf":
        raise DatasetError(f"{name}: {what} holds {array.dtype} values; "
                           "Dendrite reads numeric arrays only.")
    if array.ndim == 0:
        raise DatasetError(f"{name}: {what} is a single number (0-d); Dendrite needs an "
                           "array with one row per sample.")
    if len(array) == 0:
        raise DatasetError(f"{name}: {what} has no rows (shape {array.shape}).")
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DatasetError(f"{name}: {what} holds a value that is not finite (nan or inf) "
                               f"at index {index}.")
    return array


def load_numpy(path, x_key: str = "x", y_key: str | None = "y"):
    """Read .npy (one array: x) or .npz (arrays x_key and y_key): returns (x, y or None).

    Loaded with allow_pickle=False: files holding Python objects are refused. In an .npz
    without the key 'x', a file with a single array uses that array; an empty y_key means
    no targets, a y_key the file lacks is an error.
    """
    name = _name(path)
    check_file(path)  # uniform messages for missing, special, huge or unreadable files
    try:
        loaded = np.load(os.fspath(path), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DatasetError(f"{name} holds Python objects (an object array); Dendrite "
                               "loads numeric arrays only. Save it with a numeric dtype.") from None
        raise DatasetError(f"{name} is not a NumPy .npy/.npz file ({exc}).") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{name} is not a readable NumPy file ({exc}).") from None
    if isinstance(loaded, np.ndarray):
        return _numeric(path, loaded, "the array"), None
    with loaded:
        keys = list(loaded.files)
        unpacked = sum(info.file_size for info in loaded.zip.infolist())
        if unpacked > max_data_bytes():
            raise DatasetError(f"{path} unpacks to {_size_text(unpacked)}, over the "
                               f"{_size_text(max_data_bytes())} limit for data files; set "
                               f"{MAX_BYTES_VARIABLE} to allow more.")

        def get(key):
            try:
                return _numeric(path, loaded[key], f"array {key!r}")
            except ValueError as exc:
                if isinstance(exc, DatasetError):
                    raise
                raise DatasetError(f"{name}: array {key!r} holds Python objects; Dendrite "
                                   "loads numeric arrays only.") from None

        if x_key not in keys:
            if x_key == "x" and len(keys) == 1:
                x_key = keys[0]
            else:
                raise DatasetError(f"{name} has no array {x_key!r}; it holds "
                                   f"{', '.join(keys) or 'nothing'}.")
        x = get(x_key)
        if not y_key:
            return x, None
        if y_key not in keys:
            raise DatasetError(f"{name} has no array {y_key!r}; it holds {', '.join(keys)}.")
        y = get(y_key)
    if len(x) != len(y):
        raise DatasetError(f"{name}: {x_key!r} has {len(x)} rows but {y_key!r} has {len(y)}.")
    return x, y


# -- IDX (MNIST) -----------------------------------------------------------------------------
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path) -> np.ndarray:
    """Read an IDX file (MNIST's format; gzip-compressed files too) as an array in its dtype."""
    name = _name(path)
    raw = _gunzip(path, _read_bytes(path))
    dims, dtype, header = _idx_header(path, raw)
    _idx_size(path, dims, dtype, len(raw) - header)
    if dims[0] == 0:
        raise DatasetError(f"{name} holds no items (its header declares shape {dims}).")
    data = np.frombuffer(raw, dtype, count=math.prod(dims), offset=header).reshape(dims)
    data = data.astype(dtype.newbyteorder("="))
    if data.dtype.kind == "f":
        _numeric(path, data, "the IDX data")
    return data


def _gunzip(path, raw: bytes) -> bytes:
    """raw, decompressed when it is gzip (every member), refused past the size limit.

    zlib with max_length grows its output as it goes; GzipFile.read(n) would allocate n
    bytes (the whole limit) up front.
    """
    if raw[:2] != b"\x1f\x8b":
        return raw
    cap = max_data_bytes()
    parts, total, rest = [], 0, raw
    while rest:
        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = stream.decompress(rest, cap + 1 - total)
        except zlib.error as exc:
            raise DatasetError(f"{_name(path)} is a damaged or truncated gzip file ({exc}).") \
                from None
        parts.append(part)
        total += len(part)
        if total > cap:
            raise DatasetError(f"{path} decompresses to more than {_size_text(cap)}, the "
                               f"limit for data files; set {MAX_BYTES_VARIABLE} to allow more.")
        if not stream.eof:
            raise DatasetError(f"{_name(path)} is a damaged or truncated gzip file (it ends "
                               "inside the compressed stream).")
        rest = stream.unused_data
    return b"".join(parts)


def _idx_size(path, dims: tuple, dtype, actual: int) -> None:
    """Refuse data whose size is not what the header declares (actual bytes follow it)."""
    name = _name(path)
    expected = math.prod(dims) * dtype.itemsize  # Python ints: a huge header cannot wrap
    if expected > max(actual, max_data_bytes()):
        raise DatasetError(f"{name} has an invalid or truncated header: it declares shape "
                           f"{dims}, {_size_text(expected)} of data, but {actual} bytes follow.")
    if actual < expected:
        raise DatasetError(f"{name} is truncated: its header declares shape {dims} "
                           f"({expected} data bytes) but only {actual} follow.")
    if actual > expected:
        raise DatasetError(f"{name} has {actual - expected} bytes more than its header "
                           f"declares for shape {dims}.")


def _idx_header(path, raw: bytes):
    """(dims, dtype, header bytes) from the start of an IDX file; DatasetError if bad."""
    name = _name(path)
    if len(raw) < 4:
        raise DatasetError(f"{name} is too short to be an IDX file ({len(raw)} bytes).")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DatasetError(f"{name} is not an IDX file: its magic number is "
                           f"0x{raw[:4].hex()}; expected 0x0000TTDD (TT a type code "
                           "08/09/0B/0C/0D/0E, DD the number of dimensions).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetError(f"{name}: the IDX header declares {ndim} dimensions but the file "
                           "ends before their sizes (an invalid or truncated header).")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    return dims, np.dtype(IDX_TYPES[raw[2]]), header


def load_idx_pair(images_path, labels_path=None):
    """Images and (optional) labels IDX files: returns (x (n, ...), labels (n,) or None)."""
    x = load_idx(images_path)
    if not labels_path:
        return x, None
    labels = load_idx(labels_path)
    if len(labels) != len(x):
        raise DatasetError(f"{_name(images_path)} holds {len(x)} items but "
                           f"{_name(labels_path)} holds {len(labels)} labels.")
    return x, labels


# -- cheap checks for validation -------------------------------------------------------------
def peek_csv(path) -> None:
    """Check a CSV file as validation does (kind, size, the first few KiB): DatasetError."""
    raw = _read_bytes(path, PEEK_BYTES)
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3:  # not a character cut at the end of the peek
            raise DatasetError(f"{_name(path)} is not UTF-8 text (byte {exc.start}); "
                               "is it really a CSV file?") from None
    if not raw.strip():
        raise DatasetError(f"{_name(path)} is empty.")


def _npy_header(path, handle, what: str) -> None:
    """Read a .npy header from handle and refuse what load_numpy would refuse."""
    name = _name(path)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(handle)
        else:
            shape, _, dtype = fmt._read_array_header(handle, version)
    except (ValueError, OSError, EOFError) as exc:
        raise DatasetError(f"{name} is not a readable NumPy file ({exc}).") from None
    if dtype.hasobject:
        raise DatasetError(f"{name}: {what} holds Python objects; Dendrite loads numeric "
                           "arrays only.")
    if dtype.kind not in "biuf":
        raise DatasetError(f"{name}: {what} holds {dtype} values; Dendrite reads numeric "
                           "arrays only.")
    if shape == ():
        raise DatasetError(f"{name}: {what} is a single number (0-d); Dendrite needs an "
                           "array with one row per sample.")
    if shape[0] == 0:
        raise DatasetError(f"{name}: {what} has no rows (shape {shape}).")


def peek_numpy(path, x_key: str = "x", y_key: str | None = "y") -> None:
    """Check a .npy/.npz as validation does: headers only, a few KiB read. DatasetError."""
    name = _name(path)
    head = _read_bytes(path, PEEK_BYTES)
    if head.startswith(b"\x93NUMPY"):
        _npy_header(path, io.BytesIO(head), "the array")
        return
    if not head.startswith(b"PK"):
        raise DatasetError(f"{name} is not a NumPy .npy/.npz file (it starts with "
                           f"{head[:6]!r}).")
    try:
        with zipfile.ZipFile(os.fspath(path)) as archive:
            keys = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
            if x_key not in keys:
                if x_key == "x" and len(keys) == 1:
                    x_key = keys[0]
                else:
                    raise DatasetError(f"{name} has no array {x_key!r}; it holds "
                                       f"{', '.join(keys) or 'nothing'}.")
            if y_key and y_key not in keys:
                raise DatasetError(f"{name} has no array {y_key!r}; it holds "
                                   f"{', '.join(keys)}.")
            for key in (x_key, y_key) if y_key else (x_key,):
                with archive.open(f"{key}.npy") as member:
                    _npy_header(path, io.BytesIO(member.read(PEEK_BYTES)), f"array {key!r}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DatasetError(f"{name} is not a readable NumPy file ({exc}).") from None


def peek_idx(path) -> None:
    """Check an IDX file as validation does: its header against its size. DatasetError."""
    name = _name(path)
    size = check_file(path)
    head = _read_bytes(path, PEEK_BYTES)
    compressed = head[:2] == b"\x1f\x8b"
    if compressed:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, PEEK_BYTES)
        except zlib.error as exc:
            raise DatasetError(f"{name} is a damaged gzip file ({exc}).") from None
    dims, dtype, header = _idx_header(path, head)
    if dims[0] == 0:
        raise DatasetError(f"{name} holds no items (its header declares shape {dims}).")
    if not compressed:
        _idx_size(path, dims, dtype, size - header)
