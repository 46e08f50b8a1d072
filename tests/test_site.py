"""The built book in a real browser, offline: what a reader without a kernel or a network sees.

Playwright (PyPI) drives the system Chromium (Debian: ``apt-get install -y chromium``; or set
``CHROMIUM=/path/to/chromium``). The pages are served from ``127.0.0.1`` and every other request
is blocked and recorded. Each page of the table of contents is checked at 1280 px and at 390 px:
every formula rendered by MathJax, no external request, no console error beyond
:data:`CONSOLE_ALLOWLIST`, every explorer shows a frame and swaps it when a control changes,
the menu opens on a phone and collapses on a desktop, a solution opens when its title is
clicked, wide display equations scroll, no doubled theorem word and no nbval marker in the text.
Over all built HTML: every internal link and anchor resolves, no page references an external
script, style sheet, font or image, and no URL contains ``/./``. Each chapter's screenshot is
saved under ``_build/screenshots/`` and each page's weight (the page and every file it loads)
is printed and must stay at most 5 MB.

The HTML is the session's strict build (``strict_build`` in conftest.py, shared with
test_build.py), or an existing build named by ``BOOK_HTML=_build/html`` to skip building.
"""
from __future__ import annotations

import http.server
import os
import re
import shutil
import threading
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
MAX_PAGE_BYTES = 5_000_000
INSTALL = "apt-get update && apt-get install -y chromium"

#: console messages a correct page may still log, each with the reason it is harmless
CONSOLE_ALLOWLIST = [
    # pydata-sphinx-theme 0.17.1 logs this with console.error on a first visit, when the
    # browser has no stored colour mode yet; it then uses "auto", which is what we want.
    "Got invalid theme mode",
]

THEOREM_WORDS = "Lemma|Lemmas|Theorem|Theorems|Corollary|Corollaries|Definition|Proposition|Exercise|Assumption|Remark"
DOUBLED = re.compile(rf"\b({THEOREM_WORDS})\s+({THEOREM_WORDS})\b")


PAGES = toc_pages()
CHAPTERS = [p for p in PAGES if re.match(r"book/ch\d", p)]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not Path(path).exists():
        pytest.fail(f"No Chromium for the browser test: install Debian's with `{INSTALL}` "
                    "(or set CHROMIUM=/path/to/chromium)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def html_dir(request):
    given = os.environ.get("BOOK_HTML")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"BOOK_HTML={given} has no index.html: run `make book` first"
        return path
    build = request.getfixturevalue("strict_build")
    assert build.returncode == 0, build.log[-5000:]
    return build.html


@pytest.fixture(scope="module")
def server(html_dir):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(html_dir))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


class Visit:
    """One page load with every non-local request blocked; records requests, blocked URLs and console errors."""

    def __init__(self, browser, base: str, page: str, html_dir: Path, width: int):
        self.html_dir = html_dir
        self.blocked: list[str] = []
        self.loaded: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           is_mobile=width < 600, has_touch=width < 600)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfinished", lambda r: self.loaded.append(r.url))
        self.page.goto(f"{base}/{page}.html", wait_until="load")
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page.wait_for_load_state("networkidle")

    def _route(self, route):
        url = route.request.url
        if urlparse(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def weight(self) -> int:
        """Bytes of the page and every local file it loaded (data: URIs are inside the page)."""
        total = 0
        for url in set(self.loaded):
            parsed = urlparse(url)
            if parsed.scheme != "http":
                continue
            f = self.html_dir / unquote(parsed.path).lstrip("/")
            if f.is_file():
                total += f.stat().st_size
        return total

    def console_errors(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in CONSOLE_ALLOWLIST)]

    def close(self):
        self.context.close()


UNRENDERED = """() => {
  const bad = [];
  document.querySelectorAll('.math').forEach(el => {
    if (el.closest('pre, code')) return;
    if (!el.querySelector('mjx-container') && el.tagName !== 'MJX-CONTAINER') bad.push(el.textContent.slice(0, 80));
  });
  document.querySelectorAll('mjx-merror').forEach(el => bad.push('TeX error: ' + el.textContent.slice(0, 80)));
  return bad;
}"""

WIDE_EQUATIONS = """() => [...document.querySelectorAll('mjx-container[display="true"]')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .filter(el => !['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .map(el => el.textContent.slice(0, 60))"""


def _set(control, index: int) -> None:
    if control.evaluate("c => c.tagName") == "SELECT":
        control.select_option(str(index))
    else:
        control.fill(str(index))


def _check_explorers(page) -> int:
    explorers = page.locator(".book-frames")
    for i in range(explorers.count()):
        ex = explorers.nth(i)
        shown = ex.locator("img[data-key]:visible")
        assert shown.count() == 1, f"explorer {i}: {shown.count()} frames visible, expected 1"
        assert shown.evaluate("img => img.complete && img.naturalWidth > 0"), f"explorer {i}: its figure did not load"
        controls = ex.locator("[data-control]")
        assert controls.count() >= 1, f"explorer {i} has no control"
        for j in range(controls.count()):
            # each control on its own, from the default frame
            control = controls.nth(j)
            n = int(control.evaluate("c => c.tagName === 'SELECT' ? c.options.length : Number(c.max) + 1"))
            if n < 2:
                continue
            initial = int(control.evaluate("c => Number(c.value)"))
            before = ex.locator("img[data-key]:visible").get_attribute("data-key")
            src_before = ex.locator("img[data-key]:visible").get_attribute("src")
            changed = False
            for target in [t for t in range(n) if t != initial]:
                _set(control, target)
                after = ex.locator("img[data-key]:visible")
                assert after.count() == 1, f"explorer {i}, control {j}: {after.count()} frames visible after a change"
                assert after.get_attribute("data-key") != before, f"explorer {i}: control {j} did not change the frame"
                label = control.get_attribute("data-control")
                shown_value = ex.locator(f'output[data-for="{label}"]')
                if shown_value.count():
                    assert shown_value.inner_text() in after.get_attribute("data-key").split("|"), \
                        f"explorer {i}: the label beside {label} disagrees with the frame shown"
                if after.get_attribute("src") != src_before:
                    changed = True
                    break
            assert changed, f"explorer {i}: no value of control {j} changes the figure"
            _set(control, initial)
    return explorers.count()


@pytest.mark.build
@pytest.mark.parametrize("name", PAGES)
def test_page_works_offline_on_desktop(browser, server, html_dir, name, capsys):
    visit = Visit(browser, server, name, html_dir, width=1280)
    try:
        page = visit.page
        assert visit.blocked == [], f"{name} requested external URLs: {visit.blocked}"
        assert visit.console_errors() == [], f"{name} console errors: {visit.console_errors()}"
        assert page.evaluate(UNRENDERED) == [], f"{name}: unrendered formulas {page.evaluate(UNRENDERED)[:5]}"
        assert page.evaluate(WIDE_EQUATIONS) == [], f"{name}: display equations cut off"
        text = page.inner_text("main")
        assert "NBVAL" not in text, f"{name} shows an nbval marker"
        doubled = DOUBLED.findall(text)
        assert doubled == [], f"{name} doubles theorem words: {doubled[:5]}"
        n_explorers = _check_explorers(page)
        if name in CHAPTERS:
            assert n_explorers >= 1, f"{name} has no precomputed explorer"
        solutions = page.locator(".solution.dropdown")
        if solutions.count():
            first = solutions.first
            content = first.locator("section#solution-content, .admonition-title ~ *").first
            assert not content.is_visible(), f"{name}: the first solution starts open"
            first.locator(".admonition-title").click(position={"x": 20, "y": 10})
            page.wait_for_timeout(300)
            assert content.is_visible(), f"{name}: clicking a solution's title did not open it"
            assert page.url.endswith(f"{name}.html"), f"{name}: clicking a solution's title navigated to {page.url}"
        toggle = page.locator(".primary-toggle:visible").first
        toggle.click()
        page.wait_for_timeout(300)
        assert "pst-sidebar-hidden" in (page.locator("#pst-primary-sidebar").get_attribute("class") or ""), \
            f"{name}: the desktop menu button does not collapse the sidebar"
        toggle.click()
        weight = visit.weight()
        with capsys.disabled():  # the weight report shows without -s
            print(f"\n[site] {name}: {weight / 1e6:.2f} MB with assets", end="")
        if name in CHAPTERS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{Path(name).name}-1280.png"), full_page=True)
            assert weight <= MAX_PAGE_BYTES, f"{name} weighs {weight / 1e6:.2f} MB > 5 MB"
    finally:
        visit.close()


@pytest.mark.build
@pytest.mark.parametrize("name", PAGES)
def test_phone_menu_opens(browser, server, html_dir, name):
    visit = Visit(browser, server, name, html_dir, width=390)
    try:
        page = visit.page
        assert visit.blocked == [] and visit.console_errors() == [], (visit.blocked, visit.console_errors())
        page.locator(".primary-toggle:visible").first.click()
        page.wait_for_timeout(300)
        dialog = page.locator("#pst-primary-sidebar-modal")
        assert dialog.evaluate("d => d.open"), f"{name}: the phone menu did not open"
        assert dialog.locator("a.reference").count() >= len(CHAPTERS), f"{name}: the phone menu lists no chapters"
        if name in CHAPTERS:
            page.keyboard.press("Escape")
            page.wait_for_timeout(600)  # let the menu finish closing, so the screenshot shows the page
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{Path(name).name}-390.png"))
    finally:
        visit.close()


EXTERNAL_ASSET = re.compile(
    r"""<(?:script[^>]*\ssrc|link[^>]*\shref|img[^>]*\ssrc|source[^>]*\ssrcset)=["'](?:https?:)?//""", re.I)


@pytest.mark.build
def test_html_links_resolve_and_reference_nothing_external(html_dir):
    files = sorted(f for f in html_dir.rglob("*.html") if f.relative_to(html_dir).parts[0] not in ("_static", "_sources"))
    ids = {f: set(re.findall(r'\sid="([^"]+)"', f.read_text())) for f in files}
    broken, external, dotted = [], [], []
    for f in files:
        page = f.read_text()
        for tag in EXTERNAL_ASSET.finditer(page):
            link = page[tag.start():tag.start() + 200]
            if "<link" in link[:5] and not re.search(r'rel="(stylesheet|icon|preload|modulepreload)', link):
                continue
            external.append(f"{f.relative_to(html_dir)}: {link[:120]}")
        for href in re.findall(r'href="([^"]+)"', page):
            if "/./" in href:
                dotted.append(f"{f.relative_to(html_dir)}: {href}")
            if re.match(r"[a-z]+:", href) or href.startswith("//"):
                continue
            path, frag = urldefrag(href)
            path = path.split("?", 1)[0]
            target = (f.parent / unquote(path)).resolve() if path else f
            if not target.exists():
                broken.append(f"{f.relative_to(html_dir)} -> {href}")
            elif frag and target.suffix == ".html" and unquote(frag) not in ids.get(target, set()):
                broken.append(f"{f.relative_to(html_dir)} -> {href} (no such anchor)")
    assert broken == [], f"{len(broken)} broken internal links: {broken[:10]}"
    assert external == [], f"external assets referenced: {external[:10]}"
    assert dotted == [], f"URLs with /./: {dotted[:10]}"
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert 'rel="icon"' in (html_dir / "index.html").read_text(), "no favicon"
