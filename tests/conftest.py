"""Shared test set-up: the pass's precision (float64 unless LIB_X64=0), deterministic hypothesis, Agg matplotlib."""
import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from precision import X64  # noqa: E402

jax.config.update("jax_enable_x64", X64)

# derandomize: the same examples on every run, so the suite is reproducible;
# deadline=None: the first call of a jitted function compiles.
settings.register_profile("book", deadline=None, max_examples=20, derandomize=True)
settings.load_profile("book")


def pytest_collection_modifyitems(config, items):
    if X64:
        return
    skip = pytest.mark.skip(reason="float64 only: the statement is below float32 resolution (LIB_X64=0 pass)")
    for item in items:
        if "float64" in item.keywords:
            item.add_marker(skip)
