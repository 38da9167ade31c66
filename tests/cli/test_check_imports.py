"""Issue 18: `netbuilder check FILE` imports only what the shape check and the size budget need.

The budget counts parameters on torch's meta device, so torch itself is loaded (and `import torch`
brings torch.optim and torch.fx with it); nothing else heavy is: no compiler (torch._dynamo,
torch._inductor), no trainer or interchange code, no Qt, no ONNX."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import contextlib, io, json, sys
from netbuilder.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["check", *sys.argv[1:]])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

NEVER = ("torch._dynamo", "torch._inductor", "torch.onnx", "sympy", "PySide6", "pyqtgraph", "onnx", "onnxruntime",
         "netbuilder.train", "netbuilder.interchange", "netbuilder.gui", "netbuilder.presets")


def _check(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_check_of_resnet18_imports_only_shapes_and_the_budget():
    result = _check(str(REPO / "presets" / "resnet18.json"), "--json")
    assert result["code"] == 0
    report = json.loads(result["out"])
    assert report["ok"] and report["params"] == 11_689_512  # torchvision's resnet18: the count is real
    modules = result["modules"]
    assert [name for name in NEVER if _loaded(modules, name)] == []
    assert "torch" in modules and "netbuilder.core.shapes" in modules


def test_a_file_that_cannot_be_read_does_not_import_torch(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = _check(str(bad))
    assert result["code"] == 2
    assert not _loaded(result["modules"], "torch")
