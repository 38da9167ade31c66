"""A wheel install carries what the editor needs outside the Python code:
stylesheets, icons, JSON schema, desktop entry (resources/) and the presets
(presets/), and finds them there rather than in a checkout.

The wheel is built offline from a copy of the project (so the checkout gets
no build/ or egg-info), unpacked into a bare folder and used from a child
Python whose path holds only that folder ahead of the standard library.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# looked up, not imported: importing setuptools here would fight the stdlib distutils already loaded
if importlib.util.find_spec("pip") is None or importlib.util.find_spec("setuptools") is None:
    pytest.skip("building the wheel offline needs pip and setuptools in this environment", allow_module_level=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "_gen")
    for name in ("netbuilder", "resources", "presets"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "-w", str(out), str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("netbuilder-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_the_wheel_holds_every_subpackage_resource_and_preset(wheel):
    names = _names(wheel)
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "netbuilder").rglob("__init__.py")}
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
    shipped = {
        "netbuilder/_resources/" + p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "screenshots" not in p.parts  # README pictures stay out of the wheel
    } | {f"netbuilder/_presets/{p.name}" for p in (ROOT / "presets").glob("*.json")}
    assert not shipped - names, f"not in the wheel: {sorted(shipped - names)}"
    assert "netbuilder/_resources/dark.qss" in names and "netbuilder/_presets/lenet5.json" in names
    assert not any("/screenshots/" in n for n in names)


CHECK = """
import contextlib, io, json
import netbuilder
from netbuilder.cli import main
from netbuilder.presets import PRESETS_DIR, list_presets, load_preset
from netbuilder.gui import theme
from netbuilder.gui.app import ensure_app
from netbuilder.gui.resources import RESOURCES, icon
app = ensure_app()
theme.apply(app, "dark")
listing = io.StringIO()
with contextlib.redirect_stdout(listing):
    code = main(["presets"])  # `netbuilder presets`, in this process: one start-up, not two
print(json.dumps({"cli": [code, listing.getvalue()], "package": netbuilder.__file__, "resources": str(RESOURCES), "presets": str(PRESETS_DIR),
                  "names": [p.name for p in list_presets()], "lenet": load_preset("lenet5").name,
                  "icon": not icon("netbuilder").isNull(), "qss": app.styleSheet()}))
"""


def test_an_installed_wheel_finds_its_stylesheet_icons_and_presets(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("NETBUILDER_PRESETS_DIR", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    package = site / "netbuilder"
    assert Path(found["package"]).parent == package  # the unpacked wheel, not the checkout
    assert Path(found["resources"]) == package / "_resources"
    assert Path(found["presets"]) == package / "_presets"
    assert "lenet5" in found["names"] and found["lenet"] == "LeNet-5"
    assert found["icon"]
    assert "QCheckBox::indicator" in found["qss"] and (package / "_resources").as_posix() in found["qss"]
    code, listing = found["cli"]
    assert code in (0, None) and "lenet5" in listing and str(package / "_presets") in listing
