"""The user data folder: settings, recent files and autosaves.

`NETBUILDER_DATA_DIR` overrides the platform's location (QStandardPaths
AppDataLocation), so tests and portable installs never touch the real one.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

ENV_DATA_DIR = "NETBUILDER_DATA_DIR"
MAX_RECENT = 10


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        path = Path(override)
    else:
        location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        path = Path(location) if location else Path.home() / ".netbuilder"
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings() -> QSettings:
    """Settings in an ini file in the data folder (not the registry/plist),
    so one folder holds everything the editor remembers."""
    return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def get_str(key: str, default: str = "") -> str:
    value = settings().value(key, default)
    return value if isinstance(value, str) else default


def set_value(key: str, value: object) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()


def recent_files() -> list[str]:
    value = settings().value("recent_files", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent_file(path: str | os.PathLike) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    files = files[:MAX_RECENT]
    set_value("recent_files", files)
    return files


def clear_recent_files() -> None:
    set_value("recent_files", [])
