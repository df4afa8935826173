"""The course site in a real browser: Debian's chromium, headless, driven by Playwright.

The site is built by `python -m diffusion_journey course` from real tiny data of the seven explorer chapters
(the embedded model on their tiny configs) and a short synthetic video per chapter (tests/tiny_course.py).
Each explorer is checked against the raw arrays of its chapter: the tiles on screen are the artifact's
pixels of the slider's value, the figure is the measured one."""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

from diffusion_journey import course  # noqa: E402
from diffusion_journey.cli import main  # noqa: E402
from diffusion_journey.course_shots import PHONE, browser, screenshot_site  # noqa: E402
from journey_base.chapters import get_chapter  # noqa: E402
from render_data.artifacts import DATA_DIR  # noqa: E402

import tiny_course  # noqa: E402
from video_frames import decode_frames  # noqa: E402

CHAPTERS = [get_chapter(n) for n in ("02", "06", "07", "08", "09", "10", "11")]
FIRST_RENDER_S = 1.0

# Per explorer, from the chapter's raw arrays: the tiles of value i, and a figure the page must show for it.
TILES = {
    "walk": lambda a, i: [a["xt_frames"][i], a["x0_frames"][i]],
    "seeds": lambda a, i: [a["xt_frames"][i, 0], a["endpoints"][i]],
    "steps": lambda a, i: [a["images"][i], a["reference"]],
    "words": lambda a, i: [a["grow_images"][i]],
    "between": lambda a, i: [a["images"][i]],
    "guidance": lambda a, i: list(a["images"][i]),
    "branching": lambda a, i: [a["branch_xt_frames"][i], *a["grid"][i]],
}
FIGURE = {
    "walk": lambda a, i: f"by {a['x0_error'][i]:.0f} of 255 levels",
    "seeds": lambda a, i: f"Seed {a['seeds'][i]}: the judge reads the prompted subject with p = {a['subject_prob'][i]:.2f}",
    "steps": lambda a, i: f"{a['step_counts'][i]} step{'s' if a['step_counts'][i] != 1 else ''}: "
                             f"{100 * a['distance'][i]:.1f}%",
    "words": lambda a, i: f"subject with p = {a['grow_subject_prob'][i]:.2f}",
    "between": lambda a, i: f"t = {a['t'][i]:.2f}: the judge reads “a butterfly” with p = {a['prob_a'][i]:.2f}",
    "guidance": lambda a, i: f"s = {a['scales'][i]:g}: adherence p = {a['adherence_prob'][i]:.2f}",
    "branching": lambda a, i: f"differ by {a['spread'][i]:.1f} levels",
}
EXPLORER_CHAPTER = {"walk": "02_noise_to_image", "seeds": "06_starting_point", "steps": "07_dividing_the_path",
                    "words": "08_weight_of_words", "between": "09_between_words",
                    "guidance": "10_pull_of_the_prompt", "branching": "11_paths_not_taken"}


def _arrays(chapter_id: str) -> dict[str, np.ndarray]:
    return {p.stem: np.load(p) for p in (DATA_DIR / chapter_id).glob("*.npy")}


@pytest.fixture(scope="module")
def site(build_dir):
    for ch in CHAPTERS:
        tiny_course.make_data(ch)
    video = tiny_course.make_video(CHAPTERS, build_dir / "video" / "course-test.mp4")
    main(["course", "-q", tiny_course.QUALITY, str(video)])
    return course.SITE, video


@pytest.fixture(scope="module")
def served(site):
    """The site over http (python -m http.server's handler), beside the file:// URLs."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(**PHONE)
    yield context.new_page()
    context.close()


def _url(site, name: str) -> str:
    return (site[0] / name).resolve().as_uri()


def _open(page, url: str) -> list[str]:
    """Go to the page; returns the console errors and uncaught exceptions it logs (kept up to date)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"exception: {e}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return errors


def _watch_seek(video):
    """Note where the next seek lands (the page plays on after seeking, so currentTime moves on)."""
    video.evaluate("v => { window.seekedTo = null; v.addEventListener('seeked', () => { window.seekedTo = "
                   "v.currentTime; }, {once: true}); }")


def _seeked_to(page) -> float:
    return page.wait_for_function("window.seekedTo").json_value()


def _shown(canvas, tile: np.ndarray) -> tuple[np.ndarray, float]:
    """The canvas as drawn on screen (scaled up, pixelated), sampled back at the artifact's 64 x 64 pixels,
    and the fraction of its pixels that match ``tile`` (every channel within 8 levels). Sampled near each
    pixel's centre, shifted by up to a quarter of a pixel (the best of those grids): the element may sit part
    of a screen pixel off the grid, and a scale that is not whole draws some pixels a screen pixel wider."""
    canvas.scroll_into_view_if_needed()  # first: the box is where it is in the viewport
    box = canvas.bounding_box()  # in screen pixels, fractional; the shot starts at the whole pixel before
    shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"), dtype=np.float64)
    h, w = tile.shape[:2]
    oy, ox = box["y"] - np.floor(box["y"]), box["x"] - np.floor(box["x"])
    best = None
    for dy in (-0.25, 0.0, 0.25):
        for dx in (-0.25, 0.0, 0.25):
            ys = np.clip((oy + (np.arange(h) + 0.5 + dy) * box["height"] / h).astype(int), 0, shot.shape[0] - 1)
            xs = np.clip((ox + (np.arange(w) + 0.5 + dx) * box["width"] / w).astype(int), 0, shot.shape[1] - 1)
            sampled = shot[ys][:, xs]
            match = _match(sampled, tile)
            if best is None or match > best[1]:
                best = (sampled, match)
    return best


def _match(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a.astype(np.float64) - b).max(axis=-1) <= 8).mean())


def _assert_shows(page, explorer_id: str, value: int):
    """The explorer's tiles are the artifact's images of ``value`` (closer to them than to any other value's),
    and its figure is the one measured there."""
    arrays = _arrays(EXPLORER_CHAPTER[explorer_id])
    root = page.locator(f"#{explorer_id}")
    expect(root).to_have_attribute("data-shown", str(value))
    n_values = int(root.locator("input").get_attribute("max")) + 1
    canvases = root.locator("canvas")
    expected = TILES[explorer_id](arrays, value)
    assert canvases.count() == len(expected)
    for j, tile in enumerate(expected):
        shown, match = _shown(canvases.nth(j), tile)
        assert match >= 0.9, (explorer_id, value, j, match)
        for other in range(n_values):
            other_tile = TILES[explorer_id](arrays, other)[j]
            if other != value and _match(other_tile, tile) < 0.5:  # a different picture
                assert _match(shown, other_tile) < match, (explorer_id, value, other)
    expect(root.locator("output")).to_contain_text(FIGURE[explorer_id](arrays, value))


# ------------------------------------------------------------------------------------------ the build


def test_the_site_has_every_page_explorer_and_stays_within_its_weight(site):
    folder, _ = site
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert pages == sorted(["index.html"] + [f"{ch.id}.html" for ch in CHAPTERS])
    assert sorted(p.stem for p in (folder / "explorers").glob("*.png")) == sorted(TILES)
    record = json.loads((folder / course.RECORD).read_text())
    assert 0 < record["weights"]["site"] <= course.WEIGHT_BUDGET
    media = sum(p.stat().st_size for p in (folder / "media").iterdir())
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    # the video is what is left out (and the build record, written after the weighing), nothing else
    assert record["weights"]["site"] == total - media - (folder / course.RECORD).stat().st_size
    html = "".join(p.read_text() for p in folder.glob("*.html"))
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere


def test_each_player_shows_a_still_of_its_own_video_before_it_plays(site, desktop):
    folder, video = site
    for html, clip in [("index.html", video)] + [(f"{ch.id}.html", folder / "media" / f"{ch.id}.mp4")
                                                for ch in CHAPTERS]:
        assert _open(desktop, _url(site, html)) == []
        poster = desktop.locator("video").get_attribute("poster")
        assert desktop.evaluate("src => new Promise(ok => { const i = new Image(); i.onload = () => "
                                "ok(i.naturalWidth); i.onerror = () => ok(0); i.src = src; })", poster) > 0
        still = np.asarray(Image.open(folder / poster).convert("L"), np.float32)
        at = course.duration(clip) * course.POSTER_AT
        (frame,) = decode_frames(clip, size=(still.shape[1], still.shape[0]), at=at, count=1).astype(np.float32)
        assert np.abs(still - frame).mean() < 4, html  # that frame (JPEG-compressed), not another one


def test_the_site_is_rebuilt_only_when_an_input_changes(site, capsys):
    _, video = site
    main(["course", "-q", tiny_course.QUALITY, str(video)])
    assert "up to date" in capsys.readouterr().out
    timeline = CHAPTERS[0].timeline_file
    data = json.loads(timeline.read_text())
    data["sentences"][0] = "Chapter 2 begins here, edited."
    timeline.write_text(json.dumps(data))
    main(["course", "-q", tiny_course.QUALITY, str(video)])
    assert "up to date" not in capsys.readouterr().out
    assert "Chapter 2 begins here, edited." in (course.SITE / f"{CHAPTERS[0].id}.html").read_text()


def test_over_its_weight_budget_the_build_fails_in_one_line(site, monkeypatch, capsys):
    monkeypatch.setattr(course, "WEIGHT_BUDGET", 10_000)
    with pytest.raises(SystemExit):
        main(["course", "-q", tiny_course.QUALITY, "--force", str(site[1])])
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the course site weighs") and "\n" not in err
    assert (course.SITE / "index.html").exists()  # the old site stays


def test_without_a_video_the_error_names_it(build_dir, capsys):
    with pytest.raises(SystemExit):
        main(["course", str(build_dir / "video" / "none.mp4")])
    err = capsys.readouterr().err.strip()
    assert err == "error: " + f"{build_dir / 'video' / 'none.mp4'} missing (the full video): run 'make video' first"


# ------------------------------------------------------------------------------------------ in the browser


@pytest.mark.parametrize("via", ["file", "http"])
def test_every_page_loads_without_errors_and_renders_fast(site, served, desktop, via):
    for html in sorted(site[0].glob("*.html")):
        url = _url(site, html.name) if via == "file" else f"{served}/{html.name}"
        errors = _open(desktop, url)
        desktop.wait_for_timeout(300)  # late errors: sprite sheets, video metadata
        assert errors == [], (html.name, errors)
        paint = desktop.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000
        assert paint <= FIRST_RENDER_S, (html.name, paint)
        for explorer in desktop.locator(".explorer").all():
            expect(explorer).to_have_attribute("data-shown", explorer.locator("input").get_attribute("value"))


def test_the_video_plays_and_a_chapter_button_seeks_to_the_chapter(site, desktop):
    assert _open(desktop, _url(site, "index.html")) == []
    video = desktop.locator("video")
    desktop.evaluate("document.getElementById('video').muted = true")
    chapters = [(c.start, c.text) for c in course.parse_srt(site[1].with_suffix(".chapters.vtt").read_text())]
    start, title = chapters[3]
    _watch_seek(video)
    desktop.get_by_role("button", name=title.split(" ", 1)[1]).click()
    assert _seeked_to(desktop) == pytest.approx(start, abs=0.05)
    desktop.wait_for_function("v => !v.paused && v.currentTime > %f" % (start + 0.5), arg=video.element_handle())
    expect(desktop.locator(".chapters li").nth(3)).to_have_class("current")
    # the subtitles and the chapters track are on the video
    tracks = video.evaluate("v => [...v.textTracks].map(t => [t.kind, t.cues.length])")
    assert ["chapters", len(CHAPTERS)] in tracks
    assert any(kind == "subtitles" and n >= 3 * len(CHAPTERS) for kind, n in tracks)


def test_a_transcript_sentence_seeks_there_and_is_highlighted_while_playing(site, desktop):
    ch = CHAPTERS[2]
    assert _open(desktop, _url(site, f"{ch.id}.html")) == []
    desktop.evaluate("document.getElementById('video').muted = true")
    # the third sentence: after the late second cue, so its time comes from the render record
    at = tiny_course.sentence_times(ch)[2]
    sentence = desktop.locator(".sentence").nth(2)
    video = desktop.locator("video")
    _watch_seek(video)
    sentence.click()
    assert _seeked_to(desktop) == pytest.approx(at, abs=0.05)
    expect(sentence).to_have_class("sentence current")
    expect(sentence).to_have_attribute("aria-current", "true")
    expect(desktop.locator(".sentence.current")).to_have_count(1)
    # on the course page, the same sentence sits at its chapter's start in the full video; Enter works too
    assert _open(desktop, _url(site, "index.html")) == []
    desktop.evaluate("document.getElementById('video').muted = true")
    chapter_start = course.parse_srt(site[1].with_suffix(".chapters.vtt").read_text())[2].start
    _watch_seek(desktop.locator("video"))
    desktop.locator(".transcript").nth(2).locator(".sentence").nth(2).press("Enter")
    assert _seeked_to(desktop) == pytest.approx(chapter_start + at, abs=0.05)


@pytest.mark.parametrize("explorer_id", sorted(TILES))
def test_each_slider_shows_the_artifact_of_its_value_by_mouse_keyboard_and_touch(site, desktop, phone, explorer_id):
    page_file = f"{EXPLORER_CHAPTER[explorer_id]}.html"
    errors = _open(desktop, _url(site, page_file))
    root = desktop.locator(f"#{explorer_id}")
    slider = root.get_by_role("slider")
    n = int(slider.get_attribute("max")) + 1
    start = int(slider.get_attribute("value"))
    _assert_shows(desktop, explorer_id, start)

    # mouse: a click at the left end of the track picks the first value, at the right end the last
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    desktop.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    _assert_shows(desktop, explorer_id, 0)
    desktop.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    _assert_shows(desktop, explorer_id, n - 1)

    # keyboard: arrows step one value, Home goes to the first
    slider.focus()
    desktop.keyboard.press("ArrowLeft")
    _assert_shows(desktop, explorer_id, n - 2)
    desktop.keyboard.press("Home")
    _assert_shows(desktop, explorer_id, 0)
    desktop.keyboard.press("ArrowRight")
    _assert_shows(desktop, explorer_id, 1)
    spec = next(e for e in json.loads(desktop.locator("#page-data").text_content())["explorers"]
                if e["id"] == explorer_id)
    expect(slider).to_have_attribute("aria-valuetext", spec["values"][1])
    assert errors == []

    # touch, on a phone: a tap at the right end of the track picks the last value
    errors = _open(phone, _url(site, page_file))
    slider = phone.locator(f"#{explorer_id}").get_by_role("slider")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    _assert_shows(phone, explorer_id, n - 1)
    phone.touchscreen.tap(box["x"] + 2, box["y"] + box["height"] / 2)
    _assert_shows(phone, explorer_id, 0)
    assert errors == []


def test_every_explorer_has_an_accessible_name(site, desktop):
    for ch in CHAPTERS:
        assert _open(desktop, _url(site, f"{ch.id}.html")) == []
        specs = json.loads(desktop.locator("#page-data").text_content())["explorers"]
        sliders = desktop.get_by_role("slider")
        assert sliders.count() == len(specs) >= 1
        for explorer in desktop.locator(".explorer").all():
            label = explorer.locator(".knob .label").text_content()
            expect(explorer.get_by_role("slider")).to_have_accessible_name(label)
            expect(explorer).to_have_accessible_name(explorer.locator("h2").text_content())
            for canvas in explorer.locator("canvas").all():
                assert canvas.get_attribute("aria-label")


def test_screenshots_at_desktop_and_phone_size_fit_the_screen(site, build_dir, chromium, phone):
    shots = screenshot_site(site[0], build_dir / "course-shots", using=chromium)
    assert len(shots) == 2 * len(list(site[0].glob("*.html")))
    for shot in shots:
        image = Image.open(shot)
        assert image.width == (390 if ".phone." in shot.name else 1280)
        assert np.asarray(image.convert("L")).std() > 10  # something drawn, not a blank page
    for html in site[0].glob("*.html"):
        _open(phone, _url(site, html.name))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, html.name  # no sideways scrolling
