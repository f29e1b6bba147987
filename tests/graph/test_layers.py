"""The arrows of the architecture: graph/ imports neither numpy nor Qt; engines/ and plugins/
never import Qt. Checked in a fresh interpreter so other tests' imports do not hide a leak."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import importlib, pkgutil, sys
for package in {packages!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
print(" ".join(sorted(name for name in {forbidden!r} if name in sys.modules)))
"""


def leaked(packages, forbidden):
    code = IMPORT_ALL.format(packages=packages, forbidden=forbidden)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_graph_imports_neither_numpy_nor_qt():
    assert leaked(["graph"], ["numpy", "PySide6", "pyqtgraph"]) == []


def test_engines_and_plugins_never_import_qt():
    assert leaked(["graph", "engines", "plugins"], ["PySide6", "pyqtgraph"]) == []
