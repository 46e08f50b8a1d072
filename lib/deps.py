r"""Which lemma feeds which result: the dependency graph of a chapter, read from its notebook.

A chapter states its results in MyST directives (``{prf:theorem}``, ``{prf:lemma}``,
``{prf:corollary}``, ``{prf:proposition}``, ``{prf:definition}``, ``{prf:remark}``) with a
``:label:``, and proves each in the ``{prf:proof}`` that follows it. :func:`dependency_graph`
reads the markdown cells of a notebook, finds every labelled result and, in the proof that
follows it, every ``{prf:ref}`` target: each citation is an edge *cited result -> result being
proved*. Where the proof is written in numbered steps (a paragraph opening with ``*1.*``,
``*2.*``, ...), the edge records the step that cites the lemma. Targets that the notebook does
not state (a lemma of an earlier chapter) become nodes of kind ``"external"``.

The graph is recomputed from the notebook every time, so a figure drawn from it
(:func:`lib.plotting.dependency_diagram`) cannot go stale when a proof changes. :func:`book_graph`
joins several chapters and keeps the citations that cross from one chapter to another.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

__all__ = ["Result", "Citation", "DependencyGraph", "dependency_graph", "book_graph", "RESULT_KINDS"]

#: the directive kinds that state a result (a node of the graph)
RESULT_KINDS = ("theorem", "lemma", "corollary", "proposition", "definition", "remark")

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{prf:(?P<kind>[a-z]+)\}[ \t]*(?P<title>.*)$")
_LABEL = re.compile(r"^:label:\s*(?P<label>\S+)\s*$")
_REF = re.compile(r"\{prf:ref\}`(?:[^`<]*<)?(?P<label>[^`<>]+?)>?`")
_STEP = re.compile(r"^\*(?P<step>\d+)\.\*", re.M)


class Result(NamedTuple):
    """One node: a labelled result of the chapter (or one it cites from elsewhere)."""
    label: str      # the ``:label:`` ("thm-du-book")
    kind: str       # "theorem", "lemma", ..., or "external" for a label stated elsewhere
    title: str      # the directive's title ("" when it has none; the label for external nodes)
    cell: int       # index of the notebook cell that states it (-1 for external nodes)


class Citation(NamedTuple):
    """One edge: ``source`` is cited in the proof of ``target``."""
    source: str     # label of the cited result
    target: str     # label of the result whose proof cites it
    step: str       # the numbered step of the proof that cites it ("1", "2", ...), or "" if none


class DependencyGraph(NamedTuple):
    """The results of a chapter (in order of appearance) and the citations in their proofs."""
    results: tuple[Result, ...]
    citations: tuple[Citation, ...]

    def result(self, label: str) -> Result:
        """The node labelled ``label``; ``KeyError`` naming the labels there are if none."""
        for r in self.results:
            if r.label == label:
                return r
        raise KeyError(f"no result labelled {label!r}; the graph has {[r.label for r in self.results]}")

    def cited_by(self, label: str) -> tuple[str, ...]:
        """The labels cited in the proof of ``label`` (its in-edges), in order of first citation."""
        self.result(label)
        return tuple(dict.fromkeys(c.source for c in self.citations if c.target == label))


def _markdown_cells(source) -> list[str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix != ".ipynb":
            raise ValueError(f"source must be a Jupyter notebook (.ipynb) path, got {str(source)!r}")
        if not path.is_file():
            raise FileNotFoundError(f"source {str(source)!r} is not a file (notebooks run with book/ as "
                                    f"the working directory: pass e.g. 'ch1_pl_ntk.ipynb' there)")
        try:
            source = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"source {str(path)!r} is not a notebook: invalid JSON ({err})") from None
    elif not isinstance(source, dict):
        raise TypeError(f"source must be a notebook path (str or Path) or a notebook dict, "
                        f"got {type(source).__name__} {source!r:.80}")
    cells = source.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise ValueError("source must be a notebook with a 'cells' list of cell dicts, "
                         f"got cells = {cells!r:.80}")
    out = []
    for c in cells:
        text = c.get("source", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        out.append(text if c.get("cell_type") == "markdown" else "")
    return out


def _blocks(cells: list[str]):
    """``(cell, kind, title, label, body)`` of every ``{prf:...}`` directive, in order."""
    for index, text in enumerate(cells):
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            m = _FENCE.match(lines[i].strip())
            if not m:
                i += 1
                continue
            fence, kind, title = m["fence"], m["kind"], m["title"].strip()
            j, label, body = i + 1, "", []
            while j < len(lines) and lines[j].strip() != fence:
                lm = _LABEL.match(lines[j].strip())
                if lm and not label and not body:
                    label = lm["label"]
                elif not (lines[j].strip().startswith(":") and not body):
                    body.append(lines[j])
                j += 1
            yield index, kind, title, label, "\n".join(body)
            i = j + 1


def dependency_graph(source) -> DependencyGraph:
    r"""The dependency graph of a chapter: which labelled results each proof cites.

    ``source`` is a notebook path (``"ch1_pl_ntk.ipynb"``; chapters execute with ``book/`` as the
    working directory) or a notebook already loaded as a dict. A ``{prf:proof}`` belongs to the
    last labelled theorem, lemma, corollary or proposition stated before it; every
    ``{prf:ref}`` in it is a :class:`Citation` from the cited label to that result, with the
    proof's step number (``*2.*``) when the citation lies in a numbered step. A citation of a
    result in its own proof is ignored. Returns a :class:`DependencyGraph`.

    Raises ``TypeError`` when ``source`` is neither a path nor a dict, ``FileNotFoundError``
    when the path is not a file, and ``ValueError`` when it is not an ``.ipynb`` notebook with a
    ``cells`` list, or when two results share a label.
    """
    cells = _markdown_cells(source)
    results: dict[str, Result] = {}
    citations: list[Citation] = []
    current = None
    for cell, kind, title, label, body in _blocks(cells):
        if kind in RESULT_KINDS and label:
            if label in results:
                raise ValueError(f"label {label!r} is stated twice (cells {results[label].cell} and {cell})")
            results[label] = Result(label, kind, title, cell)
            current = label if kind in ("theorem", "lemma", "corollary", "proposition") else None
        elif kind == "proof" and current is not None:
            steps = [(m.start(), m["step"]) for m in _STEP.finditer(body)]
            for ref in _REF.finditer(body):
                cited = ref["label"].strip()
                if cited == current:
                    continue
                step = ""
                for start, number in steps:
                    if start <= ref.start():
                        step = number
                citations.append(Citation(cited, current, step))
            current = None
    seen = set()
    unique = []
    for c in citations:
        if (c.source, c.target, c.step) not in seen:
            seen.add((c.source, c.target, c.step))
            unique.append(c)
    external = [Result(c.source, "external", c.source, -1) for c in unique if c.source not in results]
    nodes = list(results.values()) + list({r.label: r for r in external}.values())
    return DependencyGraph(tuple(nodes), tuple(unique))


def book_graph(sources) -> DependencyGraph:
    r"""The citations that cross chapters: which result of one chapter the proofs of another cite.

    ``sources`` maps a chapter's name (``"1"``, ``"ch1"``, ...) to its notebook, as
    :func:`dependency_graph` takes it. Each chapter's graph is read; a citation is kept when the cited
    result is stated in another chapter of ``sources``. The nodes are the results at either end, their
    titles prefixed with the chapter's name (``"1: Finite path length under PL"``); a cited label that no
    chapter states keeps the kind ``"external"``. Returns a :class:`DependencyGraph`.

    Raises ``TypeError`` unless ``sources`` is a non-empty dict with string keys, ``ValueError`` when
    two chapters state the same label, and what :func:`dependency_graph` raises for a notebook.
    """
    if not isinstance(sources, dict) or not sources:
        raise TypeError(f"sources must be a non-empty dict mapping chapter names to notebooks, got {sources!r:.80}")
    for name in sources:
        if not isinstance(name, str):
            raise TypeError(f"sources' keys must be chapter names (strings), got {name!r}")
    graphs = {name: dependency_graph(src) for name, src in sources.items()}
    home: dict[str, tuple[str, Result]] = {}
    for name, g in graphs.items():
        for r in g.results:
            if r.kind == "external":
                continue
            if r.label in home:
                raise ValueError(f"label {r.label!r} is stated in chapter {home[r.label][0]!r} and in {name!r}")
            home[r.label] = (name, r)
    citations, nodes = [], {}
    for name, g in graphs.items():
        for c in g.citations:
            where = home.get(c.source, (None, None))[0]
            if where == name:
                continue
            citations.append(c)
            for label in (c.source, c.target):
                if label in home:
                    chapter, r = home[label]
                    nodes[label] = r._replace(title=f"{chapter}: {r.title or r.label}")
                else:
                    nodes[label] = Result(label, "external", label, -1)
    return DependencyGraph(tuple(nodes.values()), tuple(dict.fromkeys(citations)))
