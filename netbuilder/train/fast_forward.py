"""The compiled graph's forward with less Python per call, for the training loop.

On a small network most of a CPU step is Python around tiny kernels, and
two things the hand-written equivalent does not pay show up there (about
1.5 % of an MLP epoch on digits, benchmarks/README.md):

- each activation is a module (`nn.ReLU()` called through `Module.__call__`)
  where a person writes `torch.relu(x)`: `inline_activations` makes a
  training view of the GraphModule whose graph calls the functions instead.
  It shares every submodule and parameter with the model (state_dict,
  checkpoints, train/eval switches, hooks on other modules are unchanged);
  the computation is the same kernels in the same order.
- `GraphModule.__call__` wraps `Module.__call__` in two more frames:
  `direct_forward` returns the bound `forward` when calling the module would
  run nothing else (the test `Module.__call__` itself makes).
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

# exact module type → (function, keyword arguments read from the module): what its forward calls
_FUNCTIONS: dict[type, Callable[[nn.Module], tuple[Callable[..., Any], dict[str, Any]]]] = {
    nn.ReLU: lambda m: (torch.relu_ if m.inplace else torch.relu, {}),
    nn.Tanh: lambda m: (torch.tanh, {}),
    nn.Sigmoid: lambda m: (torch.sigmoid, {}),
    nn.LeakyReLU: lambda m: (F.leaky_relu, {"negative_slope": m.negative_slope, "inplace": m.inplace}),
    nn.ELU: lambda m: (F.elu, {"alpha": m.alpha, "inplace": m.inplace}),
    nn.GELU: lambda m: (F.gelu, {"approximate": m.approximate}),
    nn.SiLU: lambda m: (F.silu, {"inplace": m.inplace}),
}
_GLOBAL_HOOKS = ("_global_backward_pre_hooks", "_global_backward_hooks", "_global_forward_hooks",
                 "_global_forward_pre_hooks")


def _hooked(module: nn.Module) -> bool:
    return bool(module._backward_hooks or module._backward_pre_hooks or module._forward_hooks
                or module._forward_pre_hooks)


def inline_activations(model: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """A GraphModule over the same submodules whose graph calls stateless
    activations as functions; `model` itself when there are none."""
    graph = torch.fx.Graph()
    env: dict[torch.fx.Node, torch.fx.Node] = {}
    changed = False
    for node in model.graph.nodes:
        call = _functional(model, node)
        if call is None:
            env[node] = graph.node_copy(node, lambda n: env[n])
        else:
            env[node] = graph.call_function(call[0], (env[node.args[0]],), call[1])
            changed = True
    if not changed:
        return model
    graph.lint()
    return torch.fx.GraphModule(model, graph, class_name=type(model).__name__)


def _functional(model: torch.fx.GraphModule, node: torch.fx.Node) -> tuple[Callable[..., Any], dict] | None:
    if node.op != "call_module" or len(node.args) != 1 or node.kwargs:
        return None
    module = model.get_submodule(node.target)
    make = _FUNCTIONS.get(type(module))  # exact type: a subclass may do something else
    if make is None or _hooked(module):
        return None
    return make(module)


def direct_forward(module: nn.Module) -> Callable[..., Any]:
    """`module.forward` when calling the module would do nothing more — no
    hooks on it or global ones, not compiled, not tracing; else the module.
    Ask again when hooks may have changed (the trainer asks every epoch)."""
    import torch.nn.modules.module as nn_module

    global_hooks = [getattr(nn_module, name, None) for name in _GLOBAL_HOOKS]
    if (_hooked(module) or getattr(module, "_compiled_call_impl", None) is not None
            or any(h is None or h for h in global_hooks) or torch._C._get_tracing_state()):
        return module
    return module.forward
