"""Bad input to lib.frames: each error names its argument."""
import matplotlib.pyplot as plt
import pytest

from badinput import covers, exempt, raises_naming
from lib import frames

exempt("lib.frames.format_value", "total: writes any value with str() (floats with format 'g')")

GRID = {"slope": [0.5, 2.0]}


def _line(slope):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, slope])
    return fig


@covers("lib.frames.render_frames", "lib.frames.explorer")
@pytest.mark.parametrize("kwargs, name", [
    (dict(plot="not a function"), "plot"), (dict(plot=None), "plot"),
    (dict(grid={}), "grid"), (dict(grid=None), "grid"), (dict(grid={"slope": []}), "grid"),
    (dict(fmt="gif"), "fmt"), (dict(fmt=None), "fmt"),
    (dict(dpi=0), "dpi"), (dict(dpi=float("nan")), "dpi"), (dict(dpi=None), "dpi"), (dict(dpi="72"), "dpi"),
    (dict(colors=1), "colors"), (dict(colors=2.5), "colors"),
])
def test_render_and_explorer(kwargs, name):
    args = dict(plot=_line, grid=GRID) | kwargs
    plot, grid = args.pop("plot"), args.pop("grid")
    raises_naming((ValueError, TypeError), name, frames.render_frames, plot, grid, **args)
    raises_naming((ValueError, TypeError), name, frames.explorer, plot, grid, **args)


@covers("lib.frames.frames_html", "lib.frames.explorer")
def test_frames_html_and_explorer_defaults():
    out = frames.render_frames(_line, GRID, dpi=20)
    raises_naming(ValueError, "default", frames.frames_html, out, GRID, default={"slope": 3.0})
    raises_naming(ValueError, "default", frames.explorer, _line, GRID, default={"width": 3})
    raises_naming(ValueError, "frames", frames.frames_html, dict(list(out.items())[1:]), GRID)
    raises_naming(ValueError, "alt", frames.frames_html, out, GRID, alt="{width}")
    raises_naming(ValueError, "grid", frames.frames_html, out, {})
