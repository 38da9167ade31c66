"""Start-up stays light: `import netbuilder` and `--version` never import torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import netbuilder

_PROBE = """
import sys
import netbuilder
import netbuilder.cli
import netbuilder.commands
try:
    netbuilder.cli.main(["--version"])
except SystemExit as exit:
    assert exit.code in (0, None), exit.code
heavy = sorted(m for m in ("torch", "PySide6", "pyqtgraph") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


def test_import_and_version_do_not_import_torch():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    assert f"netbuilder {netbuilder.__version__}" in done.stdout
    assert "HEAVY:\n" in done.stdout, done.stdout


def test_python_dash_m_version():
    done = subprocess.run([sys.executable, "-m", "netbuilder", "--version"], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == f"netbuilder {netbuilder.__version__}"


def test_console_script_version():
    script = Path(sys.executable).with_name("netbuilder")
    if not script.exists():  # not installed as a package in this environment: -m covers it
        return
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"netbuilder {netbuilder.__version__}"


def test_subcommand_help_lists_the_contract(capsys):
    from netbuilder.cli import main

    for command in ("check", "summary"):
        try:
            main([command, "--help"])
        except SystemExit as exit:
            assert exit.code == 0
        out = capsys.readouterr().out
        assert f"usage: netbuilder {command}" in out and "--json" in out


_META_PROBE = """
import sys
import torch
from netbuilder.core.modules import RBM
from netbuilder.presets import list_presets

assert list_presets(), "no presets"
with torch.device("meta"):
    RBM(784, 128)
print("DYNAMO:" + str("torch._dynamo" in sys.modules))
"""


def test_counting_presets_on_the_meta_device_stays_light():
    """`netbuilder presets` counts parameters on the meta device; random ops there
    (RBM's randn · 0.01) imported torch._dynamo, a second of start-up for nothing."""
    done = subprocess.run([sys.executable, "-c", _META_PROBE], capture_output=True, text=True, check=True)
    assert "DYNAMO:False" in done.stdout, done.stdout


def test_rbm_weights_are_still_drawn_on_real_devices():
    import torch

    from netbuilder.core.modules import RBM

    torch.manual_seed(0)
    rbm = RBM(200, 100)
    torch.manual_seed(0)
    expected = torch.randn(200, 100) * 0.01  # the same draws as before the meta shortcut
    assert torch.equal(rbm.weight.detach(), expected)
