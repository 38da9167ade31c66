"""Auto-layout: layered, left → right, wrapped into bands for long networks.

Columns are networkx's topological generations (a node sits one column right
of its deepest input); inside a column nodes are ordered by the mean row of
their inputs (the barycentre heuristic, a few sweeps each way), which keeps
branches side by side and edges short.

A long chain laid out on one line is a thin strip when fitted to a window
(LeNet-5 at a third of its size, the text unreadable), so the columns are
wrapped like lines of text: each band runs left → right and the next band
starts below it. The band width is the one that shows the network largest in
a window-shaped view, and bands are cut where fewest edges cross (after a
block, not inside it). No Qt here: pure functions over positions.
"""

from __future__ import annotations

import math
from typing import Sequence

import networkx as nx

from netbuilder.core.graph import Graph
from netbuilder.gui.canvas.style import COLUMN_DX, NODE_H, NODE_W, ROW_DY

SWEEPS = 4
VIEW = (1100.0, 600.0)  # the canvas of a 1600×1000 window in screen pixels: what layouts are fitted to
MARGIN = 60.0  # the view's fit adds 30 px around the nodes
BAND_GAP = 0.5  # rows of extra space between bands, for the edge that wraps and its label
KEEP_WIDER = 0.9  # a wrapping within 10 % of the best zoom is as good (fewer bands win)
LEGIBLE_TEXT = 0.75  # zoom below which node details are hidden (style.LOD_TEXT)
MIN_GAIN = 1.25  # re-wrap a stored strip only when that shows it at least this much larger
WRAP_OVERSHOOT = 0.15  # an edge from a band's end to the next band's start bulges ~7 % beyond each side
GROUP_SPLIT = 100.0  # cost of cutting through a group, against 1 per edge cut
RUN_LEVELS = 8  # range tables hold runs of up to 2**8 columns

Positions = dict[str, tuple[float, float]]


def layered_layout(graph: Graph, dx: float = COLUMN_DX, dy: float = ROW_DY,
                   origin: tuple[float, float] = (0.0, 0.0),
                   view: tuple[float, float] | None = VIEW) -> Positions:
    """New positions {node id: (x, y)} for every node of `graph`, wrapped into
    bands that fit a `view` (w, h) in screen pixels; view=None: one band."""
    positions = _one_band(graph, dx, dy, origin)
    if view is None:
        return positions
    return wrap_positions(positions, _edges(graph), dx, dy, view, _groups(graph))


def _edges(graph: Graph) -> list[tuple[str, str]]:
    return [(e.src, e.dst) for e in graph.edges]


def _groups(graph: Graph) -> list[list[str]]:
    return [list(g.nodes) for g in graph.groups.values()]


def _one_band(graph: Graph, dx: float, dy: float, origin: tuple[float, float]) -> Positions:
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    preds: dict[str, list[str]] = {nid: [] for nid in index}  # plain lists: the sweeps read them
    succs: dict[str, list[str]] = {nid: [] for nid in index}  # 8 times per node
    for src, dst in dict.fromkeys(_edges(graph)):  # parallel edges once, as in a networkx DiGraph
        preds[dst].append(src)
        succs[src].append(dst)
    columns = [sorted(gen, key=index.__getitem__) for gen in _generations(index, preds, succs)]
    rows: dict[str, float] = {}
    for col in columns:
        for r, nid in enumerate(col):
            rows[nid] = float(r)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for col in (columns[1:] if forward else columns[-2::-1]):
            if len(col) < 2:
                continue  # one node: its row stays 0 (a chain is all such columns)
            neighbours = preds if forward else succs

            def key(nid: str, neighbours=neighbours) -> tuple[float, int]:
                near = [rows[m] for m in neighbours[nid]]
                return (sum(near) / len(near) if near else rows[nid], index[nid])

            col.sort(key=key)
            for r, nid in enumerate(col):
                rows[nid] = float(r)
    positions: Positions = {}
    for c, col in enumerate(columns):
        top = -(len(col) - 1) / 2  # centre each column on the main line
        for r, nid in enumerate(col):
            positions[nid] = (origin[0] + c * dx, origin[1] + (top + r) * dy)
    return positions


def _generations(index: dict[str, int], preds: dict[str, list[str]],
                 succs: dict[str, list[str]]) -> list[list[str]]:
    """nx.topological_generations: a node one generation after its deepest
    input, without building a networkx graph."""
    indegree = {nid: len(p) for nid, p in preds.items()}
    current = [nid for nid, d in indegree.items() if d == 0]
    generations = []
    while current:
        generations.append(current)
        following = []
        for nid in current:
            for child in succs[nid]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    following.append(child)
        current = following
    if sum(map(len, generations)) != len(index):
        raise nx.NetworkXUnfeasible("Graph contains a cycle or graph changed during iteration.")
    return generations


# ------------------------------------------------------------------ wrapping
def wrap_positions(positions: Positions, edges: list[tuple[str, str]], dx: float = COLUMN_DX,
                   dy: float = ROW_DY, view: tuple[float, float] = VIEW,
                   groups: Sequence[Sequence[str]] = ()) -> Positions:
    """Fold a left → right layout on a column grid (x = origin + k·dx) into
    bands, never splitting a group when it can help it; rows inside a column
    keep their order and spacing.

    Linear in the nodes: each candidate wrapping is cut and measured from
    per-column summaries (range-minimum tables), never by placing every node,
    and candidates stop once even their fewest possible bands are too tall to
    matter; only the chosen one is placed."""
    if not positions:
        return {}
    left = min(x for x, _ in positions.values())
    column = {nid: round((x - left) / dx) for nid, (x, _) in positions.items()}
    count = max(column.values()) + 1
    cheapest = _Cheapest(_crossings(column, edges, count, groups))
    extent = _Columns(positions, column, count)
    candidates: list[tuple[float, list[list[int]]]] = []  # (zoom, bands), widest bands first
    # the widths that give k bands, k = 1, 2, ...: ~2·√count of them
    for width in sorted({math.ceil(count / k) for k in range(1, count + 1)}, reverse=True):
        if candidates and extent.full and _zoom_bound(count, width, dy, view) < _threshold(candidates):
            break  # this width and every narrower one are too tall to be the best or the chosen
        bands = _cut(count, width, cheapest)
        candidates.append((extent.zoom(bands, left, dx, dy, view), bands))
    # the widest bands that read as well as the best (details shown from LEGIBLE_TEXT on):
    # a chain already legible on one line stays on one line
    target = min(KEEP_WIDER * max(zoom for zoom, _ in candidates), LEGIBLE_TEXT)
    chosen = next(bands for zoom, bands in candidates if zoom >= target)
    return _place(positions, column, chosen, dx, dy)


def _threshold(candidates: list[tuple[float, list[list[int]]]]) -> float:
    """A zoom below this can be neither the best nor the chosen one, whatever comes later."""
    return min(KEEP_WIDER * max(zoom for zoom, _ in candidates), LEGIBLE_TEXT) * (1 - 1e-9)


def _zoom_bound(count: int, width: int, dy: float, view: tuple[float, float]) -> float:
    """The largest zoom any wrapping into bands of ≤ `width` full columns can
    have: it has at least ⌈count / width⌉ bands, each at least one row high."""
    bands = math.ceil(count / width)
    return min(1.0, view[1] / ((bands - 1) * (1 + BAND_GAP) * dy + NODE_H + MARGIN))


class _RangeTable:
    """pick (min or max) over any index range: a sparse table (level k holds
    pick over runs of 2**k) capped at RUN_LEVELS, so set-up is linear; a longer
    range takes one entry per 2**RUN_LEVELS columns (few bands are that long)."""

    def __init__(self, values: list, pick=min) -> None:
        self.pick = pick
        self.levels = [values]
        span = 1
        while 2 * span <= len(values) and len(self.levels) <= RUN_LEVELS:
            prev = self.levels[-1]
            self.levels.append(list(map(pick, prev, prev[span:])))
            span *= 2

    def over(self, lo: int, hi: int):
        """pick(values[lo..hi]), both ends included."""
        k = min((hi - lo + 1).bit_length() - 1, len(self.levels) - 1)
        row, step = self.levels[k], 1 << k
        return self.pick(self.pick(row[lo:hi - step + 2:step]), row[hi - step + 1])


class _Cheapest(_RangeTable):
    """The cheapest cut in a range of boundaries; of equal ones the latest
    (the key (cost, -b) is unique, so this is exactly min(range, key=...))."""

    def __init__(self, crossing: list[float]) -> None:
        super().__init__([(c, -b) for b, c in enumerate(crossing)])

    def cut(self, lo: int, hi: int) -> int:
        return -self.over(lo, hi)[1]


class _Columns:
    """What a wrapping's size depends on, per column of the grid: the top and
    bottom row in it, and where the nearest occupied columns are."""

    def __init__(self, positions: Positions, column: dict[str, int], count: int) -> None:
        low, high = [math.inf] * count, [-math.inf] * count
        for nid, (_, y) in positions.items():
            c = column[nid]
            low[c], high[c] = min(low[c], y), max(high[c], y)
        self.full = all(v < math.inf for v in low)
        self.low, self.high = _RangeTable(low, min), _RangeTable(high, max)
        self.next = [count] * (count + 1)  # next[c]: first occupied column ≥ c
        for c in range(count - 1, -1, -1):
            self.next[c] = c if low[c] < math.inf else self.next[c + 1]
        self.prev = [-1] * count  # prev[c]: last occupied column ≤ c
        for c in range(count):
            self.prev[c] = c if low[c] < math.inf else (self.prev[c - 1] if c else -1)

    def zoom(self, bands: list[list[int]], left: float, dx: float, dy: float,
             view: tuple[float, float]) -> float:
        """_fit_zoom(_place(...), view, len(bands) > 1), without placing a node:
        the same arithmetic on each band's extremes, so the same value."""
        xs: list[float] = []
        ys: list[float] = []
        bottom: float | None = None
        for start, end in bands:
            first = self.next[start]
            if first >= end:
                continue  # an empty band: _place skips it too
            last = self.prev[end - 1]
            y_top, y_bottom = self.low.over(first, last), self.high.over(first, last)
            shift = 0.0 if bottom is None else bottom + (1 + BAND_GAP) * dy - y_top
            xs += (left + (first - start) * dx, left + (last - start) * dx)
            ys += (y_top + shift, y_bottom + shift)
            bottom = y_bottom + shift
        return _zoom_of(min(xs), max(xs), min(ys), max(ys), view, len(bands) > 1)


def _crossings(column: dict[str, int], edges: list[tuple[str, str]], count: int,
               groups: Sequence[Sequence[str]] = ()) -> list[float]:
    """cost[b] of a cut just before column b: the edges it breaks, and much
    more for each group (a block's frame) it would split across two bands."""
    diff = [0.0] * (count + 2)

    def span(a: int, b: int, weight: float) -> None:  # boundaries a+1 .. b
        diff[a + 1] += weight
        diff[b + 1] -= weight

    for src, dst in edges:
        span(*sorted((column[src], column[dst])), 1.0)
    for members in groups:
        cols = [column[n] for n in members if n in column]
        if cols:
            span(min(cols), max(cols), GROUP_SPLIT)
    out, running = [], 0.0
    for b in range(count + 1):
        running += diff[b]
        out.append(running)
    return out


def _cut(count: int, width: int, cheapest: _Cheapest) -> list[list[int]]:
    """Bands [start, end) of at most `width` columns, each cut at the cheapest
    place in its second half (the latest such place)."""
    bands, start = [], 0
    while count - start > width:
        end = cheapest.cut(start + max(1, math.ceil(width / 2)), start + width)
        bands.append([start, end])
        start = end
    bands.append([start, count])
    return bands


def _place(positions: Positions, column: dict[str, int], bands: list[list[int]], dx: float,
           dy: float) -> Positions:
    """Each band moved to the left edge and stacked below the one before."""
    band_of = {}
    for b, (start, end) in enumerate(bands):
        for c in range(start, end):
            band_of[c] = b
    left = min(x for x, _ in positions.values())
    members: list[list[str]] = [[] for _ in bands]
    for nid in positions:
        members[band_of[column[nid]]].append(nid)
    out: Positions = {}
    bottom: float | None = None
    for b, ids in enumerate(members):
        if not ids:
            continue
        ys = [positions[nid][1] for nid in ids]
        shift = 0.0 if bottom is None else bottom + (1 + BAND_GAP) * dy - min(ys)
        for nid in ids:
            x, y = positions[nid]
            out[nid] = (left + (column[nid] - bands[b][0]) * dx, y + shift)
        bottom = max(ys) + shift
    return out


def _fit_zoom(positions: Positions, view: tuple[float, float], wrapped: bool = False) -> float:
    """The zoom at which fit-to-view would show these positions (≤ 1)."""
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    return _zoom_of(min(xs), max(xs), min(ys), max(ys), view, wrapped)


def _zoom_of(x0: float, x1: float, y0: float, y1: float, view: tuple[float, float], wrapped: bool) -> float:
    width = (x1 - x0 + NODE_W) * (1 + WRAP_OVERSHOOT * wrapped) + MARGIN
    height = y1 - y0 + NODE_H + MARGIN
    return min(1.0, view[0] / width, view[1] / height)


def needs_wrapping(graph: Graph, view: tuple[float, float] = VIEW) -> bool:
    """True when the stored positions are a generated left → right strip (on
    the layout's column grid, every edge going right) too long to read when
    fitted, and wrapping it would show it far larger. Hand-placed layouts are
    never on that grid, so they are left alone."""
    return _wrapped_strip(graph, view) is not None


def _wrapped_strip(graph: Graph, view: tuple[float, float], dx: float = COLUMN_DX) -> Positions | None:
    if len(graph) < 2:
        return None
    positions = {n.id: n.pos for n in graph}
    left = min(x for x, _ in positions.values())
    if any(abs((x - left) / dx - round((x - left) / dx)) > 1e-3 for x, _ in positions.values()):
        return None
    if any(positions[e.src][0] >= positions[e.dst][0] for e in graph.edges):
        return None
    now = _fit_zoom(positions, view)
    if now >= LEGIBLE_TEXT:
        return None
    wrapped = wrap_positions(positions, _edges(graph), dx, view=view, groups=_groups(graph))
    return wrapped if _fit_zoom(wrapped, view, True) >= MIN_GAIN * now else None


def reading_layout(graph: Graph, view: tuple[float, float] = VIEW) -> Positions | None:
    """New positions for a graph about to be shown in a canvas of `view`
    (w, h) screen pixels, or None to keep its own: a layout when it has none,
    a wrapped one when it is a long strip (fewer, longer bands in a short wide view)."""
    if needs_layout(graph):
        return layered_layout(graph, view=view)
    return _wrapped_strip(graph, view)


def needs_layout(graph: Graph) -> bool:
    """True when positions are missing (all nodes piled up), e.g. an imported file."""
    spots = {n.pos for n in graph}
    return len(graph) > 1 and len(spots) < max(2, len(graph) // 2)
