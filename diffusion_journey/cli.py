"""Command line: python -m diffusion_journey {list,check,data,voice,scene,video} --help"""

from __future__ import annotations

import argparse
import sys
import time

from journey_base.paths import ROOT
from journey_base.chapters import UnknownChapterError, all_chapters, select
from .config import QUALITIES, ConfigError, load_config
from journey_base.files import shown
from .media import MediaError
from .narration import NarrationError, parse_file
from .tools import MissingToolError
from .voice import VoiceError

EPILOG = """\
stages (data flows one way): data -> voice -> scene -> video
  data   runs each chapter's experiment (render_data/experiments/<id>.py) into build/data/<id>/
  voice  fills the narration's {placeholders} from that data and voices it offline into build/audio/
  scene  renders one chapter's Manim scene in step with its voice -> build/video/chapters/<q>/<id>.mp4
  video  all chapters -> build/video/diffusion-journey.mp4 (+ .srt, .vtt), with chapter markers

Chapters are named by id (01_possible_images) or number (01). Every stage reuses fresh outputs."""


def _chapters_arg(p):
    p.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids or numbers (default: all)")


def _quality_arg(p, default):
    p.add_argument("-q", "--quality", choices=sorted(QUALITIES), default=default,
                   help="l = 480p15 preview, m = 720p30, h = 1080p60 (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    default_q = "m"
    try:
        default_q = load_config()["video"]["quality"]
    except (ConfigError, KeyError):
        pass
    parser = argparse.ArgumentParser(
        prog="diffusion-journey", description="Turn real diffusion runs into a narrated explainer video.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="list the chapters and their titles")

    p = sub.add_parser("check", help="validate narration scripts against the data and the scenes' cues")
    _chapters_arg(p)

    p = sub.add_parser("data", help="compute chapter data into build/data (reuses fresh artifacts)")
    _chapters_arg(p)
    p.add_argument("--force", action="store_true", help="recompute even if fresh")

    p = sub.add_parser("voice", help="voice the narration offline into build/audio (cached per sentence)")
    _chapters_arg(p)

    p = sub.add_parser("scene", help="render one chapter, voiced and subtitled (a preview or a course clip)")
    p.add_argument("chapter", metavar="CHAPTER", help="chapter id or number, e.g. 01_possible_images or 01")
    _quality_arg(p, "l")
    p.add_argument("--force", action="store_true", help="re-render even if fresh")

    p = sub.add_parser("video", help="build the whole narrated video with subtitles and chapter markers")
    _quality_arg(p, default_q)
    p.add_argument("--chapters", nargs="+", metavar="CHAPTER", help="only these chapters (default: all)")
    p.add_argument("-o", "--output", help="output file (default: journey.toml [video] output)")
    return parser


def run(args) -> None:
    from . import pipeline

    if args.command == "list":
        for ch in all_chapters():
            print(f"{ch.id:28s} {parse_file(ch.narration).title}")
        return
    if args.command == "data":
        for ch in select(args.chapters):
            pipeline.make_data(ch, force=args.force)
        return
    if args.command == "check":
        for ch in select(args.chapters):
            data = pipeline.make_data(ch)
            p = pipeline.narration_plan(ch, data.facts)
            print(f"[check] {shown(ch.narration)}: ok ({len(p.sentences)} sentences, "
                  f"{len(p.segments) - 1} cues)")
        return
    if args.command == "voice":
        for ch in select(args.chapters):
            pipeline.voice_chapter(ch, pipeline.make_data(ch).facts)
        return
    if args.command == "scene":
        (ch,) = select([args.chapter])
        pipeline.voice_chapter(ch, pipeline.make_data(ch).facts)
        rendered = pipeline.render_scene(ch, args.quality, force=args.force)
        clip = pipeline.chapter_clip(rendered, args.quality)
        print(f"done: {clip}")
        return
    if args.command == "video":
        started = time.perf_counter()
        chapters = select(args.chapters)
        clips = []
        for ch in chapters:
            pipeline.voice_chapter(ch, pipeline.make_data(ch).facts)
            rendered = pipeline.render_scene(ch, args.quality)
            clips.append((rendered, pipeline.chapter_clip(rendered, args.quality)))
        out = ROOT / (args.output or load_config()["video"]["output"])
        pipeline.full_video(clips, out, args.quality)
        print(f"done: {out} (+ .srt, .vtt) in {time.perf_counter() - started:.0f}s")
        return


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (NarrationError, UnknownChapterError, MissingToolError, ConfigError, MediaError, VoiceError,
            FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
