"""Built-in datasets (generated or shipped, never downloaded) and loaders for users' files.

All functions return NumPy arrays on the host: (x float32 (n, features), labels or targets).
"""

from engines.datasets.digits import digits
from engines.datasets.files import (
    DatasetError,
    check_file,
    load_csv,
    load_idx,
    load_idx_pair,
    load_numpy,
    max_data_bytes,
    peek_csv,
    peek_idx,
    peek_numpy,
    resolve_columns,
)
from engines.datasets.letters import (
    ALPHABET,
    add_pixel_noise,
    available_fonts,
    bipolar_glyphs,
    letters,
)
from engines.datasets.toy import LOGIC_OPS, blobs, logic, pca3d, sine, two_spirals, xor

__all__ = [
    "ALPHABET", "LOGIC_OPS", "DatasetError", "add_pixel_noise", "available_fonts",
    "bipolar_glyphs", "blobs", "check_file", "digits", "letters", "load_csv", "load_idx",
    "load_idx_pair", "load_numpy", "logic", "max_data_bytes", "pca3d", "peek_csv", "peek_idx",
    "peek_numpy", "resolve_columns", "sine", "two_spirals", "xor",
]
