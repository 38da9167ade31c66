"""File ▸ Import from ONNX…: opens an ONNX file as a network; unmapped ops are reported by node."""

from __future__ import annotations

import warnings

import pytest
import torch
from gui_helpers import small_graph
from torch import nn

from netbuilder.gui import export_actions


class _Net(nn.Module):
    def __init__(self, odd: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)
        self.odd = odd

    def forward(self, x):
        y = torch.relu(self.conv(x))
        y = torch.cos(y) if self.odd else y
        return self.fc(torch.flatten(y, 1))


def _onnx(tmp_path, odd: bool = False) -> str:
    path = tmp_path / ("odd.onnx" if odd else "net.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Net(odd).eval(), (torch.randn(2, 1, 6, 6),), str(path), dynamo=False,
                          input_names=["x"], dynamic_axes={"x": {0: "batch"}}, opset_version=17)
    return str(path)


@pytest.fixture
def reports(monkeypatch):
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(export_actions, "show_report",
                        lambda parent, title, text, details="", warning=False: shown.append((title, text, details)))
    return shown


def _file_menu_texts(window) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


def test_the_file_menu_offers_onnx_right_after_pytorch(make_window):
    texts = _file_menu_texts(make_window(small_graph()))
    assert texts[texts.index("Import from PyTorch…") + 1] == "Import from ONNX…"


def test_triggering_the_action_opens_the_chosen_onnx_file(make_window, reports, monkeypatch, tmp_path):
    window = make_window(small_graph())
    path = _onnx(tmp_path)
    monkeypatch.setattr(export_actions, "choose_open_path", lambda parent, title, flt: path)
    window.onnx_import_action.trigger()
    types = sorted(n.type for n in window.graph.nodes.values())
    assert types == sorted(["Input", "Conv2d", "ReLU", "Flatten", "Linear", "Output"])
    assert set(window.scene.node_items) == set(window.graph.nodes)
    assert reports == [] and "outputs match the ONNX model" in window.statusBar().currentMessage()
    assert "weights saved as net.weights.pt" in window.statusBar().currentMessage()


def test_the_imported_weights_are_kept_beside_the_file_and_export_uses_them(make_window, reports, tmp_path):
    from netbuilder.core.io import graph_to_dict
    from netbuilder.gui.onnx_import_action import import_onnx_file
    from netbuilder.interchange.onnx_check import run_onnx
    from netbuilder.train.checkpoint import load_checkpoint

    window = make_window(small_graph())
    path = _onnx(tmp_path)
    result = import_onnx_file(window, path)
    weights = window.onnx_weights
    assert weights == tmp_path / "net.weights.pt"
    saved = load_checkpoint(weights)["model"]
    assert saved.keys() == result.weights.keys()
    assert all(torch.equal(saved[k], result.weights[k]) for k in saved)
    out = tmp_path / "net_export.py"
    exported, error = export_actions.export_snapshot(graph_to_dict(window.graph), str(out), "py", str(weights),
                                                     18, "trace")
    assert error == "", error
    import importlib.util

    spec = importlib.util.spec_from_file_location("net_export", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load_model()  # the weights exported beside the code
    x = torch.randn(3, 1, 6, 6)
    expected, _ = run_onnx(path, {"x": x})
    with torch.no_grad():
        assert torch.allclose(net.eval()(x), expected[0], atol=1e-5)
    import_onnx_file(window, path)  # a second import never overwrites the first one's weights
    assert window.onnx_weights == tmp_path / "net.weights-2.pt" and weights.is_file()


def test_unmapped_ops_and_bad_files_are_reported(make_window, reports, tmp_path):
    from netbuilder.gui.onnx_import_action import import_onnx_file

    window = make_window(small_graph())
    result = import_onnx_file(window, _onnx(tmp_path, odd=True))
    assert result is not None and not result.complete
    title, _, details = reports[-1]
    assert title == "Imported with parts missing" and "no catalog layer for the ONNX op Cos" in details
    bad = tmp_path / "bad.onnx"
    bad.write_text("hello")
    assert import_onnx_file(window, str(bad)) is None
    assert reports[-1][0] == "Import failed" and "not a valid ONNX model" in reports[-1][1]


def test_start_trains_from_the_imported_weights_while_the_network_is_unchanged(make_window, reports, tmp_path,
                                                                              monkeypatch):
    """Start hands the runner the imported weights (and the open file's path) as long as the
    network is the imported one; after a layer is edited, or New, Start begins afresh."""
    from netbuilder.gui.onnx_import_action import import_onnx_file
    from netbuilder.gui.training import dock as dock_module

    made: list[dict] = []

    class Recorder:
        def __init__(self, graph_dict, settings, **kwargs):
            made.append(kwargs)

        def start(self) -> None:
            raise RuntimeError("not started in this test")

    monkeypatch.setattr(dock_module, "_training_run_class", lambda: Recorder)
    window = make_window(small_graph())
    import_onnx_file(window, _onnx(tmp_path))
    dock = window.training_dock
    dock._make_run({}, {})
    assert made[-1]["resume"] == str(tmp_path / "net.weights.pt") and made[-1]["graph_file"] is None
    linear = next(nid for nid, n in window.graph.nodes.items() if n.type == "Linear")
    window.graph.set_params(linear, {"out_features": 4})  # another network: the weights no longer fit
    dock._make_run({}, {})
    assert made[-1]["resume"] is None
    window.graph.set_params(linear, {"out_features": 3})
    dock._make_run({}, {})
    assert made[-1]["resume"] == str(tmp_path / "net.weights.pt")  # the imported network again
    window.document.new()
    dock._make_run({}, {})
    assert made[-1]["resume"] is None


def test_the_imported_weights_checkpoint_trains_in_the_real_trainer(make_window, reports, tmp_path):
    import numpy as np

    from netbuilder.core.io import graph_to_dict
    from netbuilder.gui.onnx_import_action import import_onnx_file
    from netbuilder.train.trainer import Trainer

    window = make_window(small_graph())
    import_onnx_file(window, _onnx(tmp_path))
    graph = graph_to_dict(window.graph)
    rng = np.random.default_rng(0)
    data = tmp_path / "three.npz"
    np.savez(data, x=rng.random((60, 1, 6, 6), dtype=np.float32), y=rng.integers(0, 3, 60))
    settings = {"epochs": 1, "device": "cpu", "samples": False, "dataset": str(data), "lr": 1e-12}
    events = [e.to_dict() for e in Trainer(graph, settings, resume=str(window.onnx_weights)).run()]
    assert events[-1]["event"] == "finished", events[-1]
    first_loss = next(e for e in events if e["event"] == "epoch")["train_loss"]
    fresh = [e.to_dict() for e in Trainer(graph, settings).run()]
    assert first_loss != next(e for e in fresh if e["event"] == "epoch")["train_loss"]  # other weights: the ONNX ones
    digits = [e.to_dict() for e in Trainer(graph, {**settings, "dataset": "digits"}).run()]
    assert digits[-1]["event"] == "failed"  # 3 class scores for 10 digits: said before the first step
    assert "gives 3 class scores, but dataset 'digits' has 10 classes" in digits[-1]["message"]
