"""Run an exported ONNX file to verify it: onnxruntime when installed, else
onnx's own reference evaluator (pure NumPy, always available with onnx).

The reference evaluator's ConvTranspose handles neither groups nor dilation;
an implementation of the ONNX operator's definition on torch's
conv_transpose replaces it, so those graphs can be verified too.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any, Mapping


class OnnxCheckError(ValueError):
    """The ONNX file is invalid or cannot be run; the message says why."""


def run_onnx(path: str | Path, feeds: Mapping[str, Any]) -> tuple[list, str]:
    """Outputs (as torch tensors) of the ONNX file at `path` for `feeds`
    (input name -> tensor), and the name of what ran it."""
    import onnx
    import torch

    arrays = {k: v.numpy() for k, v in feeds.items()}
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx raises its own ValidationError, DecodeError...
        raise OnnxCheckError(f"the written ONNX file is not valid: {first_line(exc)}") from None
    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outs, checker = session.run(None, arrays), "onnxruntime"
    else:
        from onnx.reference import ReferenceEvaluator

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                evaluator = ReferenceEvaluator(model, new_ops=[_conv_transpose_op()])
                outs, checker = evaluator.run(None, arrays), "onnx.reference"
        except Exception as exc:  # an operator the evaluator cannot run
            raise OnnxCheckError(f"onnx.reference cannot run the file ({first_line(exc)}); install onnxruntime "
                                 "to verify it") from None
    return [torch.from_numpy(o.copy()) for o in outs], checker


def _conv_transpose_op() -> type:
    from onnx.reference.op_run import OpRun

    class ConvTranspose(OpRun):
        """ONNX ConvTranspose by its definition: a full transposed convolution
        (no padding), output_padding zeros at the end, then pads cropped."""

        def _run(self, X, W, B=None, auto_pad=None, dilations=None, group=None, kernel_shape=None,
                 output_padding=None, output_shape=None, pads=None, strides=None):
            import torch
            import torch.nn.functional as F

            n = X.ndim - 2
            if (auto_pad not in (None, "NOTSET", b"NOTSET")) or output_shape is not None or n not in (1, 2, 3):
                raise NotImplementedError("ConvTranspose with auto_pad or output_shape")
            strides, dilations = list(strides or [1] * n), list(dilations or [1] * n)
            pads, extra = list(pads or [0] * 2 * n), list(output_padding or [0] * n)
            conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
            y = conv(torch.tensor(X), torch.tensor(W), None, strides, 0, 0, group or 1, dilations)
            y = F.pad(y, [v for i in reversed(range(n)) for v in (0, extra[i])])
            index = [slice(None), slice(None)] + [slice(pads[i], y.shape[2 + i] - pads[n + i]) for i in range(n)]
            y = y[tuple(index)]
            if B is not None:
                y = y + torch.tensor(B).reshape(1, -1, *([1] * n))
            return (y.numpy(),)

    return ConvTranspose


def first_line(exc: BaseException) -> str:
    """A one-line summary of an exception, without ANSI colours or the
    exporter's boilerplate ('Next steps: ...'); prefers its stated cause."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    text = re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "## Exception summary" in lines:
        after = lines[lines.index("## Exception summary") + 1:]
        if after:
            return after[0]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"
