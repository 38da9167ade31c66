"""Training settings form: dataset, loss terms, optimizer, lr, batch size,
epochs, device, seed, early stopping.

The form edits a copy of the graph's `training` block: `load()` shows a
block, every user edit emits `changed(new_block)` and the dock stores it in
the graph (through the undo stack). Keys the form does not show (schedule,
weight_decay, dataset_options, ...) are carried through untouched.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QMenu,
    QSpinBox, QToolButton, QWidget,
)

from netbuilder.gui.big_int_spin import BigIntSpin
from netbuilder.gui.param_editors import FloatSpin
from netbuilder.gui.training import downloads, engine
from netbuilder.gui.training.loss_table import LossTable
from netbuilder.gui.training.more_settings import MoreSettings
from netbuilder.train.settings import MAX_COUNT, MAX_SEED

DATA_FILTER = "Data files (*.csv *.csv.gz *.npz *.idx *-ubyte *.ubyte *.gz);;All files (*)"


class TrainingControls(QWidget):
    changed = Signal(dict)  # the new training block, after a user edit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._block: dict[str, Any] = {}
        self._loading = False
        self.graph = None
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)

        self.dataset = QComboBox()
        self.dataset.setToolTip("built-in or named dataset (MNIST, CIFAR…: downloaded once), or a CSV / .npz / "
                                "IDX file or a folder")
        for name in engine.builtin_datasets():
            self.dataset.addItem(name)
            self.dataset.setItemData(self.dataset.count() - 1, engine.dataset_help(name), Qt.ItemDataRole.ToolTipRole)
        for name in downloads.named_datasets():  # item data = the name; the label says when it downloads
            self.dataset.addItem(downloads.picker_label(name), name)
            self.dataset.setItemData(self.dataset.count() - 1, downloads.picker_tooltip(name),
                                     Qt.ItemDataRole.ToolTipRole)
        browse = QToolButton(text="…")
        browse.setToolTip("use your own data")
        browse.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(browse)
        menu.addAction("Data file (CSV, npz, IDX)…", self._browse_file)
        menu.addAction("Folder (image sub-folders per class, or MNIST / CIFAR files)…", self._browse_folder)
        browse.setMenu(menu)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.dataset, 1)
        row.addWidget(browse)
        form.addRow("Dataset", row)

        self.task = QComboBox()
        self.task.addItem("auto (from dataset)", None)
        for task in engine.tasks():
            self.task.addItem(task, task)
        form.addRow("Task", self.task)

        self.loss = LossTable(self)
        form.addRow("Loss", self.loss)

        self.optimizer = QComboBox()
        self.optimizer.addItems(engine.optimizers())
        form.addRow("Optimizer", self.optimizer)
        # wide range, many decimals: the form must show any lr a file holds without rounding it
        self.lr = _float_box(1e-300, 1e300, 323, "learning rate")  # every lr the trainer takes, unrounded
        form.addRow("Learning rate", self.lr)
        self.batch_size = _int_box(1, MAX_COUNT, "samples per optimizer step")
        form.addRow("Batch size", self.batch_size)
        self.epochs = _int_box(1, MAX_COUNT, "passes over the training set")
        form.addRow("Epochs", self.epochs)
        self.device = QComboBox()
        self.device.setToolTip("auto picks a GPU when one is available")
        self.device.addItem("auto")
        form.addRow("Device", self.device)
        self.seed = BigIntSpin()  # seeds are 64-bit: a QSpinBox would clamp them
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("random seed: same seed, same run")
        form.addRow("Seed", self.seed)

        self.early = QCheckBox("no gain for")
        self.early.setToolTip("stop when the validation loss has not improved for this many epochs")
        self.patience = _int_box(1, 10_000, "epochs without improvement before stopping")
        self.patience.setSuffix(" epochs")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.early)
        row.addWidget(self.patience)
        form.addRow("Early stop", row)
        self.more_button = QToolButton()
        self.more_button.setText("More settings")
        self.more_button.setCheckable(True)
        self.more_button.setToolTip("every other key of the training block: gradient clipping, RBM "
                                    "contrastive divergence, momentum, betas, weight decay, schedule, split...")
        self.more = MoreSettings(self)
        self.more.setVisible(False)
        self.more_button.toggled.connect(self.more.setVisible)
        self.more.changed.connect(self.set_setting)
        form.addRow(self.more_button)
        form.addRow(self.more)
        for combo in (self.dataset, self.task, self.optimizer, self.device):
            # long file paths must not widen the dock
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)

        # each widget writes only its own key, so the file changes by the edited setting alone
        self._getters = {
            "dataset": lambda: self.dataset.currentData() or self.dataset.currentText(),
            "task": self.task.currentData,
            "loss": self.loss.terms,
            "optimizer": self.optimizer.currentText,
            "lr": lambda: float(f"{self.lr.value():.12g}"),
            "batch_size": self.batch_size.value,
            "epochs": self.epochs.value,
            "device": self.device.currentText,
            "seed": self.seed.value,
            "early_stopping": self._early_stopping,
        }
        signals = {"dataset": self.dataset.currentIndexChanged, "task": self.task.currentIndexChanged,
                   "loss": self.loss.edited, "optimizer": self.optimizer.currentIndexChanged,
                   "lr": self.lr.valueChanged, "batch_size": self.batch_size.valueChanged,
                   "epochs": self.epochs.valueChanged, "device": self.device.currentIndexChanged,
                   "seed": self.seed.valueChanged, "early_stopping": self.early.toggled}
        for key, signal in signals.items():
            signal.connect(lambda *_, key=key: self._on_edit(key))
        self.patience.valueChanged.connect(lambda *_: self._on_edit("early_stopping"))
        self.early.toggled.connect(self.patience.setEnabled)
        self.task.currentIndexChanged.connect(lambda _: self.loss.set_defaults(self._default_terms()))

    # ------------------------------------------------------------- devices
    def fill_devices(self) -> None:
        """List what this machine has (imports torch, so called lazily)."""
        current = self._block.get("device", "auto")
        names = ["auto"] + [d for d in engine.devices() if d != "auto"]
        self._loading = True
        self.device.clear()
        self.device.addItems(names)
        self._set_combo(self.device, str(current))
        self._loading = False

    # ----------------------------------------------------------- load/save
    def load(self, block: dict[str, Any], graph: Any = None) -> None:
        """Show a training block (on open, undo, or another view's edit)."""
        self._block = copy.deepcopy(dict(block or {}))
        self.graph = graph if graph is not None else self.graph
        b = self._block
        self._loading = True
        try:
            self._set_combo(self.dataset, str(b.get("dataset") or self._default_dataset()))
            index = self.task.findData(b.get("task"))
            self.task.setCurrentIndex(max(index, 0))
            self._set_combo(self.optimizer, str(b.get("optimizer", "adam")))
            self.lr.setValue(float(b.get("lr", 1e-3)))
            self.batch_size.setValue(int(b.get("batch_size", 64)))
            self.epochs.setValue(int(b.get("epochs", 10)))
            self._set_combo(self.device, str(b.get("device", "auto")))
            self.seed.setValue(int(b.get("seed", 0)))
            early = b.get("early_stopping")
            self.early.setChecked(bool(early))
            self.patience.setEnabled(bool(early))
            self.patience.setValue(int(_patience(early)))
            self.loss.load(b.get("loss"), self._default_terms(), _node_refs(self.graph))
            self.more.load(b)
        finally:
            self._loading = False

    def training(self) -> dict[str, Any]:
        """The block as the form shows it, every setting filled in (unknown keys kept)."""
        block = copy.deepcopy(self._block)
        for key in self._getters:
            self._put(block, key)
        return block

    def _put(self, block: dict[str, Any], key: str) -> None:
        value = self._getters[key]()
        if value is None and key in ("task", "loss"):
            block.pop(key, None)  # auto task; default loss terms follow the graph
        else:
            block[key] = value

    def _early_stopping(self) -> dict[str, Any] | None:
        if not self.early.isChecked():
            return None
        return {**_early_dict(self._block.get("early_stopping")), "patience": self.patience.value()}

    def _on_edit(self, key: str) -> None:
        if self._loading:
            return
        block = copy.deepcopy(self._block)
        self._put(block, key)
        if block != self._block:
            self._block = copy.deepcopy(block)
            self.changed.emit(block)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting chosen elsewhere in the dock (e.g. the feature-map layer)."""
        if self._block.get(key) != value:
            self._block = {**copy.deepcopy(self._block), key: value}
            self.changed.emit(copy.deepcopy(self._block))

    def refresh_defaults(self) -> None:
        """The graph changed: loss terms still on their defaults follow it (adding a
        Sampling node brings the KL term), as the trainer's own defaults would."""
        self.loss.set_defaults(self._default_terms())

    # -------------------------------------------------------------- helpers
    def _default_terms(self) -> list[dict[str, Any]]:
        return engine.default_loss_terms(self.graph, self.task.currentData()) if self.graph is not None else []

    def _default_dataset(self) -> str:
        if self.graph is None:
            return "digits"
        inputs = [n for n in self.graph if n.type == "Input"]
        return engine.dataset_for_input(inputs[0].params.get("shape") if inputs else None)

    def refresh_named(self) -> None:
        """A named dataset was downloaded (or removed): its label drops or gains '(download NN MB)'."""
        for i in range(self.dataset.count()):
            name = self.dataset.itemData(i)
            if name:
                self.dataset.setItemText(i, downloads.picker_label(name))

    def _set_combo(self, combo: QComboBox, text: str) -> None:
        index = combo.findData(text)  # a named dataset's item shows a label, its data is the name
        if index < 0:
            index = combo.findText(text)
        if index < 0:
            combo.addItem(text)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Training data", "", DATA_FILTER)
        if path:
            self._set_combo(self.dataset, path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)")
        if path:
            self._set_combo(self.dataset, path)

    def set_running(self, running: bool) -> None:
        """Settings apply at Start; while a run goes on they stay editable for the next one."""
        self.setToolTip("changes apply to the next run" if running else "")


def _patience(early: Any) -> int:
    if isinstance(early, dict):
        return int(early.get("patience", 5))
    if isinstance(early, int) and not isinstance(early, bool):
        return early
    return 5


def _early_dict(early: Any) -> dict[str, Any]:
    return dict(early) if isinstance(early, dict) else {}


def _node_refs(graph: Any) -> list[str]:
    if graph is None:
        return []
    return [n.id for n in graph if n.type != "Input"]


def _float_box(lo: float, hi: float, decimals: int, tip: str) -> QDoubleSpinBox:
    box = FloatSpin()  # shows 0.001 or 3e-05, not 0.0010000
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


def _int_box(lo: int, hi: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box
