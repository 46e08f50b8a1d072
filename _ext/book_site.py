"""The book's site extension: what the built pages need so they work offline and on a phone.

Loaded from ``_config.yml`` (``sphinx.local_extensions``). Everything it adds to a page lives
in this folder, not in a top-level ``_static/`` (Jupyter Book would add every ``.js`` there to
every page):

- **MathJax 3, served by the book.** ``mathjax_path`` in ``_config.yml`` points at
  ``_static/mathjax/tex-chtml.js``; after the build this extension copies MathJax from
  ``node_modules/mathjax`` (installed by ``npm ci``, see ``package.json``) into
  ``_build/html/_static/mathjax``. Nothing is fetched at build or read time.
- **No CDN scripts.** The book has no live-code (thebe) button and no widget outputs on its
  pages (the explorers are precomputed frames, :mod:`lib.frames`; the ``interact`` cells'
  outputs are removed), so the sphinx-thebe scripts Jupyter Book adds to every page (they
  name unpkg.com, and are declared twice, which throws) are dropped, and so is the
  notebooks' stored widget state; ``nb_ipywidgets_js: {}`` keeps myst-nb from adding
  require.js and the widget manager from CDNs.
- **Navigation shim** (``assets/book-site.js``): pydata-sphinx-theme 0.17.1 and
  sphinx-book-theme 1.3.0 bind the sidebar toggles to the *first* ``.primary-toggle`` /
  ``.secondary-toggle`` in the page, which is the hidden one in the top header; the visible
  buttons in the article header do nothing (phone: the menu never opens; desktop: the sidebar
  never collapses). The shim forwards a click on any other toggle to the first one. Remove it
  once the themes fix the selector.
- **Solution titles open the solution.** sphinx-exercise 1.2.1 makes a solution's title a link
  to its exercise; sphinx-togglebutton opens a dropdown when its title is clicked, so the link
  jumped away instead. The link is replaced by its text (the exercise sits just above).
- **Alt text from captions**: an image in a figure without alt text (myst-nb writes the file
  path) gets the caption's text.
- **Bibliography labels in author-year form** (``Gao et al., 2022``), matching the
  ``author_year`` citations in the text: the pybtex style ``authoryear`` registered here.
- CSS (``assets/book-site.css``): wide display equations scroll inside the column with a
  visible scroll bar; wide figures scroll on a phone instead of shrinking to unreadable.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "assets"
MATHJAX = ROOT / "node_modules" / "mathjax" / "es5"
#: the parts of MathJax's es5 folder a page can load: the TeX-to-CHTML bundle, its fonts,
#: the TeX extensions it loads on demand, the menu and the accessibility components
MATHJAX_PARTS = ["tex-chtml.js", "input/tex", "output/chtml", "ui", "a11y", "adaptors"]
INSTALL_HINT = "run `npm ci` in the repository root (`make book` and `make test` do it)"


# --- bibliography labels --------------------------------------------------------------------------

def _plain(rich) -> str:
    return Text.from_latex(str(rich)).render_as("text") if "\\" in str(rich) or "{" in str(rich) else str(rich)


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels ``Kawaguchi, 2021``, ``Du and Lee, 2018``, ``Gao et al., 2022``; ``2022a``, ``2022b`` when two agree."""

    def _label(self, entry) -> str:
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_plain(" ".join(p.last_names)) for p in persons]
        if not names:
            who = _plain(entry.fields.get("key", entry.key))
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def format_labels(self, sorted_entries):
        labels = [self._label(e) for e in sorted_entries]
        counts = {lab: labels.count(lab) for lab in labels}
        seen: dict[str, int] = {}
        for lab in labels:
            if counts[lab] > 1:
                seen[lab] = seen.get(lab, 0) + 1
                yield lab + "abcdefghijklmnopqrstuvwxyz"[seen[lab] - 1]
            else:
                yield lab


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` formatting with :class:`AuthorYearLabelStyle` labels."""

    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


# --- doctree fixes ----------------------------------------------------------------------------------

class UnlinkSolutionTitles(SphinxPostTransform):
    """Replace the link in a solution's title by its text, so a click on the title opens the solution."""

    default_priority = 30  # after sphinx-exercise's ResolveTitlesInSolutions (21)

    def run(self, **kwargs):
        from sphinx_exercise.nodes import solution_node

        for sol in self.document.findall(solution_node):
            if not sol.children or not isinstance(sol.children[0], nodes.title):
                continue
            for ref in list(sol.children[0].findall(nodes.reference)):
                ref.replace_self(nodes.inline("", "", *ref.children))


class AltTextFromCaptions(SphinxPostTransform):
    """Give an image in a figure the caption's text as alt text when it has none (or only its file path)."""

    default_priority = 30

    def run(self, **kwargs):
        for fig in self.document.findall(nodes.figure):
            captions = [c for c in fig.children if isinstance(c, nodes.caption)]
            if not captions:
                continue
            text = " ".join(captions[0].astext().split())
            for img in fig.findall(nodes.image):
                alt = img.get("alt", "")
                if not alt or alt == img.get("uri") or "/" in alt or alt.endswith((".png", ".svg", ".jpg")):
                    img["alt"] = text


# --- page assets -----------------------------------------------------------------------------------

def _add_assets(app: Sphinx, config) -> None:
    config.html_static_path.append(str(ASSETS))


def _check_mathjax(app: Sphinx) -> None:
    if app.builder.format == "html" and not (MATHJAX / "tex-chtml.js").is_file():
        raise ExtensionError(f"MathJax 3 is not installed at {MATHJAX}: {INSTALL_HINT}")


def _drop_unused_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    def keep(asset) -> bool:
        name = str(getattr(asset, "filename", asset) or "")
        attributes = getattr(asset, "attributes", {})
        body = str(attributes.get("body", ""))
        widget_state = attributes.get("type") == "application/vnd.jupyter.widget-state+json"
        return "thebe" not in name and "THEBE_JS_URL" not in body and not widget_state

    for key in ("script_files", "css_files"):
        if key in context:  # the builder's own list: Sphinx restores it before the next page
            context[key][:] = [a for a in context[key] if keep(a)]


def _copy_mathjax(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def setup(app: Sphinx):
    app.connect("config-inited", _add_assets)
    app.connect("builder-inited", _check_mathjax)
    app.connect("html-page-context", _drop_unused_scripts, priority=900)
    app.connect("build-finished", _copy_mathjax)
    app.add_post_transform(UnlinkSolutionTitles)
    app.add_post_transform(AltTextFromCaptions)
    app.add_js_file("book-site.js", defer="defer")
    app.add_css_file("book-site.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
