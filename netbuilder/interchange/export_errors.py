"""The error every export step raises (export.py, weights_file.py), in a module
of its own so that both can raise it without importing each other."""

from __future__ import annotations


class ExportError(ValueError):
    """The export failed or did not reproduce the graph; the message says how."""
