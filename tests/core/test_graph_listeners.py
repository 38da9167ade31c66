"""A failing change listener never stops the others from hearing of an edit."""

from __future__ import annotations

import logging

from netbuilder.core.graph import Graph


def test_every_listener_hears_an_edit_even_after_one_fails(caplog):
    g = Graph()
    heard: list[str] = []

    def broken(event):
        raise RuntimeError("view crashed")

    g.subscribe(lambda e: heard.append("first:" + e.kind))
    g.subscribe(broken)
    g.subscribe(lambda e: heard.append("last:" + e.kind))
    with caplog.at_level(logging.ERROR, logger="netbuilder.core.graph"):
        node = g.add_node("Input", {"shape": [4]})
    assert len(g.nodes) == 1
    assert [h.split(":")[0] for h in heard] == ["first", "last"]
    assert "view crashed" in caplog.text and "failed on" in caplog.text
