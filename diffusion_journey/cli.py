"""Command line: python -m diffusion_journey {list,new,check,data,voice,scene,video,course,review} --help"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from journey_base.chapters import UnknownChapterError, all_chapters, select
from journey_base.files import shown, sweep_temp
from journey_base.paths import BUILD, ROOT
from scenes.beats import SceneDataError
from scenes.layout import LayoutError

from . import pipeline, review
from .build_graph import build_chapters
from .course import CourseError, build_course
from .taskgraph import TaskFailed
from .config import QUALITIES, ConfigError, load_config
from .media import MediaError
from .narration import NarrationError, parse_file
from .scaffold import DEFAULT_CUES, ScaffoldError, new_chapter
from .tools import MissingToolError
from .voice import ENGINES, VoiceError

EPILOG = """\
stages (data flows one way): data -> voice -> scene -> video
  data   runs each chapter's experiment (render_data/experiments/<id>.py) into build/data/<id>/
  voice  fills the narration's {placeholders} from that data and voices it offline into build/audio/
  scene  renders one chapter's Manim scene in step with its voice -> build/video/chapters/<q>/<id>.mp4
  video  all chapters -> build/video/diffusion-journey.mp4 (+ .srt, .vtt, .chapters.vtt), with chapter markers
  course the course site from the built video and the chapter data -> build/course/index.html
  review a quality report of the built video -> printed, and build/video/review.json

Chapters are named by id (01_possible_images) or number (01). Every stage reuses fresh outputs.
A new chapter: 'new 13_latent_space' writes its narration, scene and experiment (see 'new --help')."""

NEW_EPILOG = """\
writes, for ID 13_latent_space:
  narration/13_latent_space.txt               the title, an opening, one placeholder sentence per cue
  scenes/13_latent_space.py                   class LatentSpace(ChapterScene), one @beat per cue
  render_data/experiments/13_latent_space.py  CONFIG, TINY_CONFIG (the tests' small run), run()
The chapter's number is its place in the video (chapters play in the order of their numbers), so it must be
one no chapter has. The new chapter passes 'check' as it is; then: make data CH=13, make check CH=13,
make scene CH=13. An existing chapter or a bad id is refused in one line (exit status 2) and nothing is
written; the files are written to temp names and renamed into place, the narration (which makes the
chapter) last."""


def _chapters_arg(p):
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids or numbers (default: all)")


def _quality_arg(p, default):
    p.add_argument("-q", "--quality", choices=sorted(QUALITIES), default=default,
                   help="l = 480p15 preview, m = 720p30, h = 1080p60 (default: %(default)s)")


def _engine_arg(p):
    p.add_argument("--voice-engine", choices=ENGINES, help="voice with this engine instead of journey.toml's "
                                                          "(piper: the fast draft voice)")


def _layout_arg(p):
    p.add_argument("--no-layout-check", dest="layout_check", action="store_false",
                   help="render a draft even if text overlaps or leaves the frame (problems are still recorded)")


def _command(sub, name: str, help: str) -> argparse.ArgumentParser:
    """A command whose own --help opens with what it does (the same line the command list shows)."""
    return sub.add_parser(name, help=help, description=help)


def build_parser(config: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffusion-journey", description="Turn real diffusion runs into a narrated explainer video.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, "list", help="list the chapters and their titles")

    what = "scaffold a new chapter: its narration, scene and experiment (with a tiny config), which 'check' accepts"
    p = sub.add_parser("new", help=what, description=what + " as they are", epilog=NEW_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("chapter", metavar="ID",
                   help="the new chapter's id, NN_name: NN a free number (its place in the video), the name "
                        "lowercase letters, digits and '_', starting with a letter (e.g. 13_latent_space); "
                        "the name alone takes the number after the last chapter's")
    p.add_argument("--title", help="the chapter's title, its question on the title card (default: from the name)")
    p.add_argument("--cues", metavar="CUE,CUE,...", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   help=f"the beats' names in order, one [[cue]] each (default: {','.join(DEFAULT_CUES)})")

    p = _command(sub, "check", help="check every chapter: narration and scene against the data (all problems "
                                     "listed); --layout also runs each scene's layout check without rendering")
    _chapters_arg(p)
    p.add_argument("--layout", action="store_true", help="also run the layout check (a fast pass, no frames drawn)")
    p.add_argument("--sync", action="store_true",
                   help="also the sync audit on the voiced timeline (no frames drawn): each text that shows a figure "
                        "or word the voice says, and how far from the saying it first shows (off: over 1 s); "
                        "figures said but never shown")

    p = _command(sub, "data", help="compute chapter data into build/data (reuses fresh artifacts)")
    _chapters_arg(p)
    p.add_argument("--force", action="store_true", help="recompute even if fresh")

    p = _command(sub, "voice", help="voice the narration offline into build/audio (cached per sentence)")
    _chapters_arg(p)
    _engine_arg(p)

    p = _command(sub, "scene", help="render one chapter, voiced and subtitled (a preview or a course clip)")
    p.add_argument("chapter", metavar="CHAPTER", help="chapter id or number, e.g. 01_possible_images or 01")
    _quality_arg(p, config["preview"]["quality"])
    p.add_argument("--force", action="store_true", help="re-render even if fresh")
    _layout_arg(p)
    _engine_arg(p)

    p = _command(sub, "video", help="build the whole narrated video with subtitles and chapter markers")
    _quality_arg(p, config["video"]["quality"])
    _layout_arg(p)
    _engine_arg(p)
    p.add_argument("--chapters", nargs="+", metavar="CHAPTER", help="only these chapters (default: all)")
    p.add_argument("-o", "--output", help="output file (default: journey.toml [video] output)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="tasks at once: chapters' data, voices and beat renders (default: the core count, %(default)s)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: a process pool on this machine; ray: a Ray cluster (RAY_ADDRESS or --ray-address, "
                        "else a local Ray); needs pip install 'diffusion-journey[ray]'")
    p.add_argument("--ray-address", help="the Ray cluster's head, e.g. 10.0.0.5:6379 (default: $RAY_ADDRESS)")

    p = _command(sub, "course", help="the course site: the video with its chapters and a transcript that seeks, "
                                     "a page per chapter with its clip and the explorers of its runs "
                                     "-> build/course/ (after 'video'; rebuilt only when its inputs change)")
    _quality_arg(p, config["video"]["quality"])
    p.add_argument("video", nargs="?", help="the full video (default: journey.toml [video] output)")
    p.add_argument("--force", action="store_true", help="rebuild even if fresh")
    p.add_argument("--screenshots", action="store_true",
                   help="also save screenshots of every page at desktop and phone size into build/course-shots/ "
                        "(needs chromium and the playwright package)")

    p = _command(sub, "review", help="quality report of a built video: subtitle rules, pace, still holds, "
                                      "loudness, voice DNSMOS, layout check (a table, and JSON)")
    p.add_argument("video", nargs="?", help="the video (default: journey.toml [video] output)")
    _quality_arg(p, config["video"]["quality"])
    p.add_argument("--json", help="where the JSON goes (default: build/video/review.json)")
    return parser


def _print_sync(chapter_id: str, audit: dict) -> None:
    print(f"[sync]  {chapter_id}: {audit['off']} of {audit['texts']} texts off by more than 1 s")
    for item in audit["off_by_more_than_1s"]:
        print(f"  {item['shown']:6.1f}s  {item['offset']:+5.1f}s  {item['text']!r} (beat '{item['beat']}', "
              f"said '{item['by']}' at {item['said']:.1f}s)")
    for beat_name, words, seconds in audit["late_words"]:
        print(f"  late: beat '{beat_name}' reached '{words}' {seconds:.1f}s after the voice said it")
    stretches = audit["still_stretches"]
    print(f"[still] {chapter_id}: {len(stretches)} still stretches of 4 s or more, "
          f"{100 * audit['still_share']:.0f}% of {audit['length']:.0f}s")
    for s in stretches:
        print(f"  still: {s['start']:6.1f}s for {s['seconds']:.1f}s (beat '{s['beat']}')")
    if audit["figures_never_shown"]:
        print("  said, never shown: " + ", ".join(f"{u['figure']} ({u['said']:.0f}s)"
                                                for u in audit["figures_never_shown"]))


BUILDING = {"check", "data", "voice", "scene", "video", "course"}


def sweep_interrupted_runs() -> None:
    """What a killed run left in build/: unfinished publishing is finished, temp files removed."""
    finished, removed = sweep_temp(BUILD)
    for journal in finished:
        print(f"[clean] finished publishing an interrupted set ({shown(journal)})")
    if removed:
        print(f"[clean] removed {len(removed)} temp file(s) of interrupted runs")


def run(args) -> None:
    if args.command in BUILDING:
        sweep_interrupted_runs()
    if args.command == "list":
        for ch in all_chapters():
            print(f"{ch.id:28s} {parse_file(ch.narration).title}")
        return
    if args.command == "new":
        new = new_chapter(args.chapter, title=args.title, cues=args.cues)
        place = " and ".join(filter(None, [new.after and f"after {new.after}", new.before and f"before {new.before}"]))
        print(f"[new]   {new.id}: '{new.title}', beats {', '.join(new.cues)}" + (f"; plays {place}" if place else ""))
        for path in new.files:
            print(f"        {shown(path)}")
        print(f"next: make check CH={new.id[:2]}, then make scene CH={new.id[:2]}")
        return
    if args.command == "data":
        for ch in select(args.chapters):
            pipeline.make_data(ch, force=args.force)
        return
    if args.command == "check":
        failed = 0
        for ch in select(args.chapters):
            problems = pipeline.check_chapter(ch)
            if args.layout and not problems:
                try:
                    for beat_name, seconds in pipeline.layout_check(ch).still_holds:
                        print(f"[check] {ch.id}: note: beat '{beat_name}' holds a still picture for {seconds:.1f}s")
                except LayoutError as exc:
                    problems.append(str(exc))
            if args.sync and not problems:
                _print_sync(ch.id, pipeline.sync_check(ch))
            failed += bool(problems)
            print(f"[check] {ch.id}: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        if failed:
            raise CheckFailed(f"{failed} chapter(s) failed the check")
        return
    if args.command == "voice":
        for ch in select(args.chapters):
            pipeline.voice_chapter(ch, pipeline.make_data(ch).facts, engine_name=args.voice_engine)
        return
    if args.command == "scene":
        (ch,) = select([args.chapter])
        pipeline.voice_chapter(ch, pipeline.make_data(ch).facts, engine_name=args.voice_engine)
        rendered = pipeline.render_scene(ch, args.quality, force=args.force, layout_check=args.layout_check)
        clip = pipeline.chapter_clip(rendered, args.quality)
        print(f"done: {clip}")
        return
    if args.command == "video":
        started = time.perf_counter()
        chapters = select(args.chapters)
        clips = build_chapters(chapters, args.quality, max(1, args.jobs), args.executor, args.ray_address,
                               args.voice_engine, args.layout_check)
        out = ROOT / (args.output or load_config()["video"]["output"])
        pipeline.full_video(clips, out, args.quality)
        if not args.chapters and not args.output:
            build_course(out, args.quality)  # the course site follows the full video
        print(f"done: {out} (+ .srt, .vtt) in {time.perf_counter() - started:.0f}s")
        return
    if args.command == "course":
        site = build_course(ROOT / (args.video or load_config()["video"]["output"]), args.quality, force=args.force)
        if args.screenshots:
            from .course_shots import screenshot_site

            for shot in screenshot_site(site, BUILD / "course-shots"):
                print(f"[shot]  {shown(shot)}")
        return
    if args.command == "review":
        video = ROOT / (args.video or load_config()["video"]["output"])
        out = Path(args.json) if args.json else BUILD / "video" / "review.json"
        print(review.table(review.write_review(video, args.quality, out)))
        print(f"written: {shown(out)}")
        return


class CheckFailed(RuntimeError):
    pass


def main(argv: list[str] | None = None) -> None:
    try:
        args = build_parser(load_config()).parse_args(argv)
        run(args)
    except (NarrationError, UnknownChapterError, MissingToolError, ConfigError, MediaError, VoiceError,
            FileNotFoundError, RuntimeError, LayoutError, SceneDataError, CourseError, ScaffoldError) as exc:
        # A task of the build graph failed: its own error is the line the user needs (file:line first).
        cause = exc.__cause__ if isinstance(exc, TaskFailed) and exc.__cause__ is not None else exc
        print(f"error: {cause}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
