r"""Explorers that respond in the static page: precomputed frames with a tiny inline control.

A reader of the built book has no kernel, so an ``ipywidgets.interact`` explorer shows
nothing there. :func:`explorer` runs the explorer's plotting function once for every
combination of a small grid of control values (at execution time), renders each figure to a
small PNG (or SVG), and returns self-contained HTML: the frames, one slider (numbers) or
select (strings) per control, and a few lines of inline JavaScript that show the frame for
the chosen values. No script or style is loaded from anywhere; the page stays usable
without JavaScript (it shows the default frame).

Each frame is drawn by the plotting function called with exactly the values the controls
display, so a figure's title always agrees with its controls.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["render_frames", "frames_html", "explorer", "format_value"]

_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def format_value(value) -> str:
    """How a control value is written in labels and keys: ``0.5``, ``1000``, ``he``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def _check_grid(grid) -> dict[str, list]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"grid must be a non-empty mapping of control name to values, got {grid!r}")
    checked = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid: control names must be identifiers, got {name!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty sequence of values, got {values!r}")
        labels = [format_value(v) for v in values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"grid[{name!r}] has repeated values {labels}: each value must show a different frame")
        kinds = {isinstance(v, str) for v in values}
        if len(kinds) != 1:
            raise ValueError(f"grid[{name!r}] mixes strings and numbers: {list(values)!r}")
        checked[name] = list(values)
    return checked


def _key(names: Sequence[str], combo: Mapping[str, object]) -> str:
    return "|".join(format_value(combo[n]) for n in names)


def _palette_png(png: bytes, colors: int) -> bytes:
    """``png`` reduced to ``colors`` colours (line plots on white need few): about a third of the bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_frames(plot: Callable[..., Figure], grid: Mapping[str, Sequence], *, fmt: str = "png",
                  dpi: float = 72, colors: int | None = 64) -> dict[str, str]:
    """Call ``plot(**values)`` for every combination of ``grid`` and return ``{key: data URI}``.

    ``plot`` returns a matplotlib figure (closed here after rendering); ``grid`` maps each
    control name to its values; ``fmt`` is ``"png"`` (at ``dpi``, reduced to a palette of
    ``colors`` colours unless ``colors`` is None) or ``"svg"``. The key of a combination is its
    values written by :func:`format_value`, joined by ``|`` in the grid's order.
    """
    if not callable(plot):
        raise ValueError(f"plot must be a callable returning a matplotlib Figure, got {plot!r}")
    grid = _check_grid(grid)
    if fmt not in _FORMATS:
        raise ValueError(f"fmt must be one of {sorted(_FORMATS)}, got {fmt!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, int) or not 2 <= colors <= 256):
        raise ValueError(f"colors must be an integer in [2, 256] or None, got {colors!r}")
    names = list(grid)
    frames = {}
    for values in itertools.product(*grid.values()):
        combo = dict(zip(names, values))
        fig = plot(**combo)
        if not isinstance(fig, Figure):
            plt.close("all")
            raise ValueError(f"plot({combo}) must return a matplotlib Figure, got {type(fig).__name__}")
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Software": None} if fmt == "png" else {"Date": None})
        plt.close(fig)
        body = _palette_png(buf.getvalue(), colors) if fmt == "png" and colors is not None else buf.getvalue()
        frames[_key(names, combo)] = f"data:{_FORMATS[fmt]};base64," + base64.b64encode(body).decode("ascii")
    return frames


_SCRIPT = """(function () {
  var root = document.getElementById(%(id)s);
  var controls = root.querySelectorAll("[data-control]");
  var labels = %(labels)s;
  function show() {
    var key = [];
    controls.forEach(function (c) {
      var value = labels[c.dataset.control][Number(c.value)];
      key.push(value);
      var out = root.querySelector('output[data-for="' + c.dataset.control + '"]');
      if (out) { out.textContent = value; }
    });
    key = key.join("|");
    root.querySelectorAll("img[data-key]").forEach(function (img) { img.style.display = img.dataset.key === key ? "" : "none"; });
  }
  controls.forEach(function (c) { c.addEventListener("input", show); c.addEventListener("change", show); });
  show();
})();"""


def frames_html(frames: Mapping[str, str], grid: Mapping[str, Sequence], *, default: Mapping | None = None,
                alt: str | None = None, title: str = "") -> str:
    """Self-contained HTML for precomputed ``frames`` (from :func:`render_frames`) over ``grid``.

    ``default`` picks the values shown first (each must be in the grid; the first value of a
    control otherwise); ``alt`` is a format string for each frame's alt text, filled with the
    frame's values (``"width {width}, step {eta}"``); ``title`` is a line above the controls.
    """
    grid = _check_grid(grid)
    names = list(grid)
    labels = {n: [format_value(v) for v in vals] for n, vals in grid.items()}
    chosen = {n: 0 for n in names}
    for n, v in (default or {}).items():
        if n not in grid:
            raise ValueError(f"default names {n!r}, which is not a control of the grid {names}")
        if format_value(v) not in labels[n]:
            raise ValueError(f"default[{n!r}] = {v!r} is not one of the grid's values {labels[n]}")
        chosen[n] = labels[n].index(format_value(v))
    expected = {"|".join(c) for c in itertools.product(*labels.values())}
    if set(frames) != expected:
        missing, extra = sorted(expected - set(frames)), sorted(set(frames) - expected)
        raise ValueError(f"frames must have one entry per grid combination: missing {missing[:3]}, extra {extra[:3]}")
    if alt is not None:
        try:
            alt.format(**{n: labels[n][0] for n in names})
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"alt must be a format string over the controls {names}, got {alt!r} ({err!r})") from None
    uid = "frames-" + hashlib.sha1(json.dumps([labels, sorted(frames)]).encode()).hexdigest()[:10]
    parts = [f'<div class="book-frames" id="{uid}">']
    if title:
        parts.append(f'<p class="frames-title">{html.escape(title)}</p>')
    parts.append('<div class="frames-controls" style="display:flex;flex-wrap:wrap;gap:0.4em 1.5em;align-items:center">')
    for n in names:
        esc = html.escape(n)
        if all(isinstance(v, str) for v in grid[n]):
            options = "".join(
                f'<option value="{i}"{" selected" if i == chosen[n] else ""}>{html.escape(lab)}</option>'
                for i, lab in enumerate(labels[n]))
            parts.append(f'<label>{esc} <select data-control="{esc}" aria-label="{esc}">{options}</select></label>')
        else:
            parts.append(
                f'<label>{esc} <input type="range" data-control="{esc}" aria-label="{esc}" min="0" '
                f'max="{len(labels[n]) - 1}" step="1" value="{chosen[n]}"> '
                f'<output data-for="{esc}">{html.escape(labels[n][chosen[n]])}</output></label>')
    parts.append("</div>")
    parts.append('<div class="frames-figure">')
    default_key = "|".join(labels[n][chosen[n]] for n in names)
    for combo in itertools.product(*labels.values()):
        key = "|".join(combo)
        values = dict(zip(names, combo))
        text = alt.format(**values) if alt is not None else ", ".join(f"{n} = {v}" for n, v in values.items())
        display = "" if key == default_key else "display:none;"
        parts.append(f'<img data-key="{html.escape(key)}" src="{frames[key]}" alt="{html.escape(text)}" '
                     f'style="{display}max-width:100%;height:auto">')
    parts.append("</div>")
    script = _SCRIPT % {"id": json.dumps(uid), "labels": json.dumps(labels).replace("</", "<\\/")}
    parts.append(f"<script>{script}</script></div>")
    return "\n".join(parts)


class _Explorer:
    """An IPython display object: the frames' HTML, and a one-line text form."""

    def __init__(self, html_text: str, summary: str):
        self.html = html_text
        self.summary = summary

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.summary

    @property
    def nbytes(self) -> int:
        """Size of the HTML in bytes (the frames' share of the page's weight)."""
        return len(self.html.encode())


def explorer(plot: Callable[..., Figure], grid: Mapping[str, Sequence], *, default: Mapping | None = None,
             alt: str | None = None, title: str = "", fmt: str = "png", dpi: float = 72,
             colors: int | None = 64) -> _Explorer:
    """Precompute ``plot`` over ``grid`` and return a display object that the static page can explore.

    ``plot(**values)`` returns a matplotlib figure, e.g. one of :mod:`lib.explore`'s
    functions; ``grid`` maps each control name (a keyword of ``plot``) to the values a reader
    can pick; see :func:`render_frames` and :func:`frames_html` for ``fmt``, ``dpi``,
    ``colors``, ``default``, ``alt`` and ``title``. Display it as a cell's last expression.
    """
    checked = _check_grid(grid)
    frames = render_frames(plot, checked, fmt=fmt, dpi=dpi, colors=colors)
    text = frames_html(frames, checked, default=default, alt=alt, title=title)
    name = getattr(plot, "__name__", None) or getattr(getattr(plot, "func", None), "__name__", "plot")
    summary = (f"<explorer of {name}: {len(frames)} precomputed frames over "
               + " x ".join(f"{n} ({len(v)})" for n, v in checked.items()) + ">")
    return _Explorer(text, summary)
