"""`main.py export GRAPH [--weights RUN_DIR_OR_NPZ] --format onnx|numpy|torch -o OUT`."""

from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ("onnx", "numpy", "torch")


def add_export_parser(commands) -> None:
    """The `export` subcommand's arguments, on main.py's subparsers."""
    export = commands.add_parser(
        "export", help="export a graph's inference part as ONNX, NumPy or PyTorch code")
    export.add_argument("graph", help="a .dgraph file")
    export.add_argument("--format", "-f", required=True, choices=FORMATS,
                        help="onnx: one .onnx file; numpy: a .py with predict(x) and a .npz; "
                             "torch: a .py with an nn.Module and a .npz")
    export.add_argument("-o", "--output", required=True,
                        help="output file (the suffix .onnx or .py is added when missing)")
    export.add_argument("--weights", help="a run record folder (runs/...) or a .npz file "
                        "(default: the .npz beside the graph, else its initial weights)")
    export.add_argument("--no-check", action="store_true",
                        help="skip running the export against the engine afterwards")


def export_command(args, registry_factory) -> int:
    """Run `main.py export`; errors raise (main.py prints them as one line)."""
    from engines.export import ExportError, export_graph
    from graph.fileio import load_graph

    path = Path(args.graph)
    if not path.is_file():
        raise ExportError(f"{path}: no such graph file.")
    registry = registry_factory()
    graph = load_graph(path, registry)
    try:
        result = export_graph(graph, registry, args.format, args.output, weights=args.weights,
                              graph_path=path, check=not args.no_check)
    except ExportError as exc:
        raise ExportError(f"{path}: {exc} Nothing was written.", exc.node_id) from None
    print(f"Weights: {result.weights_note}")
    for file in result.files:
        print(f"Wrote {file}")
    if result.check is not None:
        print(f"Check: {result.check}")
    sys.stdout.flush()
    return 0
