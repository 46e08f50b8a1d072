"""Shared test set-up: float64 (theorem quantities), deterministic hypothesis, non-interactive matplotlib."""
import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
from hypothesis import settings  # noqa: E402

jax.config.update("jax_enable_x64", True)

# derandomize: the same examples on every run, so the suite is reproducible;
# deadline=None: the first call of a jitted function compiles.
settings.register_profile("book", deadline=None, max_examples=20, derandomize=True)
settings.load_profile("book")
