"""Nothing NetBuilder opens runs code, except a Python import the user asked for.

A malicious checkpoint (a pickle whose __reduce__ would write a marker file)
is refused with a clear message and the marker never appears; a graph file
naming a Python callable is just an unknown layer type; a .py given where a
graph is expected is read as (bad) JSON; `netbuilder import file.py:Name`
runs the file because that is what was asked, and says so first.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.interchange.export import ExportError, load_state_dict_file
from netbuilder.core.io import GraphFileError, load_graph

ROOT = Path(__file__).resolve().parents[2]


class _Payload:
    """Unpickling this runs `code` (what an attacker's checkpoint would do)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def malicious_checkpoint(path: Path, marker: Path) -> Path:
    code = f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pwned')"
    torch.save({"graph": {"nodes": []}, "state_dict": {"fc.weight": torch.zeros(2, 2), "evil": _Payload(code)}},
               path)
    return path


def test_a_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "marker.txt"
    ckpt = malicious_checkpoint(tmp_path / "evil.pt", marker)
    with pytest.raises(ExportError) as info:
        load_state_dict_file(ckpt)
    message = str(info.value)
    assert message == (f"checkpoint {ckpt}: cannot read it as PyTorch weights (it contains a Python object "
                       "(exec), not only tensors; NetBuilder loads weights only, so a checkpoint can never run code)")
    assert not marker.exists()
    # the payload is live: an unsafe load (what NetBuilder never does) would have run it
    torch.load(ckpt, weights_only=False)
    assert marker.read_text() == "pwned"


def test_the_cli_refuses_a_malicious_checkpoint_without_a_traceback(tmp_path, capsys, lenet_file):
    marker = tmp_path / "marker.txt"
    ckpt = malicious_checkpoint(tmp_path / "evil.pt", marker)
    code = main(["export", str(lenet_file), "--checkpoint", str(ckpt), "-o", str(tmp_path / "out.py")])
    err = capsys.readouterr().err
    assert code != 0 and "it contains a Python object (exec)" in err and "Traceback" not in err
    assert "weights_only=False" not in err  # no advice to load it unsafely
    assert not marker.exists() and not (tmp_path / "out.py").exists()


@pytest.mark.parametrize("container", ["netbuilder", "legacy_pickle"])
def test_the_trainer_refuses_a_malicious_checkpoint(tmp_path, container):
    from netbuilder.train.checkpoint import FORMAT, CheckpointError, load_checkpoint

    marker = tmp_path / "marker.txt"
    path = tmp_path / "evil.ckpt"
    payload = _Payload(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('pwned')")
    if container == "netbuilder":  # a well-formed checkpoint with one poisoned entry
        torch.save({"format": FORMAT, "version": 1, "graph": "{}", "model": {"w": payload}}, path)
    else:  # an old-style plain pickle, not torch's zip container
        path.write_bytes(pickle.dumps({"model": payload}, protocol=2))  # torch.save's legacy protocol
    with pytest.raises(CheckpointError, match="refused — the file contains Python objects"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.slow
def test_resuming_training_from_a_malicious_checkpoint_is_a_failed_event(tmp_path):
    """The real path: the training child loads the checkpoint to resume from."""
    import time

    from netbuilder.train.runner import TrainingRun

    marker = tmp_path / "marker.txt"
    ckpt = malicious_checkpoint(tmp_path / "evil.ckpt", marker)
    graph = json.loads((ROOT / "presets" / "mlp_iris.json").read_text())
    run = TrainingRun(graph, {"epochs": 1}, resume=str(ckpt))
    run.start()
    events: list[dict] = []
    deadline = time.monotonic() + 120
    while run.running and time.monotonic() < deadline:
        events += run.poll()
        time.sleep(0.02)
    events += run.poll()
    assert events[-1]["event"] == "failed" and "refused" in events[-1]["message"], events[-1]
    assert not marker.exists()


def test_a_plain_state_dict_checkpoint_still_loads(tmp_path):
    path = tmp_path / "ok.pt"
    torch.save({"graph": {"nodes": []}, "state_dict": {"w": torch.ones(3)}}, path)
    assert torch.equal(load_state_dict_file(path)["w"], torch.ones(3))


@pytest.mark.parametrize("type_name", ["os.system", "builtins.exec", "subprocess.Popen", "__import__",
                                       "netbuilder.core.modules.Step", "torch.nn.Linear"])
def test_a_graph_file_cannot_name_a_python_callable(tmp_path, type_name):
    path = tmp_path / "g.json"
    path.write_text('{"nodes": [{"id": "a", "type": "%s", "params": {"command": "touch x"}}]}' % type_name)
    with pytest.raises(GraphFileError, match=r"nodes\[0\] \(id 'a'\): field 'type': unknown layer type"):
        load_graph(path)


EVIL_PY = """
import pathlib, torch
pathlib.Path({marker!r}).write_text("ran")

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
"""


@pytest.fixture
def evil_py(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / "ran.txt"
    path = tmp_path / "models.py"
    path.write_text(EVIL_PY.format(marker=str(marker)))
    return path, marker


@pytest.mark.parametrize("command", [["check"], ["summary"], ["export", "-o", "out.py"], ["diff", "{file}"]])
def test_commands_reading_graphs_never_run_a_python_file(tmp_path, capsys, evil_py, command):
    path, marker = evil_py
    argv = [command[0], str(path), *[str(path) if a == "{file}" else str(tmp_path / a) if a == "out.py" else a
                                     for a in command[1:]]]
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0 and "invalid JSON" in err and "Traceback" not in err
    assert not marker.exists()


def test_opening_a_python_file_in_the_editor_does_not_run_it(qtbot, monkeypatch, tmp_path, evil_py):
    """File ▸ Open reads JSON only; running a file is Import's job, behind a warning."""
    path, marker = evil_py
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "data"))
    from netbuilder.gui import dialogs
    from netbuilder.gui.export_actions import ImportDialog
    from netbuilder.gui.main_window import MainWindow

    errors: list[str] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text, details="": errors.append(text))
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.document.open_file(path, ask=False) is False
    assert "invalid JSON" in errors[0] and not marker.exists()
    dialog = ImportDialog(window, str(path))  # the import dialog says the file will run before it does
    qtbot.addWidget(dialog)
    assert "runs this Python file" in dialog.warning.text() and not marker.exists()
    window.document.close()


def test_import_runs_the_file_only_when_asked_and_says_so(tmp_path, evil_py):
    path, marker = evil_py
    out = tmp_path / "net.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "netbuilder", "import", f"{path}:Net", "--input-shape", "4",
                             "-o", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"running the code in {path}" in result.stderr
    assert marker.read_text() == "ran"  # asked for, so it ran
    assert load_graph(out).nodes_of_type("Linear")
