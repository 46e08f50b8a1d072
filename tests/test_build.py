"""The strict book build: warnings are errors, nitpicky cross-references, every chapter linked."""
import re

import pytest

from toc import toc_pages


@pytest.mark.build
def test_strict_build_has_no_warnings_and_links_every_chapter(strict_build):
    log = strict_build.log
    assert strict_build.returncode == 0, log[-5000:]
    assert "WARNING" not in log, "\n".join(line for line in log.splitlines() if "WARNING" in line)
    index = (strict_build.html / "index.html").read_text()
    linked = set(re.findall(r'href="([^"#]+)\.html', index))
    for f in toc_pages()[1:]:
        assert f in linked, f"index.html does not link {f}"
