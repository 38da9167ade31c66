"""What a layer responds to: its kernels as images, and the input that
maximises one of its channels (activation maximisation, DeepDream-style).

`maximise` runs gradient ascent on the input from small noise: each step
jitters the image by a random shift (so the result does not hinge on exact
pixel positions), takes an Adam step up the channel's mean activation minus
a little L2, and every few steps blurs it slightly (so high-frequency noise,
which excites any filter, does not win). Batched: one image per channel,
one ascent. Qt-free; `save_png` writes with Pillow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

STEPS = 64
LR = 0.05
JITTER = 1
BLUR_EVERY = 4
L2 = 1e-3


class VisualizeError(ValueError):
    """The node or channel cannot be visualised; the message says why."""


def kernel_images(weight: torch.Tensor | np.ndarray) -> np.ndarray:
    """A conv weight (out, in, kh, kw) as one image per output channel:
    (out, kh, kw, 3) RGB when in == 3, else (out, kh, kw) averaged over inputs."""
    w = np.asarray(weight.detach().cpu() if isinstance(weight, torch.Tensor) else weight, dtype=np.float32)
    if w.ndim == 3:  # Conv1d: (out, in, k) -> one row per kernel
        w = w[:, :, None, :]
    if w.ndim != 4:
        raise VisualizeError(f"a conv kernel has 4 dims (out, in, kh, kw), this weight has shape {list(w.shape)}")
    if w.shape[1] == 3:
        return np.transpose(w, (0, 2, 3, 1))
    return w.mean(axis=1)


def channel_objective(act: torch.Tensor, channels: torch.Tensor) -> torch.Tensor:
    """Per sample b, the mean of its channel channels[b]: dim 1 of (N, C, ...)
    outputs; the last dim of (N, T, F) sequences."""
    if act.dim() == 2:
        return act.gather(1, channels[:, None])[:, 0]
    if act.dim() == 3 and act.shape[1] != act.shape[-1]:  # (N, T, F): features last
        idx = channels[:, None, None].expand(-1, act.shape[1], 1)
        return act.gather(2, idx).mean(dim=(1, 2))
    flat = act.flatten(2)
    idx = channels[:, None, None].expand(-1, 1, flat.shape[2])
    return flat.gather(1, idx).mean(dim=(1, 2))


def channel_count(act_shape: Sequence[int]) -> int:
    if len(act_shape) == 2:
        return int(act_shape[1])
    if len(act_shape) == 3 and act_shape[1] != act_shape[2]:
        return int(act_shape[2])
    return int(act_shape[1])


def _blur(x: torch.Tensor) -> torch.Tensor:
    """A light 3×3 Gaussian over the last two dims (images only)."""
    if x.dim() != 4 or min(x.shape[-2:]) < 3:
        return x
    k = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]], dtype=x.dtype, device=x.device) / 16
    c = x.shape[1]
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k.expand(c, 1, 3, 3).contiguous(), groups=c)


def maximise(forward: Callable[[torch.Tensor], torch.Tensor], input_shape: Sequence[int],
             channels: Sequence[int], steps: int = STEPS, lr: float = LR, seed: int = 0,
             jitter: int = JITTER, blur_every: int = BLUR_EVERY,
             device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (len(channels), *input_shape) that maximise each channel of
    forward(x), and each one's final activation. forward must map a batch of
    inputs to the layer's output."""
    gen = torch.Generator().manual_seed(seed)
    x = (0.5 + 0.05 * torch.randn(len(channels), *input_shape, generator=gen)).to(device).requires_grad_(True)
    target = torch.tensor(list(channels), dtype=torch.long, device=device)
    opt = torch.optim.Adam([x], lr=lr)
    image = x.dim() == 4
    for step in range(steps):
        opt.zero_grad()
        shift = [int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=gen)] if image and jitter else None
        seen = torch.roll(x, shifts=shift, dims=(-2, -1)) if shift else x
        score = channel_objective(forward(seen), target)
        loss = -(score.sum()) + L2 * (x - 0.5).pow(2).sum()
        # the gradient w.r.t. x only: the layers' .grad (which training owns) stay untouched
        (x.grad,) = torch.autograd.grad(loss, [x])
        opt.step()
        if image and blur_every and (step + 1) % blur_every == 0:
            with torch.no_grad():
                x.copy_(_blur(x))
    with torch.no_grad():
        final = channel_objective(forward(x), target)
    return x.detach().cpu(), final.cpu()


def to_uint8(image: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """Scale one image to 0..255 (min..max, or ±max|v| around grey)."""
    a = np.nan_to_num(np.asarray(image, dtype=np.float64))
    if symmetric:
        m = float(np.abs(a).max()) or 1.0
        a = (a / m + 1) / 2
    else:
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return np.clip(np.round(a * 255), 0, 255).astype(np.uint8)


def as_hwc(image: np.ndarray) -> np.ndarray:
    """(C, H, W) / (H, W) / (L,) to something Pillow takes: (H, W) or (H, W, 3)."""
    a = np.asarray(image)
    if a.ndim == 1:
        return a[None, :]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a[0] if a.shape[0] == 1 else np.transpose(a, (1, 2, 0))
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 3 and a.shape[-1] != 3:
        a = a.mean(axis=0)
    return a


def save_png(image: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write one image (any of as_hwc's layouts, already uint8 or not) as PNG,
    each pixel repeated `scale` times. Raises OSError when it cannot be written."""
    from PIL import Image

    a = as_hwc(image)
    if a.dtype != np.uint8:
        a = to_uint8(a)
    if scale > 1:
        a = a.repeat(scale, axis=0).repeat(scale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, format="PNG")
    return path


def tile(images: Sequence[np.ndarray], columns: int = 8, gap: int = 1) -> np.ndarray:
    """Images of one size side by side in a uint8 grid (each scaled on its own)."""
    cells = [to_uint8(as_hwc(im)) for im in images]
    if not cells:
        raise VisualizeError("nothing to tile")
    h, w = cells[0].shape[:2]
    rows = -(-len(cells) // columns)
    cols = min(columns, len(cells))
    grid = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap, *cells[0].shape[2:]), dtype=np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, columns)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = cell
    return grid


def load_trained(file: str, checkpoint: str) -> tuple[Any, Any, torch.nn.Module]:
    """(graph, shape report, compiled model with the checkpoint's weights).
    Raises VisualizeError with a clear message."""
    from netbuilder.core.compile import CompileError, compile_graph
    from netbuilder.core.io import GraphFileError, load_graph
    from netbuilder.core.shapes import check
    from netbuilder.interchange.export_errors import ExportError
    from netbuilder.interchange.weights_file import load_state_dict_file

    try:
        graph = load_graph(file)
    except (GraphFileError, OSError) as exc:
        raise VisualizeError(f"{file}: {exc}") from None
    report = check(graph)
    try:
        model = compile_graph(graph, report=report)
        state = load_state_dict_file(checkpoint)
        model.load_state_dict(state)
    except (CompileError, ExportError) as exc:
        raise VisualizeError(f"{file}: {exc}") from None
    except RuntimeError as exc:  # load_state_dict: keys or shapes differ
        raise VisualizeError(f"{checkpoint}: its weights do not fit {file} ({str(exc).splitlines()[0]})") from None
    model.eval()
    return graph, report, model


def node_forward(graph: Any, model: torch.nn.Module, node: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """x → the output of `node` ('id' or 'id:port'), sharing the model's layers."""
    from netbuilder.train.subgraph import SubModel

    nid = node.partition(":")[0]
    if nid not in graph.nodes:
        raise VisualizeError(f"no node {nid!r} in the network (nodes: {', '.join(graph.nodes)})")
    if graph.nodes[nid].type == "Input":
        raise VisualizeError(f"{nid!r} is the Input: choose a layer")
    sub = SubModel(graph, [node if ":" in node else f"{node}:0"])
    return lambda x: sub(model, x)[0]


def visualize_node(graph: Any, report: Any, model: torch.nn.Module, node: str, channel: int | None,
                   steps: int = STEPS, seed: int = 0) -> np.ndarray:
    """The image for `netbuilder visualize`: the input maximising `channel`
    of `node`, or with no channel the node's kernels (a conv) / its first 16
    channels' maximising inputs."""
    nid = node.partition(":")[0]
    forward = node_forward(graph, model, node)
    inputs = graph.nodes_of_type("Input")
    if len(inputs) != 1:
        raise VisualizeError("activation maximisation needs a network with exactly one Input")
    in_shape = report.output_shape(inputs[0].id)
    out_shape = report.output_shape(nid)
    if in_shape is None or out_shape is None or None in in_shape or None in out_shape:
        raise VisualizeError(f"the shape of {nid!r} or of the Input is unknown: check the network first")
    count = channel_count((1, *out_shape))
    if channel is not None and not 0 <= channel < count:
        raise VisualizeError(f"{nid!r} has {count} channels (0..{count - 1}); --channel {channel} is outside them")
    if channel is None and graph.nodes[nid].type in ("Conv2d", "Conv1d"):
        weight = getattr(model, model.meta["netbuilder_modules"][nid]).weight
        return tile(list(kernel_images(weight)))
    chosen = [channel] if channel is not None else list(range(min(count, 16)))
    images, _ = maximise(forward, in_shape, chosen, steps=steps, seed=seed)
    return tile([im.numpy() for im in images], columns=min(len(chosen), 8))
