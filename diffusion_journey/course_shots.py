"""Screenshots of the course site in a real browser (headless Chromium driven by Playwright): every page at
desktop size and at a phone's (390 x 844, touch), for looking at, and the browser the tests drive."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .tools import MissingToolError

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def chromium_path() -> str:
    """Debian's chromium (or $CHROMIUM): Playwright's own browser download is not needed."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise MissingToolError("chromium not found: install the Debian package 'chromium' (or set $CHROMIUM)")
    return path


@contextmanager
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise MissingToolError("the Python package 'playwright' is missing: pip install playwright") from exc
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield b
        finally:
            b.close()


def screenshot_site(site: Path, out: Path, using=None) -> list[Path]:
    """A full-page screenshot of every page of ``site`` at each size -> out/<page>.<size>.png (in the browser
    ``using``, or one started for it)."""
    if using is None:
        with browser() as b:
            return screenshot_site(site, out, using=b)
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    for size, options in SIZES.items():
        context = using.new_context(**options)
        page = context.new_page()
        for html in sorted(site.glob("*.html")):
            page.goto(html.resolve().as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready")
            # the video's first frame, not the loading spinner
            page.wait_for_function("[...document.querySelectorAll('video')].every(v => v.readyState >= 2)")
            shot = out / f"{html.stem}.{size}.png"
            page.screenshot(path=str(shot), full_page=True)
            shots.append(shot)
        context.close()
    return shots
