"""pytest set-up shared by tests/ and the nbval run over book/.

The portability pass of ``make test`` (nbval under a reduced instruction set, with
``BOOK_PORTABILITY_PASS=1``) re-runs the chapters to find outputs that change with the CPU.
A cell tagged ``native-only`` has no output to compare (its output is ignored: an explorer's
frames, a widget) and nothing after it uses what it defines, so that pass skips it; the
native pass runs it.
"""
import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BOOK_PORTABILITY_PASS") != "1":
        return
    skip = pytest.mark.skip(reason="native-only cell: its output is ignored, and the native pass runs it")
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and "native-only" in cell.get("metadata", {}).get("tags", []):
            item.add_marker(skip)
