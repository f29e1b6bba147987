"""The arrows of the architecture: graph/ imports neither numpy nor Qt; engines/ and plugins/
never import Qt. Checked in a fresh interpreter so other tests' imports do not hide a leak."""

import ast
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


def _imports(path: Path) -> set[str]:
    """Every module path.py imports, at any depth (inside functions too), except under
    `if TYPE_CHECKING:` (never imported at run time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(package: str) -> dict[str, Path]:
    root = ROOT / package
    return {".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"):
            path for path in sorted(root.rglob("*.py"))}


def test_engines_and_gui_never_import_plugins_even_inside_functions():
    """The registry is passed down from main.py; the engine and the GUI take node types from
    it and never load packs themselves."""
    offenders = [f"{name} imports {module}"
                 for package in ("engines", "gui")
                 for name, path in _modules(package).items()
                 for module in _imports(path)
                 if module == "plugins" or module.startswith("plugins.")]
    assert offenders == []


def test_graph_modules_import_each_other_one_way():
    """No import circle inside graph/, not even one hidden by an import inside a function."""
    modules = _modules("graph")
    edges = {name: {m for m in _imports(path) if m in modules and m != name}
             for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(name, path):
        state[name] = 1
        for other in sorted(edges[name]):
            if state.get(other) == 1:
                return path + [name, other]
            if other not in state:
                loop = visit(other, path + [name])
                if loop:
                    return loop
        state[name] = 2
        return None

    loops = [visit(name, []) for name in sorted(modules) if name not in state]
    assert [loop for loop in loops if loop] == []
