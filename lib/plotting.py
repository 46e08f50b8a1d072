r"""The book's figure style and its standard plot: measured loss against a predicted bound.

Importing this module sets the house style once (:func:`use_house_style`):
opaque white backgrounds, so figures stay readable in the book theme's dark
mode; one figure size; and a colour cycle paired with line styles and markers
that survives greyscale printing.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.axes
import matplotlib.pyplot as plt
import textwrap

import numpy as np
from cycler import cycler

from lib import _validate as V
from lib.deps import DependencyGraph

__all__ = ["use_house_style", "loss_vs_bound", "dependency_diagram", "HOUSE_STYLE"]

#: colours ordered dark to light (distinct in greyscale), each with its own dash pattern
_COLORS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]
_DASHES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]

HOUSE_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=_COLORS) + cycler(linestyle=_DASHES),
    "font.size": 11,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
}


def use_house_style() -> None:
    """Apply the house style to matplotlib's ``rcParams``."""
    mpl.rcParams.update(HOUSE_STYLE)


def loss_vs_bound(loss, bound, *, ax=None, label: str = "measured", bound_label: str = "guaranteed bound",
                  loss_star: float = 0.0):
    r"""Plot a measured loss curve and a predicted rate bound on one log-scale axis.

    ``loss: (T+1,)`` and ``bound: (T+1,)`` are indexed by the step ``k``; both are
    shown as :math:`\Phi_k - \Phi^*` (``loss_star``) on a logarithmic y-axis, the
    measured curve solid and the bound dashed and grey. Returns the axis.

    Raises ``ValueError`` when ``loss`` and ``bound`` are not 1-d arrays of the same non-zero length or
    contain NaN (``+inf`` in ``bound`` is allowed: a bound that says nothing yet), when ``loss`` has
    infinite entries or ``loss_star`` is not finite; ``TypeError`` for complex or non-numeric arrays, an ``ax``
    that is not a matplotlib ``Axes`` and labels that are not strings.
    """
    loss = _real_curve(loss, "loss")
    bound = _real_curve(bound, "bound")
    loss_star = V.real(loss_star, "loss_star")
    if loss.ndim != 1 or bound.shape != loss.shape:
        raise ValueError(
            f"loss and bound must be 1-d arrays of the same length, got {loss.shape} and {bound.shape}"
        )
    if loss.size == 0:
        raise ValueError("loss and bound must have at least one entry (step k = 0), got empty arrays")
    if np.isnan(loss).any() or np.isinf(loss).any():
        raise ValueError("loss contains NaN or infinite entries: the run diverged (lower eta) or is not a loss curve")
    if np.isnan(bound).any() or np.isneginf(bound).any():
        raise ValueError("bound contains NaN or -inf entries")
    for name, text in (("label", label), ("bound_label", bound_label)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {type(text).__name__} {text!r}")
    if ax is not None and not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__} {ax!r}")
    loss = loss - loss_star
    bound = bound - loss_star
    if ax is None:
        _, ax = plt.subplots()
    k = np.arange(len(loss))
    ax.semilogy(k, bound, color="0.55", linestyle="--", label=bound_label)
    ax.semilogy(k, loss, color=_COLORS[1], linestyle="-", label=label)
    ax.set_xlabel("step $k$")
    ax.set_ylabel(r"$\Phi(\theta_k) - \Phi^*$" if loss_star else r"$\Phi(\theta_k)$")
    ax.legend()
    return ax


#: box fill of each kind of result in :func:`dependency_diagram` (light to dark: greyscale-safe)
_KIND_FILL = {"definition": "#F2F2F2", "remark": "#F2F2F2", "lemma": "#DCEBF5", "proposition": "#DCEBF5",
              "corollary": "#F7DDC8", "theorem": "#F5C9A9", "external": "white"}
_KIND_NAME = {"definition": "Definition", "remark": "Remark", "lemma": "Lemma", "proposition": "Proposition",
              "corollary": "Corollary", "theorem": "Theorem", "external": "earlier chapter"}


def _layers(labels, edges) -> dict:
    """Longest-path layering: a result sits one column right of the furthest result its proof cites."""
    layer = {label: 0 for label in labels}
    for _ in range(len(labels)):
        changed = False
        for s, t in edges:
            if layer[t] < layer[s] + 1:
                layer[t] = layer[s] + 1
                changed = True
        if not changed:
            return layer
    raise ValueError(f"the citations form a cycle among {sorted(labels)}: a proof cites a result that depends on it")


def dependency_diagram(graph, *, ax=None, title_chars: int = 24):
    r"""Draw a chapter's lemma-dependency graph: which results each proof cites, and in which step.

    ``graph`` is a :class:`lib.deps.DependencyGraph` (from :func:`lib.deps.dependency_graph`). Results
    that cite nothing sit in the left column, and each other result one column right of the
    furthest result its proof cites, so the main theorem ends up on the right. Each box shows
    the kind of result and its title, wrapped at ``title_chars`` characters; results of earlier
    chapters have a dashed box. An arrow goes from the cited result to the result whose proof
    cites it, labelled with the proof's step ("step 3") when the proof is written in numbered
    steps. Only results with at least one citation in or out are drawn (all of them when
    there is no citation). Returns the axis.

    Raises ``TypeError`` for a ``graph`` that is not a ``DependencyGraph``, an ``ax`` that is not a
    matplotlib ``Axes`` and a ``title_chars`` that is not an integer; ``ValueError`` for
    ``title_chars < 8``, a citation of a label with no node, or citations that form a cycle.
    """
    if not isinstance(graph, DependencyGraph):
        raise TypeError(f"graph must be a lib.deps.DependencyGraph (from lib.deps.dependency_graph), "
                        f"got {type(graph).__name__}")
    if ax is not None and not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__} {ax!r}")
    title_chars = V.integer(title_chars, "title_chars", minimum=8)
    nodes = {r.label: r for r in graph.results}
    edges = [(c.source, c.target) for c in graph.citations]
    for s, t in edges:
        for end in (s, t):
            if end not in nodes:
                raise ValueError(f"graph cites {end!r}, which is not one of its results {sorted(nodes)}")
    linked = {e for edge in edges for e in edge}
    labels = [r.label for r in graph.results if r.label in linked] if edges else list(nodes)
    layer = _layers(labels, edges)
    # an edge that skips columns runs through invisible waypoints, one per column it crosses,
    # which take a slot there: so no arrow is drawn across a box (Sugiyama's layered drawing)
    chains = []
    for s, t in dict.fromkeys(edges):
        chain = [s] + [("via", s, t, x) for x in range(layer[s] + 1, layer[t])] + [t]
        for w in chain[1:-1]:
            layer[w] = w[3]
        chains.append(chain)
    columns: dict[int, list] = {}
    for node in list(labels) + [w for chain in chains for w in chain[1:-1]]:
        columns.setdefault(layer[node], []).append(node)
    preds: dict = {}
    succs: dict = {}
    for chain in chains:
        for u, v in zip(chain, chain[1:]):
            preds.setdefault(v, []).append(u)
            succs.setdefault(u, []).append(v)
    slot = {node: float(k) for col in columns.values() for k, node in enumerate(col)}
    for _ in range(4):  # barycentre sweeps, forward then backward, to untangle the arrows
        for order, links in ((sorted(columns), preds), (sorted(columns, reverse=True), succs)):
            for x in order:
                col = columns[x]
                key = {n: np.mean([slot[m] for m in links[n]]) if links.get(n) else slot[n] for n in col}
                col.sort(key=lambda n: (key[n], slot[n]))
                for k, n in enumerate(col):
                    slot[n] = float(k) - (len(col) - 1) / 2
    height = max(len(col) for col in columns.values())
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 2.6 * len(columns)), 0.5 + 0.95 * height))
    position = {n: (float(x), -slot[n]) for x, col in columns.items() for n in col}
    boxes = {}
    for label in labels:
        r = nodes[label]
        title = r.title or r.label
        text = (_KIND_NAME[r.kind] + "\n" + textwrap.fill(title, title_chars) if r.kind != "external"
                else textwrap.fill(r.label, title_chars) + "\n(" + _KIND_NAME[r.kind] + ")")
        boxes[label] = ax.text(*position[label], text, ha="center", va="center", fontsize=8, zorder=3,
                               bbox=dict(boxstyle="round,pad=0.4", fc=_KIND_FILL[r.kind], ec="0.25",
                                         ls="--" if r.kind == "external" else "-", lw=0.9))
    steps: dict = {}
    for c in graph.citations:
        if c.step:
            steps.setdefault((c.source, c.target), []).append(c.step)
    for chain in chains:
        s, t = chain[0], chain[-1]
        xs, ys = zip(*(position[n] for n in chain))
        if len(chain) > 2:  # the polyline through the waypoints, then the arrow into the target
            ax.plot(xs[:-1], ys[:-1], color="0.3", linestyle="-", lw=1.0, zorder=2, solid_capstyle="butt")
        ax.annotate("", xy=position[t], xytext=position[chain[-2]], zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1.0, shrinkA=0, shrinkB=0,
                                    patchA=boxes[s].get_bbox_patch() if len(chain) == 2 else None,
                                    patchB=boxes[t].get_bbox_patch()))
        if (s, t) in steps:
            (x0, y0), (x1, y1) = position[chain[-2]], position[t]
            ax.text(0.5 * x0 + 0.5 * x1, 0.5 * y0 + 0.5 * y1, "step " + ", ".join(steps[(s, t)]), fontsize=7,
                    color=_COLORS[2], ha="center", va="center", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    ax.set_xlim(-0.6, max(columns) + 0.6)
    ax.set_ylim(-height / 2 - 0.2, height / 2 + 0.2)
    ax.set_axis_off()
    return ax


def _real_curve(values, name: str) -> np.ndarray:
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a 1-d array of numbers, got {values!r}")
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got a complex array (dtype {arr.dtype})")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        raise TypeError(f"{name} must be a 1-d array of numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


use_house_style()
