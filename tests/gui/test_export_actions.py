"""File ▸ Export…, File ▸ Import from PyTorch…, the Compare panel and the budget bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import small_graph

from netbuilder.core.io import save_graph
from netbuilder.gui import budget as budget_module
from netbuilder.gui import diff_view, export_actions
from netbuilder.gui.budget import LimitsDialog, cost_shares, graph_costs, parse_amount
from netbuilder.gui.export_actions import ExportDialog, ImportDialog, install, module_classes
from netbuilder.gui.node_overlays import halos

HANDWRITTEN = Path(__file__).resolve().parents[1] / "export" / "handwritten.py"


@pytest.fixture
def actions(make_window):
    window = make_window(small_graph())
    return getattr(window, "export_actions", None) or install(window)


@pytest.fixture
def reports(monkeypatch):
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(export_actions, "show_report",
                        lambda parent, title, text, details="", warning=False: shown.append((title, text, details)))
    return shown


def _file_menu_texts(window) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


def test_file_menu_has_import_export_and_compare(actions):
    texts = _file_menu_texts(actions.window)
    for entry in ("Import from PyTorch…", "Export…", "Compare with File…"):
        assert entry in texts
    assert texts.index("Export…") < texts.index("Quit")


@pytest.mark.parametrize("fmt", ["py", "onnx", "state-dict"])
def test_export_dialog_writes_a_verified_file_and_says_so(actions, qtbot, tmp_path, fmt):
    dialog = actions.open_export()
    dialog.set_format(fmt)
    assert dialog.path.text().endswith(export_actions.SUFFIX[fmt])
    assert dialog.opset.isVisibleTo(dialog) == (fmt == "onnx")
    out = tmp_path / f"net{export_actions.SUFFIX[fmt]}"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        qtbot.mouseClick(dialog.export_button, export_actions.Qt.MouseButton.LeftButton)
    assert dialog.error == "" and out.is_file()
    assert dialog.status.text().startswith("✔ Exported") and "verified" in dialog.status.text()
    dialog.close()


def test_export_errors_show_in_the_dialog_and_write_nothing(actions, qtbot, tmp_path):
    (tmp_path / "bad.pt").write_text("not weights")
    dialog = ExportDialog(actions.window.graph, str(tmp_path), actions.window)
    qtbot.addWidget(dialog)
    dialog.set_format("state-dict")
    dialog.path.setText(str(tmp_path / "net.pt"))
    dialog.checkpoint.setText(str(tmp_path / "bad.pt"))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        dialog.start()
    assert dialog.status.text().startswith("✖ Not exported:") and "cannot read it as PyTorch weights" in dialog.error
    assert not (tmp_path / "net.pt").exists()


def test_import_dialog_warns_that_the_file_runs_and_lists_its_classes(qtbot):
    dialog = ImportDialog(path=str(HANDWRITTEN))
    qtbot.addWidget(dialog)
    assert "runs this Python file's code" in dialog.warning.text()
    assert dialog.run_button.text() == "Run File and Import"
    names = [dialog.class_name.itemText(i) for i in range(dialog.class_name.count())]
    assert names == module_classes(HANDWRITTEN) and "LeNet" in names and "BasicBlock" in names


def test_import_opens_the_traced_network(actions, reports):
    window = actions.window
    dialog = ImportDialog(window, str(HANDWRITTEN))
    dialog.class_name.setCurrentText("LeNet")
    dialog.shape.setText("1,28,28")
    result = export_actions.run_import(window, dialog)
    assert result is not None and result.complete
    assert window.graph.nodes["conv1"].type == "Conv2d" and window.graph.nodes["x"].params["shape"] == [1, 28, 28]
    assert set(window.scene.node_items) == set(window.graph.nodes)
    assert reports == []  # complete: a status message, no box


def test_import_with_unsupported_parts_reports_them(actions, reports):
    dialog = ImportDialog(actions.window, str(HANDWRITTEN))
    dialog.class_name.setCurrentText("Unsupported")
    dialog.shape.setText("4")
    result = export_actions.run_import(actions.window, dialog)
    assert result is not None and not result.complete
    (title, text, details) = reports[0]
    assert title == "Imported with parts missing" and "exp: torch.exp(...)" in details


def test_import_dialog_refuses_bad_input_with_a_message(qtbot):
    dialog = ImportDialog(path=str(HANDWRITTEN))
    qtbot.addWidget(dialog)
    dialog.shape.setText("1,x")
    dialog.accept()
    assert "is not a positive size" in dialog.problem.text() and dialog.result() == 0


def test_compare_highlights_added_and_changed_layers(actions, tmp_path, qtbot):
    window = actions.window
    before = tmp_path / "before.json"
    save_graph(load_graph_copy(window.graph), before)
    window.editor.set_params("conv", {"out_channels": 8})
    window.editor.add_node("Dropout", (0, 300))
    window.flush()
    assert actions.compare(str(before))
    panel = actions.diff
    assert actions.diff_dock.isVisible()
    changed = panel.items("Changed")
    assert any(text.startswith("conv (Conv2d): out_channels 6 → 8") for text in changed)
    assert [t.split(" ")[0] for t in panel.items("Added")] == ["dropout_1"]
    marks = halos(window.scene, diff_view.DIFF_TAG)
    assert set(marks) >= {"conv", "dropout_1", "fc"} and marks["dropout_1"].label == "added"
    panel.clear()
    assert halos(window.scene, diff_view.DIFF_TAG) == {}


def load_graph_copy(graph):
    from netbuilder.core.io import graph_from_dict, graph_to_dict

    return graph_from_dict(graph_to_dict(graph))


def test_budget_bar_measures_and_turns_red_over_a_limit(actions):
    bar = actions.budget
    bar.refresh()
    costs = graph_costs(actions.window.graph, batch_size=bar.batch_size())
    assert bar.costs.params == costs.params == 6 * 25 + 6 + 3456 * 10 + 10
    assert "Params 34.7K / 200M" == bar.meters["params"].format()
    assert bar.over_limit() == []
    bar.set_limits({"params": 1000, "macs": 10**12, "memory": 10**12})
    assert bar.over_limit() == ["params"] and bar.meters["params"].property("over") is True
    assert budget_module.load_limits()["params"] == 1000  # remembered


def test_shading_tints_each_layer_by_its_share(actions):
    bar = actions.budget
    bar.refresh()
    bar.set_shading("params")
    shares = cost_shares(bar.costs, "params")
    assert abs(sum(shares.values()) - 1) < 1e-9
    marks = halos(actions.window.scene, budget_module.SHADE_TAG)
    assert set(marks) == {"conv", "fc"}
    assert marks["fc"].color.alpha() > marks["conv"].color.alpha()  # fc holds most weights
    assert marks["fc"].label.endswith("of Params")
    bar.set_shading(None)
    assert halos(actions.window.scene, budget_module.SHADE_TAG) == {}


@pytest.mark.parametrize(("text", "value"), [("1.5M", 1_500_000), ("500K", 500_000), ("256 MB", 256 * 1024**2),
                                             ("2e6", 2_000_000), ("42", 42)])
def test_limits_parse_like_people_write_them(text, value):
    assert parse_amount(text) == value


def test_limits_dialog_disables_ok_until_every_amount_parses(qtbot):
    dialog = LimitsDialog({"params": 10, "macs": 10, "memory": 10})
    qtbot.addWidget(dialog)
    dialog.edits["macs"].setText("lots")
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and "not an amount" in dialog.problem.text()
    dialog.edits["macs"].setText("3G")
    assert ok.isEnabled() and dialog.limits()["macs"] == 3 * 10**9
