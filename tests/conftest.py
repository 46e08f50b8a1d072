"""Shared test set-up: the pass's precision (float64 unless LIB_X64=0), deterministic hypothesis, Agg matplotlib, the strict build once per session."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from precision import X64  # noqa: E402

jax.config.update("jax_enable_x64", X64)

# derandomize: the same examples on every run, so the suite is reproducible;
# deadline=None: the first call of a jitted function compiles. The float32 pass re-runs the
# properties to catch what precision breaks (a dtype, a tolerance), which the first examples
# show: it draws 5 examples where the float64 pass draws 20.
settings.register_profile("book", deadline=None, max_examples=20 if X64 else 5, derandomize=True)
settings.load_profile("book")


def pytest_collection_modifyitems(config, items):
    if X64:
        return
    skip = pytest.mark.skip(reason="float64 only: the statement is below float32 resolution (LIB_X64=0 pass)")
    for item in items:
        if "float64" in item.keywords:
            item.add_marker(skip)


# --- the strict build, once per session (tests/test_build.py checks it, tests/test_site.py browses it) ---


@pytest.fixture(scope="session")
def strict_build(tmp_path_factory):
    """Run ``jupyter-book build --warningiserror --nitpick --keep-going`` once into a temporary folder.

    Returns ``SimpleNamespace(returncode, log, html)`` with ``html`` the built ``_build/html``.
    """
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(root), "--warningiserror", "--nitpick", "--keep-going",
         "--path-output", str(out)],
        capture_output=True, text=True, cwd=root, env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))},
    )
    return SimpleNamespace(returncode=result.returncode, log=result.stdout + result.stderr,
                           html=out / "_build" / "html")
