"""Attention masks on import: the causal (square subsequent) mask becomes the layers' `causal` option.

A mask reaches nn.MultiheadAttention / nn.TransformerEncoderLayer /
nn.TransformerDecoderLayer as a tensor: built in forward
(`nn.Transformer.generate_square_subsequent_mask(len(x))`, `torch.triu(...)`),
read from a buffer (`self.mask[:T, :T]`), or a constant. Whatever way it was
made, only its value matters, so the mask is computed on the example batch
and compared with the causal pattern (bool: True above the diagonal; float:
-inf above, 0 on and below). The operations that only build masks are not
layers: the importer skips them (marked MaskValue). Any other mask is refused
by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netbuilder.interchange import fx_rules as rules
from netbuilder.interchange.fx_trace import is_node

# layer type -> (its forward's signature, the mask argument that may be causal, its causal flag)
_LAYERS = {
    "MultiheadAttention": (rules._sig("query", "key", "value", key_padding_mask=None, need_weights=True,
                                      attn_mask=None, average_attn_weights=True, is_causal=False),
                           "attn_mask", "is_causal"),
    "TransformerEncoderLayer": (rules._sig("src", src_mask=None, src_key_padding_mask=None, is_causal=False),
                                "src_mask", "is_causal"),
    "TransformerEncoder": (rules._sig("src", mask=None, src_key_padding_mask=None, is_causal=None),
                           "mask", "is_causal"),
    "TransformerDecoderLayer": (rules._sig("tgt", "memory", tgt_mask=None, memory_mask=None,
                                           tgt_key_padding_mask=None, memory_key_padding_mask=None,
                                           tgt_is_causal=False, memory_is_causal=False),
                                "tgt_mask", "tgt_is_causal"),
}
_OPTIONS = ("key_padding_mask", "src_key_padding_mask", "memory_mask", "tgt_key_padding_mask",
            "memory_key_padding_mask")


@dataclass
class MaskValue:  # a tensor that only feeds attention masks
    causal: bool

    def __repr__(self) -> str:
        return "an attention mask" + (" (causal)" if self.causal else "")


def torch_layer(module: Any) -> str | None:
    """The _LAYERS key of a PyTorch attention/transformer layer (NetBuilder's own subclasses excluded)."""
    name = type(module).__name__
    return name if name in _LAYERS and not rules.is_own_module(module) else None


def find_masks(gm: Any, examples: list) -> dict[Any, MaskValue]:
    """The fx nodes that only build masks of torch attention layers, each with whether its mask is causal."""
    masks = [a for n in gm.graph.nodes if n.op == "call_module" and torch_layer(gm.get_submodule(n.target))
             for a in _mask_args(n, gm) if is_node(a)]
    if not masks:
        return {}
    values = _values(gm, examples, set(masks))
    builders: dict[Any, MaskValue] = {m: MaskValue(is_causal(values.get(m))) for m in masks}
    for node in reversed(list(gm.graph.nodes)):  # ancestors whose every use builds a mask
        if node not in builders and node.op not in ("placeholder", "output") and node.users \
                and all(u in builders for u in node.users):
            builders[node] = MaskValue(False)
    return builders


def bind_call(n: Any, module: Any) -> tuple[dict[str, Any], str, str]:
    """(bound arguments, mask argument name, causal flag name) of a torch attention layer's call."""
    sig, mask, flag = _LAYERS[torch_layer(module)]
    return rules.bind(sig, n.args, n.kwargs), mask, flag


def causal_option(bound: dict, mask: str, flag: str, values: dict) -> bool:
    """Whether the call is causal; Unmappable for any mask NetBuilder cannot express."""
    for option in _OPTIONS:
        if bound.get(option) is not None:
            raise rules.Unmappable(f"called with {option} (NetBuilder's attention layers take only a causal option)")
    given = bound[mask]
    value = values.get(given) if is_node(given) else given
    if given is not None and not (isinstance(value, MaskValue) and value.causal):
        raise rules.Unmappable(f"called with a {mask} that is not the causal (square subsequent) mask "
                               "(NetBuilder's attention layers take only a causal option)")
    if bound[flag] is True and given is None:
        raise rules.Unmappable(f"{flag}=True without a mask")
    return given is not None


def is_causal(mask: Any) -> bool:
    import torch

    if not isinstance(mask, torch.Tensor) or mask.dim() != 2 or mask.shape[0] != mask.shape[1]:
        return False
    above = torch.ones(mask.shape, dtype=torch.bool).triu(1)
    if mask.dtype == torch.bool:
        return bool(torch.equal(mask.cpu(), above))
    if not mask.is_floating_point():
        return False
    m = mask.detach().cpu()
    return bool(torch.isneginf(m[above]).all() and (m[~above] == 0).all())


def _mask_args(n: Any, gm: Any) -> list:
    try:
        bound, mask, _ = bind_call(n, gm.get_submodule(n.target))
    except rules.Unmappable:
        return []
    return [bound[mask]]


def _values(gm: Any, examples: list, wanted: set) -> dict:
    """The values of `wanted` nodes on the example batch (one more run of the traced module)."""
    import torch
    from torch.fx import Interpreter

    found: dict = {}

    class Capture(Interpreter):
        def run_node(self, node):
            result = super().run_node(node)
            if node in wanted:
                found[node] = result
            return result

    with torch.no_grad():
        Capture(gm).run(*examples)
    return found


__all__ = ["MaskValue", "bind_call", "causal_option", "find_masks", "is_causal", "torch_layer"]
