"""The course site: the full video with its chapters and transcript, a page per chapter with its course clip,
its transcript and the explorers of its runs -> build/course/ (static files; works from file:// and any
plain web server, nothing fetched from elsewhere).

Inputs are the outputs of `make video`: the video and its .vtt/.chapters.vtt, the course clips and theirs,
each chapter's voiced timeline and render record (when the scene reached each cue: the sentences' times),
and the chapter artifacts the explorers read. The site is rebuilt only when one of them, or this code,
changes (journey_base.freshness), and is swapped in whole.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from journey_base.chapters import Chapter, all_chapters
from journey_base.files import shown, temp_dir
from journey_base.freshness import read_record, stage_key, write_record
from journey_base.paths import BUILD
from render_data.artifacts import DATA_DIR

from .explorers import Explorer, explorers_for
from .media import duration, still_frame
from .narration import parse_file
from .subtitles import parse_srt

SITE = BUILD / "course"
ASSETS = Path(__file__).parent / "course_site"
STATIC = ("course.css", "course.js")  # copied as they are
MEDIA = "media"  # the video files: not counted in the page weight
WEIGHT_BUDGET = 15_000_000  # bytes: the whole site without the video
RECORD = "build.json"
POSTERS = "posters"  # a still of each video, shown before it plays (part of the page weight)
POSTER_AT, POSTER_WIDTH = 0.45, 640  # the still: this share into the video (a picture, not the title card)


class CourseError(RuntimeError):
    pass


@dataclass
class Sentence:
    start: float  # seconds into the video the page plays
    end: float
    text: str


@dataclass
class ChapterPage:
    chapter: Chapter
    title: str
    start: float  # in the full video
    end: float
    sentences: list[Sentence]  # times in the chapter's own clip
    explorers: list[Explorer]

    @property
    def file(self) -> str:
        return f"{self.chapter.id}.html"

    @property
    def clip(self) -> str:
        return f"{MEDIA}/{self.chapter.id}.mp4"

    @property
    def poster(self) -> str:
        return f"{POSTERS}/{self.chapter.id}.jpg"


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise CourseError(f"{shown(path)} missing ({what}): run 'make video' first")
    return path


def chapter_sentences(chapter: Chapter, quality: str) -> list[Sentence]:
    """Each narrated sentence at its time in the chapter's clip: its clips sit at their segment's start (when
    the scene reached the cue) plus their offset in the segment, as the audio was mixed."""
    timeline = json.loads(_need(chapter.timeline_file, "the voiced timeline").read_text())
    record = _need(chapter.work_dir(quality) / f"{chapter.id}.render.json", "the render record")
    starts = json.loads(record.read_text())["segment_starts"]
    spans: dict[int, list[float]] = {}
    for seg, seg_start in zip(timeline["segments"], starts, strict=True):
        for clip in seg["clips"]:
            a = seg_start + clip["offset"]
            span = spans.setdefault(clip["sentence"], [a, a + clip["duration"]])
            span[1] = a + clip["duration"]
    return [Sentence(round(a, 3), round(b, 3), timeline["sentences"][i]) for i, (a, b) in sorted(spans.items())]


def video_chapters(video: Path) -> list[tuple[float, float, str]]:
    """The full video's chapters track: (start, end, 'NN Title'), credits included."""
    track = _need(video.with_suffix(".chapters.vtt"), "the video's chapters track")
    return [(c.start, c.end, c.text) for c in parse_srt(track.read_text())]


def chapter_pages(video: Path, quality: str) -> list[ChapterPage]:
    """A page for every chapter the video holds, in its order."""
    by_number = {ch.number: ch for ch in all_chapters()}
    pages = []
    for start, end, title in video_chapters(video):
        number = title.split(" ", 1)[0]
        if not number.isdigit():
            continue  # the credits
        ch = by_number.get(int(number))
        if ch is None:
            raise CourseError(f"{shown(video.with_suffix('.chapters.vtt'))}: chapter '{title}' is not in narration/")
        pages.append(ChapterPage(ch, parse_file(ch.narration).title, start, end, chapter_sentences(ch, quality),
                                 explorers_for(ch.id)))
    if not pages:
        raise CourseError(f"{shown(video.with_suffix('.chapters.vtt'))}: no chapters in the track")
    return pages


def _cues(vtt: Path) -> list[list]:
    return [[c.start, c.end, c.text] for c in parse_srt(_need(vtt, "subtitles").read_text())]


def _link_or_copy(src: Path, dst: Path) -> None:
    """The videos are large: a hard link when the site is on the same disk, a copy otherwise."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _media_inputs(video: Path, quality: str) -> list[Path]:
    clips = [ch.video_dir(quality) / f"{ch.id}.mp4" for ch in all_chapters()]
    return [video, *[c for c in clips if c.exists()]]


def course_key(video: Path, quality: str) -> str:
    """This module and what it imports, the page templates and scripts, every input file's content (videos by
    identity: size, time, inode; they are too large to hash on every run)."""
    files: dict[str, object] = {p.name: p for p in sorted(ASSETS.iterdir()) if p.is_file()}
    for ch in all_chapters():
        for path in (ch.timeline_file, ch.work_dir(quality) / f"{ch.id}.render.json", DATA_DIR / ch.id / "manifest.json",
                     ch.video_dir(quality) / f"{ch.id}.vtt", ch.narration):
            files[str(path)] = path
    for suffix in (".vtt", ".chapters.vtt"):
        files[suffix] = video.with_suffix(suffix)
    media = [(str(p), (s := p.stat()).st_size, s.st_mtime_ns, s.st_ino) for p in _media_inputs(video, quality)]
    return stage_key(code=[Path(__file__)], quality=quality, media=media, **files)


def _json_script(obj) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(obj, ensure_ascii=False).replace("</", "<\\/")


def write_site(folder: Path, video: Path, quality: str, pages: list[ChapterPage]) -> dict:
    """Every file of the site into ``folder``; returns the weights (bytes) of the whole site and each page."""
    env = Environment(loader=FileSystemLoader(ASSETS), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["json_script"] = _json_script
    env.filters["clock"] = lambda s: f"{int(s) // 60}:{int(s) % 60:02d}"
    for name in STATIC:
        shutil.copyfile(ASSETS / name, folder / name)
    (folder / "explorers").mkdir()
    sheets: dict[str, Path] = {}
    for page in pages:
        for ex in page.explorers:
            sheets[ex.id] = folder / "explorers" / f"{ex.id}.png"
            sheets[ex.id].write_bytes(ex.sprite_sheet())

    video_name = f"{MEDIA}/{video.name}"
    _link_or_copy(video, folder / video_name)
    (folder / POSTERS).mkdir()
    index_poster = f"{POSTERS}/{video.stem}.jpg"
    _poster(video, folder / index_poster)
    for suffix in (".vtt", ".chapters.vtt"):
        _link_or_copy(video.with_suffix(suffix), folder / MEDIA / (video.stem + suffix))
    transcript = [(p, [Sentence(p.start + s.start, p.start + s.end, s.text) for s in p.sentences]) for p in pages]
    chapters = [[p.start, p.end, f"{p.chapter.number:02d} {p.title}"] for p in pages]
    index = env.get_template("index.html.j2").render(
        pages=pages, transcript=transcript, video=video_name, poster=index_poster, vtt=f"{MEDIA}/{video.stem}.vtt",
        data={"subtitles": _cues(video.with_suffix(".vtt")), "chapters": chapters})
    (folder / "index.html").write_text(index, encoding="utf-8")

    for i, page in enumerate(pages):
        clip = page.chapter.video_dir(quality) / f"{page.chapter.id}.mp4"
        _link_or_copy(_need(clip, "the course clip"), folder / page.clip)
        _poster(clip, folder / page.poster)
        _link_or_copy(clip.with_suffix(".vtt"), folder / MEDIA / f"{page.chapter.id}.vtt")
        html = env.get_template("chapter.html.j2").render(
            page=page, prev=pages[i - 1] if i else None, next=pages[i + 1] if i + 1 < len(pages) else None,
            data={"subtitles": _cues(clip.with_suffix(".vtt")), "chapters": [],
                  "explorers": [ex.spec(f"explorers/{ex.id}.png") for ex in page.explorers]})
        (folder / page.file).write_text(html, encoding="utf-8")
    return weights(folder, pages, index_poster)


def _poster(video: Path, out: Path) -> None:
    still_frame(video, duration(video) * POSTER_AT, out, POSTER_WIDTH)


def weights(folder: Path, pages: list[ChapterPage], index_poster: str) -> dict:
    """Bytes of the site without the video, and of each page with what it loads (scripts, style, sheets)."""
    size = lambda rel: (folder / rel).stat().st_size  # noqa: E731
    shared = sum(size(n) for n in STATIC)
    site = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and MEDIA not in p.relative_to(folder).parts)
    per_page = {"index.html": size("index.html") + shared + size(index_poster)}
    for page in pages:
        per_page[page.file] = size(page.file) + shared + size(page.poster) + \
            sum(size(f"explorers/{ex.id}.png") for ex in page.explorers)
    return {"site": site, "pages": per_page, "budget": WEIGHT_BUDGET}


def build_course(video: Path, quality: str, force: bool = False, log=print) -> Path:
    """Write the site to build/course/ unless it is fresh; raises CourseError naming a missing input."""
    _need(video, "the full video")
    key = course_key(video, quality)
    if not force and read_record(SITE / RECORD, key, outputs=[SITE / "index.html"]):
        log(f"[course] {shown(SITE)}: up to date")
        return SITE
    pages = chapter_pages(video, quality)
    tmp = temp_dir(SITE)
    try:
        weight = write_site(tmp, video, quality, pages)
        if weight["site"] > WEIGHT_BUDGET:
            raise CourseError(f"the course site weighs {weight['site'] / 1e6:.1f} MB without the video, over its "
                              f"budget of {WEIGHT_BUDGET / 1e6:.0f} MB")
        write_record(tmp / RECORD, key, weights=weight, quality=quality)
        old = None
        if SITE.exists():
            old = temp_dir(SITE)
            os.replace(SITE, old)
        os.replace(tmp, SITE)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    n_ex = sum(len(p.explorers) for p in pages)
    log(f"[course] {shown(SITE)}: {len(pages) + 1} pages, {n_ex} explorers, {weight['site'] / 1e3:.0f} kB without "
        f"the video (budget {WEIGHT_BUDGET / 1e6:.0f} MB); open {shown(SITE / 'index.html')}")
    return SITE
