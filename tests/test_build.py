"""The strict book build: warnings are errors, nitpicky cross-references, every chapter linked."""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


@pytest.mark.build
def test_strict_build_has_no_warnings_and_links_every_chapter(strict_build):
    log = strict_build.log
    assert strict_build.returncode == 0, log[-5000:]
    assert "WARNING" not in log, "\n".join(line for line in log.splitlines() if "WARNING" in line)
    index = (strict_build.html / "index.html").read_text()
    linked = set(re.findall(r'href="([^"#]+)\.html', index))
    for f in _toc_files()[1:]:
        assert f in linked, f"index.html does not link {f}"
