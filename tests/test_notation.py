"""The notation page against the chapters (issue 15: one notation across the book).

``book/notation.md`` lists every symbol of the book in tables whose first column is the
symbol (one or more ``$...$`` separated by commas) and whose last column names the chapter
that introduces it (``{doc}`ch1_pl_ntk```). These tests fail when

* a symbol appears in two rows (two meanings for one symbol);
* a row names a chapter whose markdown never writes the symbol (a stale row);
* a symbol the book retired from a chapter (because it meant something else elsewhere)
  comes back into that chapter's markdown.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = ["ch1_pl_ntk", "ch2_last_layer", "ch3_pyramid", "ch4_implicit", "ch5_deq_linear", "ch6_synthesis"]

#: symbols that meant two things before issue 15, with the chapter they must no longer appear in
#: (as a regular expression over that chapter's math) and what replaced them
RETIRED = {
    "ch5_deq_linear": [
        (r"\\kappa(?![A-Za-z])", "the curvature bound is beta_-"),
        (r"\\phi(?![A-Za-z])", "the feature map is psi"),
        (r"(?<![A-Za-z\\])L_0|(?<![A-Za-z\\])L\^\*", "the shallow loss is Phi_sh, its minimum Phi^*"),
        (r"\\sigma\(A\)", "the softmax is S(A)"),
        (r"(?<![A-Za-z\\{])B(?![A-Za-z_])", "the output weight is C"),
        (r"\\Delta(?![_a-zA-Z])", "the trust-region radius is R_tr (Delta_l are backward signals)"),
        (r"(?<!\\mathbb )(?<![A-Za-z\\{])P(?![A-Za-z_])", "the preconditioner is P_theta (P is the path-length bound)"),
        (r"(?<!\\mathcal )(?<![A-Za-z\\{])M(?![A-Za-z_])", "the DEQ's metric is M_theta"),
        (r"(?<!\\mathcal )(?<![A-Za-z\\{])J_", "the softmax Jacobian is mathcal J_j (J is the Jacobian of the outputs)"),
    ],
    "ch4_implicit": [
        (r"\\lambda_0", "the implicit kernel's smallest eigenvalue is lambda_{mathcal K}"),
        (r"\\lambda_\{?K\}?(?![A-Za-z])", "the implicit kernel's smallest eigenvalue is lambda_{mathcal K}"),
        (r"(?<!\\mathcal )(?<![A-Za-z\\{])K(?![A-Za-z])", "the limiting kernel is mathcal K (K is the empirical NTK)"),
        (r"\\rho_", "radii are R_A, R_W, R_u (rho is a rate, rho(.) the spectral radius)"),
        (r"(?<![A-Za-z\\])G_", "the gradient bounds are Gamma_A, Gamma_W (G_l are pre-activations)"),
        (r"(?<!\\mathcal )(?<![A-Za-z\\{])D(?![A-Za-z_])|(?<!\\mathcal )(?<![A-Za-z\\{])D_i", "the activation pattern is mathcal D (D_p bounds a block's travel)"),
        (r"(?<!\\mathcal )(?<![A-Za-z\\{])T\(", "the layer map is mathcal T (T is a number of steps)"),
        (r"(?<![A-Za-z\\])P\(", "the induction statement is I(k) (P is the path-length bound)"),
    ],
    "ch3_pyramid": [(r"\\gamma(?![A-Za-z])", "the slope bound is zeta"),
                    (r"\\beta(?![A-Za-z_])", "the Lipschitz constant of sigma' is beta_sigma"),
                    (r"(?<!\\mathcal )(?<![A-Za-z\\{])K", "the second-derivative bounds are beta_l (K is the empirical NTK)"),
                    (r"(?<![\\A-Za-z])A", "a generic matrix is M (A is the implicit weight of chapters 4 and 5)")],
    "ch2_last_layer": [(r"\\beta(?![A-Za-z_])", "the initialisation gain is omega"),
                       (r"\\rho_", "the radii are R_l (rho is a rate)"),
                       (r"(?<![A-Za-z\\])P\(", "the induction statement is I(k) (P is the path-length bound)"),
                       (r"\\alpha(?![A-Za-z_])", "chapter 2's PL constant is sigma_min(F_{L-1})^2; alpha is chapter 3's weak-PL constant"),
                       (r"(?<![\\A-Za-z])A", "a generic matrix is M (A is the implicit weight of chapters 4 and 5)")],
    "ch1_pl_ntk": [(r"\\tau(?![A-Za-z])", "the stopping time is t_*"),
                   (r"(?<![\\A-Za-z])A", "the least-squares (feature) matrix is F (A is the implicit weight of chapters 4 and 5)"),
                   (r"(?<![A-Za-z\\])u\(\\theta", "the predictions are hat y(theta) (u is chapter 4's output weight)"),
                   (r"\\theta_\{ij\}", "the angle between two inputs is vartheta_ij"),
                   (r"(?<![A-Za-z\\{])P(?![A-Za-z_])", "P is the path-length bound (a projection is Pi, the number of parameters dim theta)")],
}

MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.S)


def chapter_markdown(name: str) -> str:
    """The markdown cells of ``book/<name>.ipynb``, joined."""
    nb = json.loads((BOOK / f"{name}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def chapter_math(name: str, *, skip_paper_symbols: bool = False) -> str:
    """The math of a chapter's markdown; optionally without the paragraph that names the paper's own symbols."""
    text = chapter_markdown(name)
    if skip_paper_symbols:
        text = "\n\n".join(p for p in text.split("\n\n") if "kawaguchi2021implicit` writes" not in p)
    return " ".join(MATH.findall(text))


def squash(tex: str) -> str:
    """LaTeX with spaces and optional braces around one-token subscripts removed, for comparison."""
    tex = re.sub(r"\s+", "", tex)
    return re.sub(r"([_^])\{(\\?[A-Za-z0-9*+-]|\\[A-Za-z]+)\}", r"\1\2", tex)


def writes(math: str, symbol: str) -> bool:
    """Whether the squashed ``math`` contains ``symbol`` as a whole token: ``X`` is not found in ``XY``,
    nor ``\\lambda_0`` in ``\\lambda_{0k}``; for ``\\lVert \\cdot \\rVert_2`` the closing part is looked for."""
    key = squash(symbol.split("\\cdot")[-1]) if "\\cdot" in symbol else squash(symbol)
    pattern = ("" if key[0] == "\\" else r"(?<![A-Za-z])") + re.escape(key) + r"(?![A-Za-z0-9}])"
    return re.search(pattern, math) is not None


def notation_rows(text: str) -> list[tuple[str, list[str], str]]:
    """``(section, symbols, chapter)`` for every table row of the notation page."""
    rows, section = [], ""
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("# ").strip()
            continue
        if not line.startswith("|") or set(line) <= set("|- ") or line.startswith("| symbol"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        symbols = re.findall(r"\$([^$]+)\$", cells[0])
        chapter = re.findall(r"\{doc\}`(\w+)`", cells[-1])
        rows.append((section, symbols, chapter[0] if chapter else ""))
    return rows


ROWS = notation_rows((BOOK / "notation.md").read_text())


def test_page_has_rows_and_chapters():
    assert len(ROWS) > 60, f"the notation page lists only {len(ROWS)} rows"
    for section, symbols, chapter in ROWS:
        assert symbols, f"a row of section {section!r} has no $symbol$ in its first column"
        assert chapter in CHAPTERS, f"row {symbols} names chapter {chapter!r}, expected one of {CHAPTERS}"


def test_no_symbol_in_two_rows():
    seen: dict[str, tuple] = {}
    for row in ROWS:
        for sym in row[1]:
            key = squash(sym)
            assert key not in seen, f"symbol ${sym}$ is listed twice: {seen[key][1]} and {row[1]}"
            seen[key] = row


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_listed_symbols_occur_in_their_chapter(chapter):
    math = squash(chapter_math(chapter))
    missing = [sym for _, symbols, ch in ROWS if ch == chapter for sym in symbols if not writes(math, sym)]
    assert not missing, f"notation.md says {chapter} introduces {missing}, but its markdown never writes them"


@pytest.mark.parametrize("chapter", sorted(RETIRED))
def test_retired_symbols_stay_retired(chapter):
    math = chapter_math(chapter, skip_paper_symbols=True)
    for pattern, why in RETIRED[chapter]:
        hit = re.search(pattern, math)
        assert hit is None, f"{chapter} writes {math[max(0, hit.start() - 30):hit.end() + 30]!r}: {why}"


def test_squash_and_rows_parse_a_small_page():
    page = "# A\n\n| symbol | meaning | introduced in |\n| --- | --- | --- |\n| $x_{i}$, $\\Phi$ | m | {doc}`ch1_pl_ntk` |\n"
    assert notation_rows(page) == [("A", ["x_{i}", "\\Phi"], "ch1_pl_ntk")]
    assert squash("x_{i} + \\lambda_{K}") == "x_i+\\lambda_K"
    assert writes("\\lambda_K+X", "\\lambda_{K}") and writes("a+X", "X") and not writes("XY", "X")
    assert not writes("\\lambda_0k", "\\lambda_0") and writes("\\lVertx\\rVert_2", "\\lVert \\cdot \\rVert_2")
