"""Files: save → reopen gives the same network; the title shows the file
and unsaved changes; bad files get a message; unsaved work is asked about,
autosaved, and offered back after a crash; recent files."""

from __future__ import annotations

import json

from gui_helpers import small_graph

from netbuilder.core.io import graph_to_dict, load_graph
from netbuilder.gui import storage
from netbuilder.gui.autosave import autosave_dir, find_orphans


def test_save_and_reopen_gives_the_same_graph(make_window, tmp_path):
    window = make_window(small_graph())
    window.editor.set_params("conv", {"out_channels": 8, "padding": "same"})
    window.editor.move_nodes({"relu": ((440.0, 0.0), (460.0, 80.0))})
    path = tmp_path / "net.json"
    assert window.save_file(path)
    saved = graph_to_dict(window.graph)
    assert graph_to_dict(load_graph(path)) == saved
    other = make_window()
    assert other.open_file(path)
    assert graph_to_dict(other.graph) == saved
    assert other.current_path == path.resolve()
    assert set(other.scene.node_items) == set(saved_ids(saved))
    assert other.undo_stack.count() == 0 and not other.document.modified


def saved_ids(data: dict) -> list[str]:
    return [n["id"] for n in data["nodes"]]


def test_title_shows_the_file_name_and_unsaved_mark(make_window, tmp_path):
    window = make_window(small_graph())
    assert window.windowTitle().startswith("small") and not window.isWindowModified()
    window.editor.add_node("ReLU", (0, 300))
    assert window.isWindowModified()
    window.save_file(tmp_path / "mine.json")
    assert window.windowTitle() == "mine.json[*] — NetBuilder" and not window.isWindowModified()
    window.undo_stack.undo()
    assert window.isWindowModified()  # the saved file has the ReLU
    window.undo_stack.redo()
    assert not window.isWindowModified()


def test_save_as_asks_for_a_name(make_window, dialogs, tmp_path):
    window = make_window(small_graph())
    dialogs.save_name = str(tmp_path / "chosen")
    window.actions_["save"].trigger()  # no file yet: Save means Save As
    assert (tmp_path / "chosen.json").exists() and window.current_path == (tmp_path / "chosen.json").resolve()


def test_a_bad_file_gives_a_message_naming_the_problem(make_window, dialogs, tmp_path):
    window = make_window(small_graph())
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"format": "netbuilder-graph", "version": 1, "nodes": [
        {"id": "a", "type": "Conv9d", "params": {}}], "edges": []}))
    assert not window.open_file(bad)
    assert len(dialogs.errors) == 1 and "Conv9d" in dialogs.errors[0] and "broken.json" in dialogs.errors[0]
    (tmp_path / "garbage.json").write_text("{ not json")
    assert not window.open_file(tmp_path / "garbage.json")
    assert "garbage.json" in dialogs.errors[1]
    assert not window.open_file(tmp_path / "missing.json")
    assert "missing.json" in dialogs.errors[2]
    assert set(window.graph.nodes) == set(small_graph().nodes)  # the open network is untouched


def test_closing_unsaved_work_asks_first(make_window, dialogs, tmp_path):
    window = make_window(small_graph())
    window.editor.add_node("ReLU", (0, 300))
    dialogs.save_answer = "cancel"
    assert not window.close()
    assert window.isVisible() and dialogs.asked == ["small"]
    dialogs.save_answer = "save"
    dialogs.save_name = str(tmp_path / "kept.json")
    assert window.close()
    assert len(load_graph(tmp_path / "kept.json")) == 7


def test_new_and_open_replace_the_network_but_keep_listeners(make_window, dialogs, tmp_path):
    window = make_window(small_graph())
    graph_object = window.graph
    window.actions_["new"].trigger()
    assert window.graph is graph_object and len(window.graph) == 0 and not window.scene.node_items
    assert "empty network" in window.shape_status.text()
    path = tmp_path / "s.json"
    from netbuilder.core.io import save_graph

    save_graph(small_graph(), path)
    dialogs.open_name = str(path)
    window.actions_["open"].trigger()
    assert window.graph is graph_object and len(window.scene.node_items) == 6
    window.flush()
    assert window.scene.node_items["out"].footer == "← 10"


def test_recent_files_menu(make_window, tmp_path):
    from netbuilder.core.io import save_graph

    window = make_window(small_graph())
    for name in ("a.json", "b.json"):
        save_graph(small_graph(), tmp_path / name)
        window.open_file(tmp_path / name)
    assert storage.recent_files()[:2] == [str((tmp_path / "b.json").resolve()), str((tmp_path / "a.json").resolve())]
    window.recent_menu.aboutToShow.emit()
    names = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert names[:2] == ["b.json", "a.json"]
    window.recent_menu.actions()[1].trigger()
    assert window.current_path.name == "a.json"


def test_autosave_and_recovery_after_a_crash(make_window, dialogs):
    window = make_window(small_graph())
    window.editor.add_node("Dropout", (0, 300))
    window.document.autosave()  # what the one-minute timer does
    saved = window.document.autosaver.file
    record = json.loads(saved.read_text())
    assert record["name"] == "small" and len(record["graph"]["nodes"]) == 7
    assert find_orphans() == []  # its session is alive: not offered
    # simulate a crash: the file stays, its lock is gone with the process
    window.document.autosaver.lock.unlock()
    crashed = autosave_dir() / "session-1-1.json"
    saved.rename(crashed)
    fresh = make_window()
    assert fresh.document.offer_recovery()
    assert dialogs.asked[-1] == "small"
    assert len(fresh.graph) == 7 and fresh.graph.nodes_of_type("Dropout")
    assert fresh.document.modified and fresh.isWindowModified()
    assert not crashed.exists()  # offered once


def test_clean_work_is_not_autosaved(make_window):
    window = make_window(small_graph())
    window.document.autosave()
    assert not window.document.autosaver.file.exists()
    window.editor.add_node("ReLU", (0, 300))
    window.document.autosave()
    assert window.document.autosaver.file.exists()
    window.undo_stack.undo()
    window.document.autosave()
    assert not window.document.autosaver.file.exists()
