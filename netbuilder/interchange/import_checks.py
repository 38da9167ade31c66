"""Checks after an import: parameter counts, layer-by-layer fidelity, unused
submodules, and (when complete) outputs compared with the original's.

Every layer is rebuilt from its node and compared with the original module
attribute by attribute, so a constructor option the catalog cannot express
(an Embedding's padding_idx, say) is reported rather than silently dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netbuilder.interchange import fx_rules as rules
from netbuilder.core.diff import module_text
from netbuilder.core.shapes import OK, ShapeReport, check

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from netbuilder.interchange.fx_result import ImportResult

TOLERANCE = 1e-5
_SUBCLASSED = ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer")


def check_import(imp: Any, verify: bool) -> None:  # imp: fx_import._Importer
    """Fill the result's counts and notes; with `verify`, compare outputs with the original."""
    from netbuilder.core.summary import count_params

    report = check(imp.graph)
    imp.result.original_params = sum(p.numel() for p in imp.module.parameters())
    imp.result.imported_params = count_params(imp.graph, report)
    for node, message in report.errors:
        imp.result.notes.append(f"shape check: {node or 'graph'}: {message}")
    _compare_layers(imp, report)
    _unused(imp)
    if imp.result.original_params != imp.result.imported_params:
        imp.result.notes.append(f"the imported graph has {imp.result.imported_params:,} parameters, the "
                                f"original {imp.result.original_params:,}")
    if verify and imp.result.complete and report.ok:
        _verify(imp, report)


def _compare_layers(imp: Any, report: ShapeReport) -> None:
    """Rebuild each module from its node and compare reprs: every constructor argument must agree."""
    import torch

    from netbuilder.core.compile import build_module

    for nid, qual in imp.result.sources.items():
        if report.nodes[nid].status != OK or imp.graph.nodes[nid].shares is not None:
            continue  # a second call of a submodule shares its owner's module (compared once, at the owner)
        original = imp.module.get_submodule(qual)
        with torch.device("meta"):  # only the structure is compared: no weights allocated
            built = build_module(imp.graph, report, nid)
        if type(built).__name__ == "Recurrent" and not rules.is_own_module(original):
            built = built.rnn
        if type(original).__name__ == "ChannelShuffle" and getattr(built, "groups", None) == original.groups:
            continue  # nn.ChannelShuffle and NetBuilder's exportable copy: the same numbers (groups is all)
        if type(original).__name__ in _SUBCLASSED and one_line(built) == one_line(original):
            continue  # NetBuilder's subclass (same weights, a causal option) of the PyTorch layer
        if module_text(built) != module_text(original):
            imp.result.notes.append(f"{nid}: imported as {one_line(built)}, the original is "
                                    f"{one_line(original)}")


def _unused(imp: Any) -> None:
    """Submodules with weights that forward never calls (so they are not in the graph)."""
    called = {n.target for n in imp.gm.graph.nodes if n.op == "call_module"}
    reported: list[str] = []
    for qual, sub in imp.module.named_modules():
        related = [c for c in called if qual == c or c.startswith(qual + ".") or qual.startswith(c + ".")]
        if not qual or related or any(qual.startswith(r + ".") for r in reported):
            continue
        count = sum(p.numel() for p in sub.parameters())
        if count:
            reported.append(qual)
            imp.result.notes.append(f"self.{qual} ({type(sub).__name__}, {count:,} parameters) is never "
                                    "called by forward, so it is not in the graph")


def _verify(imp: Any, report: ShapeReport) -> None:
    from netbuilder.core.compile import compile_graph

    compiled = compile_graph(imp.graph, report=report).eval()
    try:
        transfer_weights(imp.module, compiled, imp.result)
    except ValueError as exc:
        imp.result.notes.append(f"outputs not compared: {exc}")
        return
    inputs = [example(s, d, batch=3) for s, d in zip(imp.shapes, imp.dtypes)]
    expected = flatten(_seeded(imp.module, *inputs, **imp.fixed_args))  # `hidden=None` as traced
    got = flatten(_seeded(compiled, *inputs))  # the same noise in a VAE's sampling on both sides
    if len(expected) != len(got) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(expected, got)):
        imp.result.notes.append("the imported graph's outputs differ in number or shape from the original's")
        return
    diff = max((float((a.double() - b.double()).abs().max()) for a, b in zip(expected, got) if a.numel()),
               default=0.0)
    imp.result.max_abs_diff = diff
    if not diff <= TOLERANCE:
        imp.result.notes.append(f"with the original's weights the outputs differ by up to {diff:.3g}")


def _seeded(module: Any, *inputs: Any, **kwargs: Any) -> Any:
    import torch

    with torch.random.fork_rng(devices=[]):  # the caller's random state is left as it was
        torch.manual_seed(0)
        return module(*inputs, **kwargs)


def transfer_weights(original: "torch.nn.Module", compiled: "torch.nn.Module", result: "ImportResult") -> int:
    """Copy the original's parameters and buffers into the compiled graph,
    node by node, in order; returns how many tensors were copied."""
    import torch

    from netbuilder.core.compile import module_name

    attrs = getattr(compiled, "meta", {}).get("netbuilder_modules", {})
    copied = 0
    with torch.no_grad():
        for nid, qual in result.sources.items():
            src = list(original.get_submodule(qual).state_dict().values())
            dst_module = getattr(compiled, attrs.get(nid, module_name(nid)), None)
            if dst_module is None:
                continue
            dst = list(dst_module.state_dict().values())
            if len(src) != len(dst) or any(a.shape != b.shape for a, b in zip(src, dst)):
                raise ValueError(f"the weights of {qual} do not fit node {nid}")
            for a, b in zip(src, dst):
                b.copy_(a)
            copied += len(src)
        for nid, path in getattr(result, "param_sources", {}).items():  # bare nn.Parameters -> Parameter nodes
            dst_module = getattr(compiled, attrs.get(nid, module_name(nid)), None)
            if dst_module is not None:
                dst_module.weight.copy_(original.get_parameter(path))
                copied += 1
    return copied


def one_line(module: Any) -> str:
    return " ".join(repr(module).split())


def flatten(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in flatten(v)]
    return [value]


def example(shape: Any, dtype: str, batch: int = 2) -> "torch.Tensor":
    """A deterministic example batch for an input of `shape` (batch excluded)."""
    import torch

    from netbuilder.interchange.codegen import UNKNOWN_SIZE

    size = (batch, *(UNKNOWN_SIZE if s is None else s for s in shape))
    if dtype == "int64":
        return torch.zeros(size, dtype=torch.long)
    return torch.randn(size, generator=torch.Generator().manual_seed(0))
