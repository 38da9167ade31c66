"""What an import produced: the graph, what was left out (by name), notes and checks.

Kept apart from the importer so that import_checks can name the type without
importing fx_import (no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netbuilder.core.graph import Graph


@dataclass
class Skipped:
    node: str  # the traced operation's name
    what: str  # how it reads in the source
    reason: str

    def __str__(self) -> str:
        return f"{self.node}: {self.what} — {self.reason}"


@dataclass
class ImportResult:
    graph: Graph
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # node id -> submodule path in the original
    param_sources: dict[str, str] = field(default_factory=dict)  # Parameter node id -> nn.Parameter path
    original_params: int = 0
    imported_params: int = 0
    max_abs_diff: float | None = None  # outputs vs the original, weights copied; None = not compared
    traced_with: str = "torch.fx"  # which tracing path worked (see fx_tracing)

    @property
    def complete(self) -> bool:
        return not self.skipped

    def report(self) -> str:
        lines = [f"traced with {self.traced_with}",
                 f"{len(self.graph)} nodes, {len(self.graph.edges)} edges; parameters: "
                 f"{self.imported_params:,} imported, {self.original_params:,} in the original"]
        if self.max_abs_diff is not None:
            lines.append(f"outputs match the original with its weights copied (max |difference| "
                         f"{self.max_abs_diff:.1e})")
        if self.skipped:
            lines.append(f"not imported ({len(self.skipped)}):")
            lines += [f"  - {s}" for s in self.skipped]
        if self.notes:
            lines.append("notes:")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)
