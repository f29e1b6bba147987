#!/usr/bin/env python3
"""Dendrite's entry point: the GUI by default, `run`, `validate` and `nodes` in a terminal.

    python main.py [GRAPH]                 open GRAPH in the GUI (default: the last file, or the
                                           digits example on first launch)
    python main.py run GRAPH [options]     train GRAPH headless, write a run record
    python main.py validate GRAPH          list every problem of GRAPH
    python main.py nodes [--category C]    list the node types, their docs and parameters
    python main.py export GRAPH -f FORMAT -o OUT   ONNX, NumPy or PyTorch code of the model

Expected errors print one line on stderr; set DENDRITE_DEBUG=1 to see their tracebacks.
Dendrite runs from its checkout: this file puts its own folder first on sys.path, so the
project's packages (graph, engines, plugins, gui) are never installed into site-packages.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_GRAPH = ROOT / "examples" / "digits_mlp.dgraph"
COMMANDS = ("run", "validate", "nodes", "sweep", "export", "reproduce")
# Qt platforms that need no window system, so the GUI can start without DISPLAY.
_HEADLESS_QT_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"}


class CliError(Exception):
    """A failure to report as one line on stderr, with exit code `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# -- the GUI, or the headless fallback -----------------------------------------------------------
def display_available(env=None, platform: str | None = None) -> tuple[bool, str]:
    """Whether a GUI window can open here, and why not when it cannot."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    qt_platform = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    if qt_platform in _HEADLESS_QT_PLATFORMS:
        return True, f"QT_QPA_PLATFORM={qt_platform}"
    if not platform.startswith("linux"):
        return True, platform
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return True, "display found"
    return False, "no display (DISPLAY and WAYLAND_DISPLAY are unset)"


def open_gui(graph: str | None) -> int:
    path = Path(graph) if graph else DEFAULT_GRAPH
    usable, why = display_available()
    if not usable:
        print(f"Dendrite: {why}; running {_shown(path)} headless instead "
              f"(use `python main.py run GRAPH` for options).", flush=True)
        return run_graph(path)
    try:
        from gui.app import main as gui_main
    except ImportError as exc:
        raise CliError(f"The GUI cannot start ({type(exc).__name__}: {exc}). "
                       "Run `python main.py run GRAPH` to train without it.") from None
    # Without a file argument the GUI picks: a crash-recovery copy, the last file, or the
    # default example on first launch.
    from plugins import default_registry

    return int(gui_main(graph, default_registry()) or 0)


# -- run ---------------------------------------------------------------------------------------
def run_graph(path: Path, engine: str = "auto", epochs: int | None = None,
              seed: int | None = None, runs_dir: str = "runs", quiet: bool = False) -> int:
    if not path.exists():
        raise CliError(f"{_shown(path)}: no such graph file.")
    try:
        from engines.headless import run_graph_file
    except ImportError as exc:
        raise CliError(f"The headless runner cannot start ({type(exc).__name__}: {exc}).") \
            from None
    from plugins import default_registry

    return int(run_graph_file(str(path), default_registry(), engine=engine, epochs=epochs,
                              seed=seed, runs_dir=runs_dir, quiet=quiet) or 0)


# -- validate ----------------------------------------------------------------------------------
def validate_file(path: Path) -> int:
    from graph.fileio import load_graph
    from graph.shapes import infer_shapes
    from graph.validate import Severity, validate
    from plugins import default_registry

    registry = default_registry()
    graph = load_graph(path, registry)
    problems = validate(graph, registry)
    for problem in problems:
        print(problem)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    if errors:
        print(f"{_shown(path)}: {errors} problem{'s' * (errors != 1)}.", file=sys.stderr)
        return 1
    params = infer_shapes(graph, registry).total_params()
    print(f"OK: {_count(len(graph.nodes), 'node')}, {_count(len(graph.edges), 'wire')}, "
          f"{_count(params, 'parameter')}")
    return 0


# -- nodes -------------------------------------------------------------------------------------
def list_nodes(category: str | None = None) -> int:
    from plugins import default_registry

    registry = default_registry()
    groups = registry.categories()
    if category is not None:
        wanted = {name.lower(): name for name in groups}
        if category.lower() not in wanted:
            raise CliError(f"There is no category '{category}'; the categories are: "
                           f"{', '.join(groups) or 'none'}.")
        groups = {wanted[category.lower()]: groups[wanted[category.lower()]]}
    for name, specs in groups.items():
        print(f"{name}")
        for spec in specs:
            pack = registry.get(spec.type_id).pack
            print(f"  {spec.type_id}  ({spec.title}, pack {pack})")
            if spec.doc:
                print(f"      {spec.doc}")
            ports = _ports(spec)
            if ports:
                print(f"      ports: {ports}")
            for param in spec.params:
                print(f"      - {_describe_param(param)}")
        print()
    if registry.broken and category is None:
        print("Packs that failed to load")
        for broken in registry.broken:
            print(f"  {broken.name}: {broken.reason}")
    return 0


def _ports(spec) -> str:
    inputs = ", ".join(f"{p.name}:{p.kind.value}{'?' * p.optional}" for p in spec.inputs)
    outputs = ", ".join(f"{p.name}:{p.kind.value}" for p in spec.outputs)
    return f"({inputs}) -> ({outputs})" if inputs or outputs else ""


def _describe_param(param) -> str:
    text = f"{param.name} ({param.type.value}, default {param.default!r}"
    if param.choices:
        text += f"; one of {', '.join(map(str, param.choices))}"
    if param.range is not None:
        low, high = param.range
        text += f"; {'-inf' if low is None else low}..{'inf' if high is None else high}"
    text += ", live)" if param.live else ")"
    return f"{text}  {param.doc}" if param.doc else text


# -- sweep -------------------------------------------------------------------------------------
def add_sweep_parser(commands) -> None:
    sweep = commands.add_parser("sweep", help="sweep parameters and seeds on Ray Tune")
    sweep.add_argument("graph", help="a .dgraph file")
    sweep.add_argument("--param", action="append", default=[], metavar="NODE.PARAM=V1,V2,...",
                       help="grid over these values (repeatable)")
    sweep.add_argument("--range", action="append", default=[], metavar="NODE.PARAM=LO:HI[:log]",
                       help="random search in this range (repeatable; with --samples)")
    sweep.add_argument("--samples", type=_positive_int, default=1,
                       help="random draws from the ranges (default 1)")
    sweep.add_argument("--seeds", type=_positive_int, default=1,
                       help="repeat every point with this many seeds (default 1)")
    sweep.add_argument("--metric", help="metric to rank by (default train/loss)")
    sweep.add_argument("--mode", choices=("min", "max"),
                       help="better is lower or higher (default: from the metric's name)")
    sweep.add_argument("--scheduler", choices=("asha",), help="stop bad trials early (ASHA)")
    sweep.add_argument("--workers", type=_positive_int, help="CPUs for a local Ray (default all)")
    sweep.add_argument("--address", help="join this Ray cluster instead of starting one")
    sweep.add_argument("--epochs", type=_positive_int, help="override the graph's epochs")
    sweep.add_argument("--runs-dir", default="runs", help="where records go (default: runs)")


def sweep(args) -> int:
    path = Path(args.graph)
    if not path.exists():
        raise CliError(f"{_shown(path)}: no such graph file.")
    from engines.sweep.command import sweep_command
    from plugins import default_registry

    return sweep_command(path, default_registry, params=args.param, ranges=args.range,
                         samples=args.samples, seeds=args.seeds, metric=args.metric,
                         mode=args.mode, scheduler=args.scheduler, workers=args.workers,
                         address=args.address, runs_dir=args.runs_dir, epochs=args.epochs)


# -- argument parsing --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Dendrite: wire neural-network nodes, train them live.",
        epilog="Commands: run GRAPH, validate GRAPH, nodes, sweep GRAPH, export GRAPH. "
               "`python main.py COMMAND -h` shows a command's options.")
    parser.add_argument("graph", nargs="?", help="graph file to open in the GUI "
                        f"(default: {DEFAULT_GRAPH.relative_to(ROOT)})")
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train a graph headless and write a run record")
    run.add_argument("graph", help="a .dgraph file")
    run.add_argument("--engine", choices=("numpy", "cupy", "auto"), default="auto",
                     help="array backend (default: auto, CuPy when a GPU answers)")
    run.add_argument("--epochs", type=_positive_int, help="override the graph's epochs")
    run.add_argument("--seed", type=_non_negative_int, help="override the graph's seed")
    run.add_argument("--runs-dir", default="runs", help="where run records go (default: runs)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    validate = commands.add_parser("validate", help="list every problem of a graph")
    validate.add_argument("graph", help="a .dgraph file")
    nodes = commands.add_parser("nodes", help="list node types with their docs and parameters")
    add_sweep_parser(commands)
    from engines.export.cli import add_export_parser
    add_export_parser(commands)
    reproduce = commands.add_parser("reproduce", help="rerun the notes' experiments and write "
                                    "docs/EXPERIMENTS.md")
    reproduce.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    reproduce.add_argument("--only", nargs="+", metavar="NAME", help="only these experiments")
    reproduce.add_argument("--mnist", metavar="DIR", help="a folder of MNIST's IDX files")
    reproduce.add_argument("--out", help="markdown file to write (default: docs/EXPERIMENTS.md "
                           "for a full run of every experiment; --quick and --only write "
                           "only here)")
    nodes.add_argument("--category", help="only this palette category (e.g. Layers)")
    return parser


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative; got {text}")
    return value


def dispatch(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        args = build_command_parser().parse_args(argv)
        if args.command == "run":
            return run_graph(Path(args.graph), args.engine, args.epochs, args.seed,
                             args.runs_dir, args.quiet)
        if args.command == "validate":
            return validate_file(Path(args.graph))
        if args.command == "sweep":
            return sweep(args)
        if args.command == "reproduce":
            from engines.reproduce.command import reproduce_command
            from plugins import default_registry
            return reproduce_command(default_registry(), quick=args.quick, only=args.only,
                                     mnist=args.mnist, out=args.out)
        if args.command == "export":
            from engines.export.cli import export_command
            from plugins import default_registry
            return export_command(args, default_registry)
        return list_nodes(args.category)
    args = build_parser().parse_args(argv)
    return open_gui(args.graph)


def _expected_errors() -> tuple:
    """The exception types that mean bad input, not a bug: reported as one line."""
    from engines.compiler import CompileError
    from graph.fileio import GraphFileError
    from graph.model import GraphError
    from graph.registry import RegistryError
    from graph.spec import ShapeError

    return (CliError, GraphFileError, CompileError, GraphError, RegistryError, ShapeError,
            OSError, RuntimeError, ValueError)  # SweepError and RayMissing are among these


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return dispatch(argv)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        if not isinstance(exc, _expected_errors()) or os.environ.get("DENDRITE_DEBUG"):
            raise  # a bug, or asked for: show the traceback
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return getattr(exc, "code", 1) if isinstance(exc, CliError) else 1


def _one_line(exc: BaseException) -> str:
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'s' * (number != 1)}"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
