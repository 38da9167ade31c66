"""Builders of the shipped presets, used by presets/make_presets.py (not part of the package)."""
