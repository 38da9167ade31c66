"""File ▸ Export… and File ▸ Import from PyTorch…, the Compare panel and the
budget bar, installed into the main window by `install(window)`.

Export writes and verifies a snapshot of the graph, then shows the
verification result (or why nothing was written) in the dialog.
Import runs the chosen Python file — the dialog says so before anything runs.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDialog, QDialogButtonBox, QDockWidget, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QMainWindow, QMenu, QMessageBox, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from netbuilder.core.graph import Graph
from netbuilder.core.io import graph_from_dict, graph_to_dict

FORMATS = {"py": "Python code (.py)", "onnx": "ONNX (.onnx)", "torchscript": "TorchScript (.pt)",
           "state-dict": "State dict (.pt)"}
SUFFIX = {"py": ".py", "onnx": ".onnx", "torchscript": ".pt", "state-dict": ".pt"}
IMPORT_WARNING = ("⚠ Importing runs this Python file's code — everything at its top level, as "
                  "<code>python file.py</code> would, and the class's constructor. Only import files you trust.")


# ---------------------------------------------------------------- questions
# Module-level so tests can answer them instead of a modal dialog.
def choose_save_path(parent: QWidget | None, suggested: str, file_filter: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Export network", suggested, file_filter)
    return path


def choose_open_path(parent: QWidget | None, title: str, file_filter: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", file_filter)
    return path


def show_report(parent: QWidget | None, title: str, text: str, details: str = "", warning: bool = False) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information, title, text,
                      QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


# ------------------------------------------------------------------- export
def export_snapshot(data: dict, path: str, fmt: str, checkpoint: str, opset: int, mode: str) -> tuple[Any, str]:
    """(ExportResult, "") or (None, error message) — never an exception."""
    from netbuilder.commands.export import check_not_overwriting, read_weights
    from netbuilder.interchange.export import ExportError, export_graph

    try:
        check_not_overwriting(Path(path), fmt, checkpoint)
        state, notes = read_weights(checkpoint) if checkpoint else (None, [])
        result = export_graph(graph_from_dict(data), path, fmt, state_dict=state, opset=opset,
                              torchscript_mode=mode)
        result.notes = notes
        return result, ""
    except ExportError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a message in the dialog, never a crashed editor
        return None, f"unexpected {type(exc).__name__}: {exc}"


class ExportDialog(QDialog):
    """Format, file and (optional) trained weights; Export writes and verifies."""

    finished_export = Signal(object, str)  # result, error

    def __init__(self, graph: Graph, folder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export network")
        self.graph, self.folder = graph, folder
        self.busy = False
        self.result_: Any = None
        self.error = ""
        self.format = QComboBox()
        for key, label in FORMATS.items():
            self.format.addItem(label, key)
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.checkpoint = QLineEdit()
        self.checkpoint.setPlaceholderText("optional: trained weights (a checkpoint or state_dict file)")
        browse_ckpt = QPushButton("Browse…")
        browse_ckpt.clicked.connect(self._browse_checkpoint)
        self.opset = QSpinBox()
        self.opset.setRange(17, 23)
        self.opset.setValue(18)
        self.mode = QComboBox()
        self.mode.addItems(["trace", "script"])
        self.status = QLabel("Every export is loaded back and checked against the network on a random batch.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("File:", _row(self.path, browse))
        form.addRow("Weights:", _row(self.checkpoint, browse_ckpt))
        self.opset_label, self.mode_label = QLabel("ONNX opset:"), QLabel("TorchScript:")
        form.addRow(self.opset_label, self.opset)
        form.addRow(self.mode_label, self.mode)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._on_format)
        self.path.textChanged.connect(lambda _: self._update_enabled())
        self._on_format()
        self.resize(560, 0)

    def fmt(self) -> str:
        return self.format.currentData()

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(list(FORMATS).index(fmt))

    def _default_path(self) -> str:
        stem = "".join(c if c.isalnum() else "_" for c in self.graph.name).strip("_").lower() or "network"
        return str(Path(self.folder or ".") / f"{stem}{SUFFIX[self.fmt()]}")

    def _on_format(self) -> None:
        fmt = self.fmt()
        text = self.path.text()
        if not text or any(text.endswith(s) for s in SUFFIX.values()):
            self.path.setText(str(Path(text).with_suffix(SUFFIX[fmt])) if text else self._default_path())
        for widget, visible in ((self.opset, fmt == "onnx"), (self.opset_label, fmt == "onnx"),
                                (self.mode, fmt == "torchscript"), (self.mode_label, fmt == "torchscript")):
            widget.setVisible(visible)
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.export_button.setEnabled(bool(self.path.text().strip()) and not self.busy)

    def _browse(self) -> None:
        fmt = self.fmt()
        path = choose_save_path(self, self.path.text(), f"{FORMATS[fmt]} (*{SUFFIX[fmt]});;All files (*)")
        if path:
            self.path.setText(path)

    def _browse_checkpoint(self) -> None:
        path = choose_open_path(self, "Trained weights", "Checkpoints (*.pt *.pth *.ckpt);;All files (*)")
        if path:
            self.checkpoint.setText(path)

    def start(self) -> None:
        """Export and verify. It runs here, in the GUI thread, behind a wait
        cursor: torch's exporters change process-wide state (warning filters,
        stdout) that must not leak into a running editor from a thread."""
        if self.busy:
            return
        self.busy = True
        self._update_enabled()
        self.status.setText("Exporting and verifying…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()  # show the text before the work starts
        try:
            result, error = export_snapshot(graph_to_dict(self.graph), self.path.text().strip(), self.fmt(),
                                            self.checkpoint.text().strip(), self.opset.value(),
                                            self.mode.currentText())
        finally:
            QApplication.restoreOverrideCursor()
            self.busy = False
        self._on_done(result, error)

    def _on_done(self, result: Any, error: str) -> None:
        self.result_, self.error = result, error
        if error:
            self.status.setText(f"✖ Not exported: {error}")
            self.status.setObjectName("StatusError")
        else:
            message = result.message()
            notes = "".join(f"<br>Note: {n}" for n in getattr(result, "notes", []))
            self.status.setText(f"✔ {message[0].upper()}{message[1:]}{notes}")
            self.status.setObjectName("StatusOk")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self._update_enabled()
        self.finished_export.emit(result, error)


# ------------------------------------------------------------------- import
def module_classes(path: str | Path) -> list[str]:
    """Class names defined at the top level of a Python file, found by
    parsing it (nothing runs): nn.Module subclasses first."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]

    def is_module(c: ast.ClassDef) -> bool:
        return any(ast.unparse(b).split(".")[-1] == "Module" for b in c.bases)

    return [c.name for c in classes if is_module(c)] + [c.name for c in classes if not is_module(c)]


class ImportDialog(QDialog):
    """File, class and input shape; the warning says the file will run."""

    def __init__(self, parent: QWidget | None = None, path: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from PyTorch")
        self.warning = QLabel(IMPORT_WARNING)
        self.warning.setWordWrap(True)
        self.warning.setObjectName("StatusError")
        self.path = QLineEdit(path)
        self.path.setPlaceholderText("a .py file defining an nn.Module")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.class_name = QComboBox()
        self.class_name.setEditable(True)
        self.shape = QLineEdit("1,28,28")
        self.shape.setToolTip("without the batch, e.g. 3,32,32; '?' = variable length; "
                              "several inputs: 1,28,28; 10")
        self.dtype = QComboBox()
        self.dtype.addItems(["float32", "int64"])
        self.kwargs = QLineEdit()
        self.kwargs.setPlaceholderText('optional constructor arguments as JSON, e.g. {"num_classes": 10}')
        self.problem = QLabel()
        self.problem.setObjectName("StatusError")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("File:", _row(self.path, browse))
        form.addRow("Class:", self.class_name)
        form.addRow("Input shape:", self.shape)
        form.addRow("Input type:", self.dtype)
        form.addRow("Arguments:", self.kwargs)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = self.buttons.addButton("Run File and Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._scan)
        self._scan()
        self.resize(560, 0)

    def _browse(self) -> None:
        path = choose_open_path(self, "Import from a Python file", "Python files (*.py);;All files (*)")
        if path:
            self.path.setText(path)

    def _scan(self) -> None:
        current = self.class_name.currentText()
        self.class_name.clear()
        self.class_name.addItems(module_classes(self.path.text()) if self.path.text() else [])
        if current and self.class_name.findText(current) < 0 and not self.class_name.count():
            self.class_name.setEditText(current)
        self.run_button.setEnabled(bool(self.path.text().strip()))

    def request(self) -> tuple[str, list, list[str], dict]:
        """(target, shapes, dtypes, kwargs) or ValueError naming what is wrong."""
        from netbuilder.commands.import_module import parse_shape

        path, cls = self.path.text().strip(), self.class_name.currentText().strip()
        if not path or not cls:
            raise ValueError("choose a Python file and the class to import")
        shapes = [parse_shape(s) for s in self.shape.text().split(";") if s.strip()]
        if not shapes:
            raise ValueError("give the input shape without the batch, e.g. 1,28,28")
        try:
            kwargs = json.loads(self.kwargs.text()) if self.kwargs.text().strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"arguments: not JSON ({exc.msg})") from None
        if not isinstance(kwargs, dict):
            raise ValueError("arguments must be a JSON object, e.g. {\"num_classes\": 10}")
        return f"{path}:{cls}", shapes, [self.dtype.currentText()] * len(shapes), kwargs

    def accept(self) -> None:
        try:
            self.request()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        super().accept()


def run_import(window: QMainWindow, dialog: ImportDialog) -> Any:
    """Run the file, trace the module, open the graph; report what was left out."""
    from netbuilder.interchange.fx_import import ModuleImportError, import_module, load_module_object

    target, shapes, dtypes, kwargs = dialog.request()
    try:
        module = load_module_object(target, kwargs)
        result = import_module(module, shapes, input_dtypes=dtypes)
    except ModuleImportError as exc:
        show_report(window, "Import failed", str(exc), warning=True)
        return None
    title = f"{result.graph.name} (imported)"
    if not window.document.open_graph(result.graph, title):
        return None
    if result.complete:
        window.statusBar().showMessage(f"Imported {target.rpartition(':')[2]}: {len(result.graph)} layers; "
                                       "outputs match the original.", 7000)
    else:
        show_report(window, "Imported with parts missing",
                    f"{len(result.skipped)} part(s) of {target.rpartition(':')[2]} have no NetBuilder layer and "
                    "were left unconnected. See the details.", result.report(), warning=True)
    return result


# ------------------------------------------------------------------ wiring
def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w, 1 if isinstance(w, QLineEdit) else 0)
    return box


def _file_menu(window: QMainWindow) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "File":
            return action.menu()
    return None


class ExportActions:
    """What `install` adds to a main window; kept on it as `window.export_actions`."""

    def __init__(self, window: QMainWindow) -> None:
        from netbuilder.gui.budget import BudgetBar
        from netbuilder.gui.diff_view import DiffPanel

        self.window = window
        self.export_action = self._action("&Export…", self.open_export, "Ctrl+E",
                                          "Export as Python code, ONNX, TorchScript or a state dict (verified)")
        self.import_action = self._action("&Import from PyTorch…", self.open_import, None,
                                          "Build a network from an nn.Module in a Python file (runs the file)")
        self.compare_action = self._action("&Compare with File…", self.compare, None,
                                           "Show what changed between this network and another file")
        self.budget = BudgetBar(window.graph, window.live, window.scene)
        window.statusBar().addPermanentWidget(self.budget)
        window.summary.follow(self.budget)  # the Summary reads the bar's counts: one count, sliced
        self.diff = DiffPanel(window.graph, window.scene, window.live)
        self.diff.node_activated.connect(window.reveal_node)
        self.diff_dock = QDockWidget("Compare", window)
        self.diff_dock.setObjectName("CompareDock")
        self.diff_dock.setWidget(self.diff)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.diff_dock)
        if hasattr(window, "summary_dock"):
            window.tabifyDockWidget(window.summary_dock, self.diff_dock)
            window.summary_dock.raise_()
        self.diff_dock.hide()
        menu = _file_menu(window)
        if menu is not None:
            before = getattr(window, "actions_", {}).get("quit")
            for action in (self.import_action, self.export_action, self.compare_action):
                menu.insertAction(before, action)
            menu.insertSeparator(before)
        self.dialog: ExportDialog | None = None

    def _action(self, text: str, slot, keys: str | None, tip: str) -> QAction:
        action = QAction(text, self.window)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.setStatusTip(tip)
        action.triggered.connect(lambda checked=False: slot())
        self.window.addAction(action)
        return action

    def open_export(self) -> ExportDialog:
        path = getattr(self.window, "current_path", None)
        self.dialog = ExportDialog(self.window.graph, str(path.parent) if path else "", self.window)
        self.dialog.show()
        return self.dialog

    def open_import(self) -> Any:
        dialog = ImportDialog(self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return run_import(self.window, dialog)

    def compare(self, path: str | None = None) -> bool:
        self.diff_dock.show()
        self.diff_dock.raise_()
        return self.diff.compare_with_file(path) if path else self.diff.choose_and_compare()


def install(window: QMainWindow) -> ExportActions:
    """Add File ▸ Import/Export/Compare, the Compare panel and the budget bar."""
    window.export_actions = ExportActions(window)
    return window.export_actions
