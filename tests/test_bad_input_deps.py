"""Bad input to lib.deps and lib.plotting.dependency_diagram: clear errors naming the argument."""
import json

import matplotlib.pyplot as plt
import pytest

from lib import deps, plotting

from badinput import covers, exempt, raises_naming

exempt("lib.deps.Result", "a node record that dependency_graph builds itself")
exempt("lib.deps.Citation", "an edge record that dependency_graph builds itself")
exempt("lib.deps.DependencyGraph", "the graph record that dependency_graph builds itself")


@covers("lib.deps.dependency_graph")
@pytest.mark.parametrize("source, exc", [
    (None, TypeError), (3, TypeError), (["cells"], TypeError),
    ("chapter.md", ValueError), ("no_such_chapter.ipynb", FileNotFoundError),
    ({"nbformat": 4}, ValueError), ({"cells": ["text"]}, ValueError),
])
def test_dependency_graph_bad_source(source, exc):
    raises_naming(exc, "source", deps.dependency_graph, source)


@covers("lib.deps.dependency_graph")
def test_dependency_graph_not_json(tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{not json")
    raises_naming(ValueError, "source", deps.dependency_graph, bad)
    good = tmp_path / "empty.ipynb"
    good.write_text(json.dumps({"cells": []}))
    assert deps.dependency_graph(good) == deps.DependencyGraph((), ())


@covers("lib.plotting.dependency_diagram")
def test_dependency_diagram_bad_arguments():
    g = deps.dependency_graph({"cells": [{"cell_type": "markdown", "source": "```{prf:lemma} A\n:label: lem-a\n```"}]})
    raises_naming(TypeError, "graph", plotting.dependency_diagram, {"results": ()})
    raises_naming(TypeError, "ax", plotting.dependency_diagram, g, ax="axis")
    raises_naming(TypeError, "title_chars", plotting.dependency_diagram, g, title_chars=20.0)
    raises_naming(ValueError, "title_chars", plotting.dependency_diagram, g, title_chars=3)
    dangling = deps.DependencyGraph(g.results, (deps.Citation("lem-zz", "lem-a", ""),))
    raises_naming(ValueError, "graph", plotting.dependency_diagram, dangling)
    plt.close("all")


@covers("lib.deps.book_graph")
def test_book_graph_bad_sources():
    raises_naming(TypeError, "sources", deps.book_graph, {})
    raises_naming(TypeError, "sources", deps.book_graph, ["ch1.ipynb"])
    raises_naming(TypeError, "sources", deps.book_graph, {1: {"cells": []}})
    raises_naming(TypeError, "source", deps.book_graph, {"1": None})
