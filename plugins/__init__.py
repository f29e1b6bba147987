"""Node packs. `default_registry()` is the registry the app and CLI use."""

from __future__ import annotations

from graph.registry import Registry

_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, loaded on first use (built-ins, entry points, user folder)."""
    global _DEFAULT
    if _DEFAULT is None:
        from plugins.loader import load_all
        _DEFAULT = load_all()
    return _DEFAULT
