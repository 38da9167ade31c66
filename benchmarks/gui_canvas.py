"""How the editor's canvas copes with big networks (prints timings; not a test).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_canvas.py [--copies 3]

Opens GoogLeNet (≈200 layers) repeated side by side `--copies` times, then
times: building the window, one full repaint when fitted and at 100 %, a
parameter edit near the input (shape re-check + canvas update), an undo,
pasting 50 layers, and a full relayout.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def big_graph(copies: int):
    from netbuilder.core.graph import Graph
    from netbuilder.presets import load_preset

    base = load_preset("googlenet")
    g = Graph(name=f"{copies}× GoogLeNet")
    width = max(n.pos[0] for n in base) + 400
    for c in range(copies):
        for n in base:
            g.add_node(n.type, n.params, pos=(n.pos[0] + c * width, n.pos[1]), id=f"{n.id}_{c}")
        for e in base.edges:
            g.add_edge(f"{e.src}_{c}", f"{e.dst}_{c}", e.src_port, e.dst_port)
    return g


def timed(label: str, fn, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    ms = (time.perf_counter() - start) * 1000 / repeat
    print(f"{label:<44} {ms:8.1f} ms")
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=2)
    args = parser.parse_args()
    from PySide6.QtGui import QImage, QPainter

    from netbuilder.gui.app import ensure_app, settle
    from netbuilder.gui.main_window import MainWindow

    app = ensure_app()
    graph = big_graph(args.copies)
    print(f"{len(graph)} layers, {len(graph.edges)} connections")
    window = None

    def build():
        nonlocal window
        window = MainWindow(graph)
        window.resize(1600, 1000)
        window.show()
        settle()

    timed("open window", build)
    view = window.view
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)

    def paint():
        view.viewport().update()
        painter = QPainter(image)
        view.render(painter)
        painter.end()

    view.fit_to_view()
    timed("repaint, whole network in view", paint, 5)
    view.resetTransform()
    view.centerOn(window.scene.node_items[next(iter(graph.nodes))].pos())
    timed("repaint at 100 %", paint, 5)
    first_conv = next(n.id for n in graph if n.type == "Conv2d")
    values = iter(range(20, 2000))

    def edit():
        window.editor.set_params(first_conv, {"out_channels": next(values)})
        window.live.flush()

    timed("edit a param near the input (+ re-check)", edit, 10)
    timed("undo that edit", lambda: (window.undo_stack.undo(), window.live.flush()), 5)
    ids = list(graph.nodes)[:50]
    timed("paste 50 layers", lambda: (window.editor.paste(window.editor.copy(ids)), window.live.flush()))
    timed("auto-layout", window.auto_layout)
    window.document.close()
    window.training_dock.shutdown()
    app.processEvents()


if __name__ == "__main__":
    main()
