"""Trace a module for fx_import: plain torch.fx first, then fx with concrete values.

torch.fx symbolic tracing gives up on ordinary Python in a forward: a branch
on `input.is_cuda and self.ngpu > 1` (DCGAN), `len(x)`, `if x.dim() == 4`.
Such decisions depend only on what the example batch *is* (its device, rank
and shape), not on its values, so the fallback tracer runs every traced
operation on the example batch as it records it and answers those Python
questions from the real values: the branch the example takes is recorded,
exactly as `torch.jit.trace` or `torch.export` would specialise it. A decision
on tensor *values* (`if x.sum() > 0`, `x.max().item()`) would make the graph
right for one batch only, so it is refused, naming the operation.

A decision on the batch size (`if x.size(0) > 1`) is refused too. Where
Python needs a real int (`range(x.size(1))`, `self.mask[:t, :t]`,
`torch.ones(n, n)`) the example's size is used and named, so a loop over a
fixed size unrolls. forward's arguments beyond the given inputs are fixed
(fx concrete_args): their default (`has_mask=True`), or None (`hidden`: zeros).
torch.export is not used: its aten-level graph would need another rule set.

The path used is reported ("torch.fx", or "torch.fx with concrete values
(...)" listing each decision, plus "with concrete arguments ..."), and the
importer still verifies the imported graph's outputs on a new random batch of
another size. The user's module is left as it was (attributes a forward sets
while tracing, such as a cached mask, are restored).
"""

from __future__ import annotations

import builtins
import contextlib
import io
from typing import Any, Sequence

from netbuilder.interchange import fx_rules as rules
from netbuilder.interchange.fx_trace import describe
from netbuilder.interchange.user_code import ModuleImportError

EXAMPLE_BATCH = 2
PLAIN = "torch.fx"
_VALUE_METHODS = ("item", "tolist", "numpy", "any", "all")  # Python values read from tensor contents
original_len = builtins.len


def trace(module: Any, shapes: Sequence[Sequence[int | None]], examples: list) -> tuple[Any, str, dict]:
    """(GraphModule with shapes propagated, the path used, the arguments fixed beyond the inputs);
    ModuleImportError if no path works."""
    import torch.fx as fx

    cls = type(module).__name__
    fixed = fixed_arguments(module, len(shapes))
    with _attributes_kept(module):  # a forward may cache a mask on self (`self.src_mask = mask`): not a Proxy
        try:
            graph, path = _leaf_tracer(fx.Tracer)().trace(module, concrete_args=fixed or None), PLAIN
        except Exception as plain:  # fx raises TraceError, TypeError, RuntimeError (len), NotImplementedError...
            graph, path = _concrete_trace(module, examples, fixed, plain)
        if fixed:
            _drop_fixed(graph)
            path += " with concrete arguments " + ", ".join(f"{k}={v!r}" for k, v in fixed.items()) + \
                (" (a recurrent state passed as None starts from zeros)" if None in fixed.values() else "")
        gm = fx.GraphModule(module, graph, class_name=cls)  # before the restore: fx's constants live on self
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(shapes):
        raise ModuleImportError(f"{cls}.forward takes {len(placeholders)} input(s) "
                                f"({', '.join(p.name for p in placeholders)}) but {len(shapes)} input "
                                "shape(s) were given")
    _propagate(gm, shapes, examples, fixed)
    return gm, path, fixed


@contextlib.contextmanager
def _attributes_kept(module: Any):
    """Restore every submodule's plain attributes after tracing: the user's module is left as it was."""
    saved = [(m, dict(vars(m))) for m in module.modules()]
    try:
        yield
    finally:
        for m, attributes in saved:
            vars(m).clear()
            vars(m).update(attributes)


def fixed_arguments(module: Any, inputs: int) -> dict[str, Any]:
    """forward's parameters beyond the given inputs, fixed: their default, or None (`hidden` of an RNN model)."""
    import inspect

    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):  # a builtin or C forward: nothing to fix
        return {}
    named = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return {p.name: None if p.default is p.empty else p.default for p in named[inputs:]}


def _drop_fixed(graph) -> None:
    """fx keeps a placeholder and an assert for each concrete argument; the graph's inputs are the tensors only."""
    import torch
    from torch.fx import _symbolic_trace

    for node in reversed(list(graph.nodes)):
        if node.op == "call_function" and node.target in (torch._assert, _symbolic_trace._assert_is_none):
            graph.erase_node(node)
    _erase_unused(graph, lambda node: node.op == "call_function")
    _erase_unused(graph, lambda node: node.op == "placeholder")


def _erase_unused(graph, which) -> None:
    changed = True
    while changed:
        changed = False
        for node in reversed(list(graph.nodes)):
            if not node.users and which(node):
                graph.erase_node(node)
                changed = True


def _fixed_text(fixed: dict) -> str:
    if not fixed:
        return ""
    return f" (with {', '.join(f'{k}={v!r}' for k, v in fixed.items())}: forward takes more arguments than the " \
        "input shapes given)"


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"


def _leaf_tracer(base):
    class Tracer(base):
        def is_leaf_module(self, m, qualname):
            return rules.is_own_module(m) or super().is_leaf_module(m, qualname)

    return Tracer


def _concrete_trace(module: Any, examples: list, fixed: dict, plain: Exception) -> tuple[Any, str]:
    import torch
    import torch.fx as fx

    cls = type(module).__name__
    tracer = _concrete_tracer(fx)(examples, fixed)
    builtins.len = tracer.len  # `len(x)` in the user's forward records the call (fx cannot: len must return an int)
    factories = _sized_factories(tracer)
    try:
        graph = tracer.trace(module, concrete_args=fixed or None)
    except _ValueDependent as exc:
        raise ModuleImportError(f"torch.fx cannot trace {cls}.forward: {exc}") from None
    except Exception as exc:
        raise ModuleImportError(
            f"torch.fx cannot trace {cls}.forward: {_first_line(plain)}; tracing with the example batch failed "
            f"too: {_first_line(exc)}{_fixed_text(fixed)} — loops over tensor sizes and code that needs real "
            "tensors are not supported") from None
    finally:
        builtins.len = original_len
        for name, function in factories.items():
            setattr(torch, name, function)
    _drop_decisions(graph, tracer.concrete)
    decided = "; ".join(tracer.decisions) or "no branches"
    return graph, f"torch.fx with concrete values (plain fx failed: {_first_line(plain)}; decided on the " \
                  f"example batch: {decided})"


_FACTORIES = ("ones", "zeros", "empty", "full", "rand", "randn", "eye", "arange")


def _sized_factories(tracer: Any) -> dict[str, Any]:
    """torch.ones(n, n) with n = x.size(1): torch's argument parser refuses an object with __torch_function__
    as a size, so these take the example's int (named in the path, as __index__ does); returns the originals."""
    import torch
    from torch.fx.node import map_aggregate

    originals = {name: getattr(torch, name) for name in _FACTORIES}

    def sized(function):
        def call(*args, **kwargs):
            as_int = lambda a: a.__index__() if hasattr(a, "__index__") and hasattr(a, "tracer") else a  # noqa: E731
            return function(*map_aggregate(args, as_int), **map_aggregate(kwargs, as_int))
        return call

    for name, function in originals.items():
        setattr(torch, name, sized(function))
    return originals


class _ValueDependent(Exception):
    """The forward makes a Python decision from tensor values."""


def _concrete_tracer(fx):
    import torch
    from torch.fx.node import map_aggregate

    # while fx traces, nn.Module's __call__ and __getattr__ are fx's (they record calls and parameter reads);
    # running a layer on the example batch needs the real ones, taken here, before tracing starts
    originals = {name: getattr(torch.nn.Module, name) for name in ("__call__", "__getattr__")}

    @contextlib.contextmanager
    def unpatched():
        patched = {name: getattr(torch.nn.Module, name) for name in originals}
        for name, value in originals.items():
            setattr(torch.nn.Module, name, value)
        try:
            yield
        finally:
            for name, value in patched.items():
                setattr(torch.nn.Module, name, value)

    class ConcreteProxy(fx.Proxy):
        def __index__(self) -> int:
            """Where Python needs a real int (slicing a buffer, torch.ones(n, n)): the example's, named in the path."""
            tracer = self.tracer
            value = tracer.concrete.get(self.node)
            if type(value) is not int or self.node in tracer.tainted:
                raise TypeError(f"{_source(self.node, tracer.root)} is used as an int but is {value!r}")
            tracer.decide(f"`{_source(self.node, tracer.root)}` used as {value}")
            return value

    class ConcreteTracer(_leaf_tracer(fx.Tracer)):
        def __init__(self, examples: list, fixed: dict) -> None:
            super().__init__()
            self.examples = list(examples)
            self.fixed = fixed
            self.concrete: dict[Any, Any] = {}  # fx node -> its value on the example batch
            self.tainted: set = set()  # nodes whose Python value came from tensor contents
            self.batch: set = set()  # nodes whose Python value came from the batch size
            self.decisions: list[str] = []

        def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
            proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
            node = proxy.node
            inputs = [a.node for a in _proxies(args, kwargs)]
            self.concrete[node] = self._run(kind, target, args, kwargs)
            if any(i in self.tainted for i in inputs) or kind == "call_method" and target in _VALUE_METHODS:
                self.tainted.add(node)
            if not isinstance(self.concrete[node], torch.Tensor) and (
                    any(i in self.batch for i in inputs) or _reads_batch(kind, target, args, kwargs, self.concrete)):
                self.batch.add(node)
            return proxy

        def _run(self, kind, target, args, kwargs) -> Any:
            real = lambda a: self.concrete[a.node] if isinstance(a, fx.Proxy) else a  # noqa: E731
            args, kwargs = map_aggregate(args, real), map_aggregate(kwargs, real)
            with unpatched():
                return self._run_real(kind, target, args, kwargs)

        def _run_real(self, kind, target, args, kwargs) -> Any:
            if kind == "placeholder":  # fx renames a concrete argument's placeholder hidden -> hidden_1
                fixed = target.rpartition("_")[0] if target not in self.fixed else target
                if fixed in self.fixed:
                    return self.fixed[fixed]
                return self.examples.pop(0) if self.examples else None
            if kind == "get_attr":
                value = self.root
                for part in target.split("."):
                    value = getattr(value, part)
                return value
            if kind == "call_module":
                return self.root.get_submodule(target)(*args, **kwargs)
            if kind == "call_method":
                return getattr(args[0], target)(*args[1:], **kwargs)
            if kind == "call_function":
                return target(*args, **kwargs)
            return None

        def decide(self, text: str) -> None:
            if text not in self.decisions:
                self.decisions.append(text)

        def proxy(self, node):
            return ConcreteProxy(node, self)

        def to_bool(self, obj) -> bool:
            value = self.concrete.get(obj.node)
            if isinstance(value, torch.Tensor) or obj.node in self.tainted:
                raise _ValueDependent(
                    f"`{_source(obj.node, self.root)}` decides a Python branch from tensor values (it would be "
                    "right for one batch only); NetBuilder imports branches on flags, devices and shapes only")
            if obj.node in self.batch:
                raise _ValueDependent(
                    f"`{_source(obj.node, self.root)}` decides a Python branch from the batch size (the graph would "
                    "be right for some batch sizes only); NetBuilder imports branches on flags, devices and shapes")
            self.decide(f"`{_source(obj.node, self.root)}` is {bool(value)}")
            return bool(value)

        def iter(self, obj):
            value = self.concrete.get(obj.node)
            if isinstance(value, (tuple, list)):  # for size in x.shape: ...
                return iter([obj[i] for i in range(original_len(value))])
            return super().iter(obj)

        def len(self, obj: Any) -> Any:
            if isinstance(obj, fx.Proxy):
                return self.create_proxy("call_function", original_len, (obj,), {})
            return original_len(obj)

    return ConcreteTracer


def _reads_batch(kind: str, target: Any, args: tuple, kwargs: dict, concrete: dict) -> bool:
    """x.size(0), x.shape[0], len(x): the batch size of a tensor."""
    import operator

    import torch
    import torch.fx as fx

    first = concrete.get(args[0].node) if args and isinstance(args[0], fx.Proxy) else None
    if kind == "call_method" and target == "size":
        return isinstance(first, torch.Tensor) and (args[1:2] or [kwargs.get("dim")])[0] == 0
    if kind == "call_function" and target is original_len:
        return isinstance(first, torch.Tensor)
    if kind == "call_function" and target is operator.getitem:
        return isinstance(first, torch.Size) and args[1] == 0
    return False


def _proxies(args, kwargs) -> list:
    import torch.fx as fx
    from torch.fx.node import map_aggregate

    found: list = []
    map_aggregate((args, kwargs), lambda a: found.append(a) if isinstance(a, fx.Proxy) else None)
    return found


_OPERATORS = {"gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!=", "and_": "&", "or_": "|",
              "add": "+", "sub": "-", "mul": "*", "floordiv": "//", "truediv": "/", "mod": "%"}


def _source(node: Any, root: Any, depth: int = 0) -> str:
    """How a decided value reads in the source: `input.is_cuda`, `x.dim() != 3`, `y.mean().item() > 0`."""
    import operator

    import torch.fx as fx

    if not isinstance(node, fx.Node):
        return repr(node)
    if depth > 5:
        return "…"
    text = lambda a: _source(a, root, depth + 1)  # noqa: E731
    name = getattr(node.target, "__name__", "")
    if node.op == "placeholder":
        return str(node.target)
    if node.op == "call_module":
        return f"self.{node.target}({', '.join(map(text, node.args))})"
    if node.op == "call_method":
        return f"{text(node.args[0])}.{node.target}({', '.join(map(text, node.args[1:]))})"
    if node.op == "call_function" and node.target is getattr:
        return f"{text(node.args[0])}.{node.args[1]}"
    if node.op == "call_function" and node.target is operator.getitem:
        return f"{text(node.args[0])}[{text(node.args[1])}]"
    if node.op == "call_function" and node.target is original_len:
        return f"len({text(node.args[0])})"
    if node.op == "call_function" and getattr(node.target, "__module__", "") == "_operator" and name in _OPERATORS:
        inner = f"{text(node.args[0])} {_OPERATORS[name]} {text(node.args[1])}"
        return f"({inner})" if depth else inner
    return describe(node, root)


def _drop_decisions(graph, concrete: dict) -> None:
    """Remove what only fed Python decisions (`input.is_cuda`, `x.dim()`): no users, not a tensor, not a module."""
    import torch

    _erase_unused(graph, lambda node: node.op in ("call_function", "call_method")
                  and not isinstance(concrete.get(node), torch.Tensor))


def _propagate(gm, shapes, examples, fixed: dict) -> None:
    cls = gm.__class__.__name__
    prop = _shape_prop(gm)
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints a traceback, then raises
            prop.propagate(*examples)
    except Exception as exc:
        cause = exc.__cause__ or exc  # ShapeProp wraps the error in a page about fx nodes
        text = ", ".join("×".join("?" if v is None else str(v) for v in s) for s in shapes)
        at = f" at {describe(prop.current, gm)}" if prop.current is not None else ""
        raise ModuleImportError(f"running {cls} on inputs of shape {text} (plus a batch of {EXAMPLE_BATCH}) "
                                f"failed{at}: {_first_line(cause)}{_fixed_text(fixed)} — is the input shape "
                                "right?") from None


def _shape_prop(gm):
    """torch's ShapeProp, remembering the node it ran last (the one that failed)."""
    from torch.fx.passes.shape_prop import ShapeProp

    class Prop(ShapeProp):
        current = None

        def run_node(self, n):
            self.current = n
            return super().run_node(n)

    return Prop(gm)
