"""Errors of the network model, in a module of their own so that graph.py
and the modules it is built from (groups.py, sharing.py) can all raise them
without importing each other."""

from __future__ import annotations


class GraphError(ValueError):
    """An edit that would make the graph invalid; the message says why."""
