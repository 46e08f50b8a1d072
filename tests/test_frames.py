"""lib.frames: precomputed explorer frames with an inline control, for the static page."""
import base64
import re

import matplotlib.pyplot as plt
import pytest

from lib import frames


def _line(slope=1.0, kind="up"):
    fig, ax = plt.subplots(figsize=(3, 2))
    sign = 1 if kind == "up" else -1
    ax.plot([0, 1], [0, sign * slope])
    ax.set_title(f"slope = {slope:g}, {kind}")
    return fig


GRID = {"slope": [0.5, 1.0, 2.0], "kind": ["up", "down"]}


def test_render_frames_draws_one_png_per_combination_and_closes_the_figures():
    before = len(plt.get_fignums())
    out = frames.render_frames(_line, GRID, dpi=30)
    assert sorted(out) == sorted(f"{s}|{k}" for s in ("0.5", "1", "2") for k in ("up", "down"))
    for uri in out.values():
        assert uri.startswith("data:image/png;base64,")
        assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(set(out.values())) == 6, "different values must give different frames"
    assert len(plt.get_fignums()) == before


def test_palette_frames_are_smaller_and_keep_the_picture():
    import io

    import numpy as np
    from PIL import Image

    full = frames.render_frames(_line, {"slope": [1.0]}, dpi=60, colors=None)["1"]
    small = frames.render_frames(_line, {"slope": [1.0]}, dpi=60, colors=32)["1"]
    a, b = (np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("RGB"), dtype=float)
            for u in (full, small))
    assert len(small) < 0.7 * len(full), (len(small), len(full))
    assert a.shape == b.shape and np.abs(a - b).mean() < 4.0, np.abs(a - b).mean()


def test_svg_frames_are_svg():
    out = frames.render_frames(_line, {"slope": [1.0]}, fmt="svg")
    assert base64.b64decode(out["1"].split(",", 1)[1]).lstrip().startswith(b"<?xml")


def test_html_has_one_control_per_name_and_shows_only_the_default_frame():
    ex = frames.explorer(_line, GRID, default={"slope": 1.0, "kind": "down"}, alt="line of slope {slope}, {kind}",
                         title="A test explorer", dpi=30)
    page = ex._repr_html_()
    assert page.count('type="range"') == 1 and page.count("<select") == 1
    assert re.search(r'<option value="1" selected>down</option>', page)
    assert 'value="1"' in page and '<output data-for="slope">1</output>' in page
    imgs = re.findall(r'<img data-key="([^"]+)" src="data:image/png;base64,[^"]+" alt="([^"]+)" style="([^"]*)"', page)
    assert len(imgs) == 6
    shown = [key for key, _, style in imgs if "display:none" not in style]
    assert shown == ["1|down"]
    assert ("1|down", "line of slope 1, down", "max-width:100%;height:auto") in imgs
    assert "A test explorer" in page
    assert "<script>" in page and "http" not in page.replace("http-equiv", ""), "self-contained: no URL"
    assert "6 precomputed frames" in repr(ex)
    assert ex.nbytes == len(page.encode())


def test_frame_titles_agree_with_the_control_labels():
    """The control shows format_value(v); the plot is called with v itself, so a title written
    with the same format agrees (chapter 1's old slider showed 0.501 beside a plot titled 0.5)."""
    seen = []

    def plot(eta):
        seen.append(eta)
        return _line(eta)

    frames.render_frames(plot, {"eta": [0.1, 0.5, 2.0]})
    assert seen == [0.1, 0.5, 2.0]
    assert [frames.format_value(v) for v in seen] == ["0.1", "0.5", "2"]


@pytest.mark.parametrize("grid, match", [
    ({}, "grid must be a non-empty mapping"),
    ({"slope": []}, r"grid\['slope'\] must be a non-empty sequence"),
    ({"slope": "abc"}, r"grid\['slope'\] must be a non-empty sequence"),
    ({"slope": [1.0, 1]}, "repeated values"),
    ({"slope": [1.0, "up"]}, "mixes strings and numbers"),
    ({"not a name": [1.0]}, "identifiers"),
])
def test_bad_grids_are_refused_with_the_argument_named(grid, match):
    with pytest.raises(ValueError, match=match):
        frames.render_frames(_line, grid)


def test_bad_arguments_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="plot must be a callable"):
        frames.render_frames("not a function", GRID)
    with pytest.raises(ValueError, match="fmt must be one of"):
        frames.render_frames(_line, GRID, fmt="gif")
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        frames.render_frames(_line, GRID, dpi=0)
    with pytest.raises(ValueError, match=r"colors must be an integer in \[2, 256\] or None"):
        frames.render_frames(_line, GRID, colors=1)
    with pytest.raises(ValueError, match=r"must return a matplotlib Figure, got int"):
        frames.render_frames(lambda slope: 3, {"slope": [1.0]})
    out = frames.render_frames(_line, GRID, dpi=20)
    with pytest.raises(ValueError, match=r"default\['slope'\] = 3.0 is not one of"):
        frames.frames_html(out, GRID, default={"slope": 3.0})
    with pytest.raises(ValueError, match="default names 'width'"):
        frames.frames_html(out, GRID, default={"width": 3})
    with pytest.raises(ValueError, match="one entry per grid combination: missing"):
        frames.frames_html({k: v for k, v in list(out.items())[1:]}, GRID)
    with pytest.raises(ValueError, match="alt must be a format string"):
        frames.frames_html(out, GRID, alt="{width}")
