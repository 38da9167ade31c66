"""Views of what a network learned, each with an Export PNG button (see export.py)."""
