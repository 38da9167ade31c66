"""LayerSpec: the one declaration of a layer type, and the registry of them.

A spec is data plus small pure functions. Every other part of the program reads
it: the palette lists it, the inspector builds a form from `params`, shape
inference calls `infer`, the compiler calls `module` (or `emit`), code
generation prints the same `module` call, the file format stores params by name.
Adding a layer type is one `register(LayerSpec(...))` and its tests.

Nothing here imports torch: shapes are plain tuples, and modules are described
by a dotted constructor path that is imported only when something is built.
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from netbuilder.core.params import Param, ParamError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch.fx

Shape = tuple  # tuple[int | None, ...], batch dimension excluded
Params = Mapping[str, Any]


class ShapeError(ValueError):
    """A node's inputs do not fit it. The message is shown to the user as is."""


@dataclass(frozen=True)
class ModuleCall:
    """How to construct the nn.Module of a node: `target(*args, **kwargs)`.

    `target` is a dotted path ("torch.nn.Conv2d", "netbuilder.core.modules.Step"),
    so the same description builds the module and prints readable code.
    """

    target: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Any:
        module_path, _, name = self.target.rpartition(".")
        cls = getattr(importlib.import_module(module_path), name)
        return cls(*self.args, **self.kwargs)

    def source(self) -> str:
        """Readable constructor call, e.g. ``nn.Conv2d(3, 6, kernel_size=5)``."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{short_target(self.target)}({', '.join(parts)})"


def short_target(target: str) -> str:
    """torch.nn.Conv2d -> nn.Conv2d; netbuilder.core.modules.Step -> Step."""
    if target.startswith("torch.nn."):
        return "nn." + target[len("torch.nn."):]
    if target.startswith("netbuilder."):
        return target.rpartition(".")[2]
    return target


InferFn = Callable[[Sequence[Shape], Params], Sequence[Shape]]
ModuleFn = Callable[[Sequence[Shape], Params], ModuleCall]
# emit(fx_graph, input fx nodes, input shapes, params) -> one fx node per output port
EmitFn = Callable[["torch.fx.Graph", Sequence["torch.fx.Node"], Sequence[Shape], Params], Sequence["torch.fx.Node"]]
# expr(input variable names, input shapes, params) -> Python expression (tuple for several outputs)
ExprFn = Callable[[Sequence[str], Sequence[Shape], Params], str]
MacsFn = Callable[[Sequence[Shape], Sequence[Shape], Params], int]
PortsFn = Callable[[Params], Sequence[str]]


@dataclass(frozen=True)
class LayerSpec:
    """The single declaration of one layer type.

    Exactly one of `module` (an nn.Module per node) or `emit`+`expr` (a
    functional op such as torch.cat) describes how it computes; Input and
    Output nodes have neither.
    """

    type: str
    category: str
    help: str
    params: tuple[Param, ...]
    infer: InferFn
    module: ModuleFn | None = None
    emit: EmitFn | None = None
    expr: ExprFn | None = None
    macs: MacsFn | None = None
    inputs: PortsFn | tuple[str, ...] = ("in",)
    outputs: PortsFn | tuple[str, ...] = ("out",)
    icon: str = ""  # resource name; the palette falls back to the category icon

    def input_ports(self, params: Params) -> tuple[str, ...]:
        return tuple(self.inputs(params) if callable(self.inputs) else self.inputs)

    def output_ports(self, params: Params) -> tuple[str, ...]:
        return tuple(self.outputs(params) if callable(self.outputs) else self.outputs)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults filled in, each value validated; unknown names refused."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            hint = f"; known: {', '.join(sorted(known))}" if known else "; it takes none"
            raise ParamError(f"{self.type} has no parameter {', '.join(map(repr, unknown))}{hint}")
        out = {}
        for p in self.params:
            # a copy of list defaults, so editing one node never edits the catalog
            out[p.name] = p.validate(given[p.name]) if p.name in given else copy.deepcopy(p.default)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "category": self.category,
            "help": self.help,
            "params": [p.to_dict() for p in self.params],
            "inputs": list(self.input_ports(self.defaults())),
            "outputs": list(self.output_ports(self.defaults())),
        }


_REGISTRY: dict[str, LayerSpec] = {}

# Palette order; a spec may name another category, which is appended.
CATEGORIES = (
    "Input / Output", "Dense", "Convolution", "Pooling", "Activation",
    "Normalization", "Regularization", "Reshape", "Merge", "Recurrent",
    "Attention", "Blocks", "Generative",
)


def register(spec: LayerSpec) -> LayerSpec:
    if spec.type in _REGISTRY:
        raise ValueError(f"layer type {spec.type!r} is declared twice")
    _REGISTRY[spec.type] = spec
    return spec


def _ensure_loaded() -> None:
    if not _REGISTRY:
        importlib.import_module("netbuilder.core.layers")


def get_spec(type_name: str) -> LayerSpec:
    _ensure_loaded()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise KeyError(f"unknown layer type {type_name!r}") from None


def has_spec(type_name: str) -> bool:
    _ensure_loaded()
    return type_name in _REGISTRY


def all_specs() -> list[LayerSpec]:
    _ensure_loaded()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY.values(), key=lambda s: (order.get(s.category, len(order)), s.type))
