"""The Training dock's named datasets: the picker lists them, a missing one is
downloaded off the GUI thread with a progress row (cancellable), then trains.
Files come from a loopback server (tests/datasets/fake_sources.py)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from gui_training_helpers import FakeRun

from netbuilder.core.graph import Graph
from netbuilder.train.datasets import cache_folder, registry

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "datasets"))
from fake_sources import FileServer, mnist_like, spec_for, write_files  # noqa: E402

START_MS = 120_000  # the real child imports torch: slow on a busy 2-core machine


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "user"))  # the spawned child inherits it
    monkeypatch.delenv("NETBUILDER_DATASET_MIRROR", raising=False)


def mnist_mlp(epochs: int = 1) -> Graph:
    g = Graph(name="mlp", training={"dataset": "mnist", "epochs": epochs, "batch_size": 16, "lr": 0.01,
                                    "device": "cpu"})
    layers = [("input", "Input", {"shape": [1, 28, 28]}), ("flat", "Flatten", {}),
              ("fc", "Linear", {"out_features": 10}), ("output", "Output", {})]
    for node_id, kind, params in layers:
        g.add_node(kind, params, id=node_id)
    for (a, *_), (b, *_) in zip(layers, layers[1:]):
        g.add_edge(a, b)
    return g


def record_progress(row) -> list[tuple[str, int, int]]:
    seen: list[tuple[str, int, int]] = []
    show = row.show_progress

    def spy(file: str, done: int, total: int, elapsed: float) -> None:
        seen.append((file, done, total))
        show(file, done, total, elapsed)

    row.show_progress = spy
    return seen


class TrickleServer:
    """Sends one file in 4 KB pieces, 20 ms apart, so a test can cancel mid-download."""

    def __init__(self, name: str, data: bytes) -> None:
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                if not self.path.endswith("/" + name):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(0, len(data), 4096):
                    if server.closing.is_set():
                        return
                    self.wfile.write(data[i:i + 4096])
                    self.wfile.flush()
                    time.sleep(0.02)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_picker_lists_named_datasets_with_their_download_size(qtbot, monkeypatch):
    from netbuilder.gui.training.controls import TrainingControls

    files = mnist_like(train=32, test=16)
    monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, "http://127.0.0.1:9"))
    controls = TrainingControls()
    qtbot.addWidget(controls)
    combo = controls.dataset
    names = [combo.itemData(i) for i in range(combo.count())]
    for name in ("mnist", "fashion_mnist", "kmnist", "cifar10", "cifar100"):
        assert name in names
    assert "digits" in [combo.itemText(i) for i in range(combo.count())]  # the built-ins stay
    assert combo.itemText(names.index("cifar10")) == "cifar10 (download 170 MB)"
    assert "(download" in combo.itemText(names.index("mnist"))

    edits: list[dict] = []
    controls.changed.connect(edits.append)
    combo.setCurrentIndex(names.index("cifar10"))
    assert edits[-1]["dataset"] == "cifar10"  # the file stores the name, not the label
    controls.load({"dataset": "mnist"})
    assert combo.currentIndex() == names.index("mnist")
    assert controls.training()["dataset"] == "mnist"

    write_files(cache_folder("mnist"), files)
    controls.refresh_named()
    assert combo.itemText(names.index("mnist")) == "mnist"  # cached: no download label


@pytest.mark.slow
def test_missing_named_dataset_downloads_with_progress_then_trains(qtbot, host, monkeypatch):
    files = mnist_like(train=96, test=32)
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, server.url))
        window = host(mnist_mlp())
        dock = window.training_dock
        seen = record_progress(dock.download)
        assert dock.start()
        assert dock.download.busy and dock.download.isVisible()
        assert not dock.run_panel.start_button.isEnabled()
        qtbot.waitUntil(lambda: dock.run is not None, timeout=10_000)
    assert not dock.download.isVisible()
    last = len(files["t10k-labels-idx1-ubyte.gz"])  # the row samples progress: it ends on the last file, whole
    assert seen and seen[-1] == ("t10k-labels-idx1-ubyte.gz", last, last)
    assert "MB/s" in dock.download.speed.text()
    assert sorted(p.name for p in cache_folder("mnist").iterdir()) == sorted(files)
    started: list[dict] = []
    handle = dock._handle
    dock._handle = lambda event: (started.append(event) if event["event"] == "started" else None, handle(event))
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_MS)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    assert started and started[0]["num_train"] == 96 and started[0]["num_val"] == 32


def test_cancel_stops_the_download_and_the_dock_is_idle(qtbot, host, monkeypatch, fake_runs):
    big = {**mnist_like(train=32, test=16), "train-images-idx3-ubyte.gz": bytes(range(256)) * 4096}  # 1 MB
    server = TrickleServer("train-images-idx3-ubyte.gz", big["train-images-idx3-ubyte.gz"])
    try:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", big, server.url))
        window = host(mnist_mlp())
        dock = window.training_dock
        dock.run_factory = fake_runs
        ended: list[str] = []
        dock.run_ended.connect(ended.append)
        seen = record_progress(dock.download)
        assert dock.start()
        qtbot.waitUntil(lambda: bool(seen) and seen[-1][1] > 0, timeout=10_000)
        assert "train-images-idx3-ubyte.gz" in dock.download.label.text()
        dock.download.cancel_button.click()
        assert not dock.download.busy and not dock.download.isVisible()
        assert dock.run_panel.state == "idle" and dock.run_panel.start_button.isEnabled()
        assert dock.run is None and not FakeRun.instances  # no run started
        assert "cancelled" in dock.run_panel.banner.text()
        assert dock.outcome == "stopped" and ended == ["stopped"]  # `--train --screenshot` stops waiting
        dock.download.wait()
    finally:
        server.close()
    folder = cache_folder("mnist")
    part = folder / "train-images-idx3-ubyte.gz.part"
    assert part.is_file() and 0 < part.stat().st_size < len(big["train-images-idx3-ubyte.gz"])  # kept for resume
    assert not (folder / "train-images-idx3-ubyte.gz").exists()
    window.graph.add_node("ReLU", {}, id="still_editable")  # the editor is usable
    assert "still_editable" in window.graph.nodes


def test_unreachable_server_shows_one_message_naming_dataset_and_folder(qtbot, host, monkeypatch, fake_runs):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    files = mnist_like(train=32, test=16)
    monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, f"http://127.0.0.1:{port}"))
    window = host(mnist_mlp())
    dock = window.training_dock
    dock.run_factory = fake_runs
    ended: list[str] = []
    dock.run_ended.connect(ended.append)
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "failed", timeout=15_000)
    assert ended == ["failed"]
    text = dock.run_panel.banner.text()
    assert dock.run_panel.banner_kind == "error"
    assert "'mnist'" in text and str(cache_folder("mnist")) in text and f"127.0.0.1:{port}" in text
    assert "Traceback" not in text
    assert dock.run_panel.state == "idle" and not dock.download.isVisible()
    assert dock.run is None and not FakeRun.instances
