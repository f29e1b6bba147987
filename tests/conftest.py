"""Test setup: Qt offscreen before any Qt import, the checkout on sys.path, GPU marker."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("DENDRITE_PLUGIN_PATH", str(Path(__file__).parent / "_no_user_plugins"))

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


def _cupy_usable():
    from engines.backend import cupy_backend
    return cupy_backend()[0] is not None


def pytest_collection_modifyitems(config, items):
    if any("gpu" in item.keywords for item in items) and not _cupy_usable():
        skip = pytest.mark.skip(reason="CuPy with a CUDA device is not available here")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def registry():
    """The default registry with every built-in pack loaded; handed to the gradient checker
    as main.py hands it to the engine (engines/ never imports plugins/)."""
    from engines.gradcheck import set_default_registry
    from plugins import default_registry
    registry = default_registry()
    set_default_registry(registry)
    return registry


def pytest_sessionfinish(session, exitstatus):
    """Empty Qt's clipboard before the interpreter exits: with data on it (the canvas copy
    tests), PySide6's offscreen platform segfaults during shutdown, after every test passed."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is not None:
        app.clipboard().clear()


@pytest.fixture(scope="session")
def gpu():
    """The CuPy backend for tests marked gpu; skips where CuPy or a CUDA device is missing."""
    from engines.backend import cupy_backend
    backend, why = cupy_backend()
    if backend is None:
        pytest.skip(why)
    return backend
