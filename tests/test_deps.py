"""lib.deps reads which lemma feeds which result; lib.plotting.dependency_diagram draws it."""
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from lib import deps, plotting

BOOK = Path(__file__).resolve().parents[1] / "book"


def notebook(*markdown):
    return {"cells": [{"cell_type": "markdown", "source": m} for m in markdown]
            + [{"cell_type": "code", "source": "{prf:ref}`lem-a` in code is not a citation"}]}


SMALL = notebook(
    "```{prf:definition} A definition\n:label: def-a\n\nText.\n```\n",
    "```{prf:lemma} First lemma\n:label: lem-a\n\nUses {prf:ref}`def-a` in the statement only.\n```\n\n"
    "```{prf:proof}\nBy {prf:ref}`lem-a` itself (ignored) and {prf:ref}`lem-elsewhere`.\n```\n",
    "````{prf:theorem} Main theorem\n:label: thm-main\n\nStatement.\n````\n\n"
    "```{prf:proof}\n*1.* From {prf:ref}`lem-a`.\n\n*2.* From {prf:ref}`the definition <def-a>` and again "
    "{prf:ref}`lem-a`.\n```\n\nAfter the proof, {prf:ref}`lem-b` is no citation.\n",
)


def test_small_notebook_graph():
    g = deps.dependency_graph(SMALL)
    assert [(r.label, r.kind, r.title) for r in g.results] == [
        ("def-a", "definition", "A definition"), ("lem-a", "lemma", "First lemma"),
        ("thm-main", "theorem", "Main theorem"), ("lem-elsewhere", "external", "lem-elsewhere")]
    assert g.citations == (deps.Citation("lem-elsewhere", "lem-a", ""), deps.Citation("lem-a", "thm-main", "1"),
                           deps.Citation("def-a", "thm-main", "2"), deps.Citation("lem-a", "thm-main", "2"))
    assert g.cited_by("thm-main") == ("lem-a", "def-a")
    assert g.cited_by("def-a") == ()
    with pytest.raises(KeyError, match="thm-nope"):
        g.cited_by("thm-nope")


def test_duplicate_label_raises():
    nb = notebook("```{prf:lemma} A\n:label: lem-x\n```\n", "```{prf:lemma} B\n:label: lem-x\n```\n")
    with pytest.raises(ValueError, match="lem-x"):
        deps.dependency_graph(nb)


def test_real_chapters():
    ch1 = deps.dependency_graph(BOOK / "ch1_pl_ntk.ipynb")
    assert "cor-ntk-rate" in ch1.cited_by("thm-du-book")
    assert set(ch1.cited_by("cor-ntk-rate")) == {"lem-ntk-pl", "lem-pl-rate"}
    ch5 = deps.dependency_graph(BOOK / "ch5_deq_linear.ipynb")
    steps = {(c.source, c.step) for c in ch5.citations if c.target == "thm-deq-rate"}
    assert {("lem-deq-precond", "1"), ("lem-path-length", "3"), ("lem-deq-wellposed", "4")} <= steps
    assert ch5.result("lem-path-length").kind == "external"          # stated in chapter 1
    for name in ["ch2_last_layer", "ch3_pyramid", "ch4_implicit"]:
        g = deps.dependency_graph(str(BOOK / f"{name}.ipynb"))
        theorem = next(r.label for r in g.results if r.kind == "theorem")
        assert len(g.cited_by(theorem)) >= 2, (name, theorem)


def test_diagram_draws_one_box_per_linked_result_and_one_arrow_per_edge():
    g = deps.dependency_graph(SMALL)
    ax = plotting.dependency_diagram(g)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None and not t.get_text().startswith("step")]
    assert len(boxes) == 4
    assert sorted(t.get_text() for t in ax.texts if t.get_text().startswith("step")) == ["step 1, 2", "step 2"]
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 3                                            # distinct (source, target) pairs
    assert not ax.axison
    plt.close("all")


def test_diagram_routes_long_edges_around_boxes_and_rejects_cycles():
    g = deps.dependency_graph(BOOK / "ch5_deq_linear.ipynb")
    ax = plotting.dependency_diagram(g, title_chars=20)
    assert len(ax.get_lines()) >= 1                                    # waypoints of the edges that skip a column
    plt.close("all")
    cyc = deps.DependencyGraph((deps.Result("a", "lemma", "A", 0), deps.Result("b", "lemma", "B", 1)),
                               (deps.Citation("a", "b", ""), deps.Citation("b", "a", "")))
    with pytest.raises(ValueError, match="cycle"):
        plotting.dependency_diagram(cyc)
    plt.close("all")


def test_book_graph_keeps_the_citations_that_cross_chapters():
    other = notebook("```{prf:theorem} Later\n:label: thm-later\n```\n\n```{prf:proof}\nBy {prf:ref}`lem-a`, "
                     "{prf:ref}`thm-later-helper` and {prf:ref}`lem-nowhere`.\n```\n",
                     "```{prf:lemma} Helper\n:label: thm-later-helper\n```\n")
    g = deps.book_graph({"1": SMALL, "2": other})
    assert {(c.source, c.target) for c in g.citations} == {("lem-a", "thm-later"), ("lem-nowhere", "thm-later"),
                                                           ("lem-elsewhere", "lem-a")}
    titles = {r.label: (r.kind, r.title) for r in g.results}
    assert titles["lem-a"] == ("lemma", "1: First lemma") and titles["thm-later"] == ("theorem", "2: Later")
    assert titles["lem-nowhere"] == ("external", "lem-nowhere")
    with pytest.raises(ValueError, match="stated in chapter '1' and in '2'"):
        deps.book_graph({"1": SMALL, "2": SMALL})


def test_book_graph_of_the_book():
    """Chapter 1's path-length lemma feeds the main theorems of chapters 2 to 5 and chapter 6's proposition;
    chapter 4 reuses chapter 2's PL and one-step lemmas."""
    names = ["ch1_pl_ntk", "ch2_last_layer", "ch3_pyramid", "ch4_implicit", "ch5_deq_linear", "ch6_synthesis"]
    g = deps.book_graph({str(i): BOOK / f"{n}.ipynb" for i, n in enumerate(names, 1)})
    fed = {c.target for c in g.citations if c.source == "lem-path-length"}
    assert {"thm-lastlayer", "thm-pyramid", "thm-implicit", "thm-deq-rate", "prop-lazy-path"} <= fed
    assert ("lem-pl-output", "lem-ch4-pl") in {(c.source, c.target) for c in g.citations}
    plotting.dependency_diagram(g)
    plt.close("all")
