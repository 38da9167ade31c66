"""Where the shipped data lives: resources/ (stylesheets, icons, JSON schema,
desktop entry) and presets/ (the preset networks). No Qt.

In a checkout (and an editable install) they are the repository's top-level
folders. A wheel carries them inside the package as netbuilder/_resources and
netbuilder/_presets (see [tool.setuptools.package-dir] in pyproject.toml).
The installed copy wins when it is there; NETBUILDER_PRESETS_DIR overrides
the presets folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # the repository root when running from a checkout


def _first(candidates: list[Path], marker: str) -> Path:
    """The first folder holding `marker` (a glob), so that an unrelated folder
    of the same name (e.g. site-packages/resources) is never taken; the
    checkout's path when none does, for messages that name it."""
    for folder in candidates:
        if folder.is_dir() and next(folder.glob(marker), None) is not None:
            return folder
    return candidates[-1]


def resources_dir() -> Path:
    return _first([PACKAGE / "_resources", CHECKOUT / "resources"], "*.qss")


def presets_dir() -> Path:
    override = os.environ.get("NETBUILDER_PRESETS_DIR")
    if override:
        return Path(override)
    return _first([PACKAGE / "_presets", CHECKOUT / "presets"], "*.json")
