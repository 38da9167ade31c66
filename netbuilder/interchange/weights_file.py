"""Read trained weights from a file: a NetBuilder checkpoint (graph + state_dict)
or a bare state_dict, always with torch.load(weights_only=True) so a
checkpoint can never run code (`netbuilder export --checkpoint`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from netbuilder.interchange.export_errors import ExportError

if TYPE_CHECKING:  # pragma: no cover
    import torch


class WeightsFileError(ExportError):
    """The file holds no usable state_dict; the message says why."""


def load_state_dict_file(path: str | os.PathLike) -> dict[str, "torch.Tensor"]:
    """The model weights in a checkpoint (graph + state_dict) or a bare state_dict file.

    Loaded with weights_only=True: a checkpoint can never run code.
    """
    import warnings

    import torch

    try:
        with warnings.catch_warnings():
            # a TorchScript archive makes torch warn before it refuses it: the refusal is the message
            warnings.filterwarnings("ignore", message=".*TorchScript archive", category=UserWarning)
            data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise WeightsFileError(f"checkpoint {path}: no such file") from None
    except Exception as exc:  # unpickling errors come in many types
        raise WeightsFileError(f"checkpoint {path}: cannot read it as PyTorch weights ({_load_failure(exc)})") from None
    if isinstance(data, dict):
        for key in ("state_dict", "model_state", "model"):
            if isinstance(data.get(key), dict):
                data = data[key]
                break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise WeightsFileError(f"checkpoint {path}: found no state_dict of tensors in it")
    return dict(data)


def _load_failure(exc: Exception) -> str:
    """torch's weights_only refusal is a page of advice (with terminal colours) ending in
    'load it with weights_only=False': say instead what was refused, and that it stays refused."""
    import re

    text = str(exc)
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found:
        return (f"it contains a Python object ({found.group(1)}), not only tensors; NetBuilder loads "
                "weights only, so a checkpoint can never run code")
    if "TorchScript archive" in text:
        return ("it is a TorchScript model (netbuilder export --format torchscript), not a state_dict; use the "
                "training checkpoint or a --format state-dict export")
    if "Weights only load failed" in text:
        return "not a PyTorch weights file, or a damaged one"
    first = re.split(r"\.\s|\n", re.sub(r"\x1b\[[0-9;]*m", "", text))[0]  # its first sentence
    return first[:300] or type(exc).__name__
