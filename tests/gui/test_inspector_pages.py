"""The inspector keeps the pages it built (gui/inspector_pages.py): going back to a
layer shows its kept page with the graph's current values, a removed layer's page
goes, a field applies to the layer of its own page, and selecting several layers
at once announces the selection once."""

from __future__ import annotations

from gui_helpers import small_graph

from netbuilder.core.spec import all_specs
from netbuilder.gui.inspector_pages import LIMIT


def test_going_back_to_a_layer_reuses_its_page_with_current_values(make_window):
    window = make_window(small_graph())
    inspector = window.inspector
    window.scene.select_nodes(["conv"])
    conv_page, conv_editor = inspector.page(), inspector.editors["out_channels"]
    window.scene.select_nodes(["fc"])
    assert inspector.page() is not conv_page and inspector.node_id == "fc"
    window.editor.set_params("conv", {"out_channels": 11})  # changed while its page is hidden
    window.scene.select_nodes(["conv"])
    assert inspector.page() is conv_page and inspector.editors["out_channels"] is conv_editor
    assert conv_editor.value() == 11
    window.flush()
    facts = " ".join(inspector.facts.itemAt(i).widget().text() for i in range(inspector.facts.count())
                     if inspector.facts.itemAt(i).widget() is not None)
    assert "11" in facts  # the output shape 11×24×24 of the new value, not the kept page's old one
    window.scene.clearSelection()
    network = inspector.page()
    assert inspector.network_status is not None
    window.scene.select_nodes(["conv"])
    window.scene.clearSelection()
    assert inspector.page() is network  # the network page is kept too


def test_layers_of_one_type_share_a_page_and_fields_apply_to_the_one_shown(make_window):
    from netbuilder.core.graph import Graph

    g = Graph(name="two")
    g.add_node("Input", {"shape": [8]}, id="x")
    g.add_node("Linear", {"out_features": 4}, pos=(220.0, 0.0), id="a")
    g.add_node("Linear", {"out_features": 6}, pos=(440.0, 0.0), id="b")
    g.add_edge("x", "a")
    g.add_edge("a", "b")
    window = make_window(g)
    inspector = window.inspector
    window.scene.select_nodes(["a"])
    page, editor = inspector.page(), inspector.editors["out_features"]
    window.scene.select_nodes(["b"])
    assert inspector.page() is page and inspector.editors["out_features"] is editor
    assert editor.value() == 6 and inspector.node_id == "b"
    title = [w.text() for w in page.findChildren(type(inspector.status)) if w.objectName() == "InspectorTitle"]
    assert title == ["b"]
    editor.edited.emit(9)  # what typing into the field sends
    assert window.graph.nodes["b"].params["out_features"] == 9
    assert window.graph.nodes["a"].params["out_features"] == 4


def test_a_removed_layer_then_undone_shows_the_graph_again(make_window):
    window = make_window(small_graph())
    inspector = window.inspector
    window.scene.select_nodes(["fc"])
    window.scene.select_nodes(["conv"])
    window.editor.delete(["fc"])
    window.undo_stack.undo()
    window.scene.select_nodes(["fc"])
    assert inspector.node_id == "fc" and inspector.editors["out_features"].value() == 10


def test_a_sharing_layer_has_a_page_of_its_own_dropped_with_it(make_window):
    from netbuilder.core.graph import Graph

    g = Graph(name="shared")
    g.add_node("Input", {"shape": [8]}, id="x")
    for i, nid in enumerate(("a", "b", "c")):
        g.add_node("Linear", {"out_features": 8}, pos=(220.0 * (i + 1), 0.0), id=nid)
    g.add_edge("x", "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.set_shares("b", "a")
    window = make_window(g)
    inspector = window.inspector
    window.scene.select_nodes(["b"])
    shared = inspector.page()
    window.scene.select_nodes(["c"])  # a plain Linear: the type's page, not b's
    assert inspector.page() is not shared
    window.scene.select_nodes(["b"])
    assert inspector.page() is shared  # kept while the sharing is as it was
    window.scene.select_nodes(["c"])
    window.editor.delete(["b"])
    window.flush()
    assert all(not isinstance(k, tuple) or k[:2] != ("node", "b") for k in inspector._pages._pages)


def test_pages_kept_are_bounded(make_window):
    from netbuilder.core.graph import Graph

    g = Graph(name="many")
    types = [s.type for s in all_specs() if s.params][:LIMIT + 6]
    for i, type_name in enumerate(types):
        g.add_node(type_name, pos=(220.0 * i, 0.0), id=f"n{i}")
    window = make_window(g)
    for i, type_name in enumerate(types):
        window.scene.select_nodes([f"n{i}"])
        assert window.inspector.node_id == f"n{i}"
    assert len(window.inspector._pages) <= LIMIT + 1
    assert window.inspector._stack.count() <= LIMIT + 2  # + a page replaced and not yet deleted


def test_a_field_applies_to_the_layer_of_its_own_page(make_window):
    window = make_window(small_graph())
    inspector = window.inspector
    window.scene.select_nodes(["fc"])
    fc_editor = inspector.editors["out_features"]
    window.scene.select_nodes(["conv"])
    fc_editor.edited.emit(7)  # what a field left as another page is shown would send
    assert window.graph.nodes["fc"].params["out_features"] == 7
    assert window.graph.nodes["conv"].params.get("out_features") is None


def test_selecting_several_layers_announces_the_selection_once(make_window):
    window = make_window(small_graph())
    seen: list[int] = []
    scene = window.scene

    def count() -> None:
        seen.append(len(scene.selected_node_ids()))

    scene.selectionChanged.connect(count)
    window.scene.select_nodes(["conv", "relu", "flat", "fc"])
    assert seen == [4]
    assert window.inspector.node_id is None and "4 layers selected" in window.inspector._multi_title.text()
    window.scene.select_nodes(["conv", "relu", "flat", "fc"])  # nothing changes: nothing announced
    assert seen == [4]
    scene.selectionChanged.disconnect(count)  # the window's teardown clears the selection
