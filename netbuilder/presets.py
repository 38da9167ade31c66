"""The shipped presets: list them, find their files, load them. No Qt.

Presets are ordinary graph files in the repository's presets/ folder (made by
presets/make_presets.py); a wheel carries them as netbuilder/_presets
(netbuilder/paths.py finds either). The GUI's Presets menu and `netbuilder presets`
both read this module. Listing loads each file once (cached by modification
time) and counts its parameters on the meta device, so it allocates nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from netbuilder.core.graph import Graph
from netbuilder.core.io import load_graph
from netbuilder.paths import presets_dir

# NETBUILDER_PRESETS_DIR overrides the folder.
PRESETS_DIR = presets_dir()

GROUPS = ("CNNs", "Dense", "RNNs", "Autoencoders & generative")

# Menu order and group of every shipped preset; files not listed here are
# still shown, after these, in a group inferred from their layers.
CATALOG: dict[str, str] = {
    "lenet_digits": "CNNs", "lenet5": "CNNs", "alexnet": "CNNs", "vgg16": "CNNs", "resnet18": "CNNs",
    "googlenet": "CNNs", "mobilenet_v2": "CNNs", "resnet_digits": "CNNs", "mobilenet_digits": "CNNs",
    "perceptron": "Dense", "mlp_iris": "Dense", "mlp_digits": "Dense",
    "rnn_digits": "RNNs", "lstm_digits": "RNNs", "gru_digits": "RNNs", "rnn_stacked_digits": "RNNs",
    "rnn_bidirectional_digits": "RNNs", "rnn_many_to_many": "RNNs", "lstm_sine_forecaster": "RNNs",
    "ae_vanilla": "Autoencoders & generative", "ae_undercomplete": "Autoencoders & generative",
    "ae_sparse_l1": "Autoencoders & generative", "ae_sparse_kl": "Autoencoders & generative",
    "ae_denoising": "Autoencoders & generative", "ae_contractive": "Autoencoders & generative",
    "ae_conv": "Autoencoders & generative", "vae": "Autoencoders & generative", "rbm": "Autoencoders & generative",
    "deep_sigmoid_mlp": "Dense", "deep_relu_bn_mlp": "Dense", "rnn_exploding": "RNNs", "rnn_clipped": "RNNs",
    "vit_digits": "CNNs", "mobilenet_v3_digits": "CNNs", "rnn_one_to_many": "RNNs", "siamese_digits": "Dense",
    "lstm_sentiment": "RNNs", "transformer_sentiment": "RNNs", "rnn_one_to_one": "RNNs",
    "mobilenet_v3_small": "CNNs", "efficientnet_b0": "CNNs",
    "lenet5_mnist": "CNNs", "mlp_mnist": "Dense", "ae_conv_fashion": "Autoencoders & generative",
    "vae_fashion": "Autoencoders & generative", "vgg_cifar10": "CNNs", "resnet20_cifar10": "CNNs",
    "mobilenet_v2_cifar10": "CNNs",
}
DEFAULT_PRESET = "lenet_digits"  # what the editor opens with no file


class PresetError(LookupError):
    """No preset of that name; the message lists the ones there are."""


@dataclass(frozen=True)
class PresetInfo:
    name: str  # file name without .json; what `preset_path` takes
    file: Path
    title: str  # the graph's name
    description: str  # what the preset teaches
    group: str  # one of GROUPS
    input_shape: list[int | None] | None  # the first Input node's shape (batch excluded)
    params: int  # total parameters

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["file"] = str(self.file)
        return out


_cache: dict[Path, tuple[tuple[int, int], PresetInfo]] = {}


def list_presets(directory: Path | None = None) -> list[PresetInfo]:
    """Every preset in `directory` (default PRESETS_DIR), catalog order first."""
    folder = Path(directory) if directory is not None else PRESETS_DIR
    order = {name: i for i, name in enumerate(CATALOG)}
    files = sorted(folder.glob("*.json"), key=lambda p: (order.get(p.stem, len(order)), p.stem))
    return [_info(path) for path in files]


def preset_path(name: str) -> Path:
    """The file of preset `name` (with or without .json)."""
    stem = name[:-5] if name.endswith(".json") else name
    path = PRESETS_DIR / f"{stem}.json"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(PRESETS_DIR.glob("*.json"))) or "none found"
        raise PresetError(f"no preset named {name!r} in {PRESETS_DIR}; presets: {known}")
    return path


def load_preset(name: str) -> Graph:
    """A fresh Graph of preset `name` (edits never touch the file)."""
    return load_graph(preset_path(name))


def _info(path: Path) -> PresetInfo:
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    graph = load_graph(path)
    info = PresetInfo(name=path.stem, file=path, title=graph.name, description=graph.description,
                      group=CATALOG.get(path.stem) or infer_group(graph), input_shape=_input_shape(graph),
                      params=_count(graph))
    _cache[path] = (stamp, info)
    return info


def _input_shape(graph: Graph) -> list[int | None] | None:
    inputs = graph.nodes_of_type("Input")
    return list(inputs[0].params["shape"]) if inputs else None


def _count(graph: Graph) -> int:
    from netbuilder.core.shapes import check
    from netbuilder.core.summary import count_params

    return count_params(graph, check(graph))


def infer_group(graph: Graph) -> str:
    """The menu group of a graph from what it contains."""
    types = {n.type for n in graph}
    if "RepeatVector" in types and types & {"RNN", "LSTM", "GRU"}:
        return "RNNs"  # one-to-many: a vector unrolled into a sequence, whatever it is trained to give
    if types & {"Sampling", "RBM", "Encoder", "Decoder", "ConvEncoder", "ConvDecoder"} or \
            graph.training.get("task") == "reconstruction":
        return "Autoencoders & generative"
    if types & {"RNN", "LSTM", "GRU", "Embedding"}:
        return "RNNs"  # sequence models: a text Transformer sits with the LSTM it is compared to
    if types & {"Conv1d", "Conv2d"}:
        return "CNNs"
    return "Dense"
