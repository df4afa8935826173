"""python -m render_data [CHAPTER ...] [--force]: compute chapter data (reuses fresh artifacts)."""

import argparse
import sys

from journey_base.chapters import UnknownChapterError, select

from .artifacts import build_chapter_data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m render_data", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids or numbers (default: all)")
    parser.add_argument("--force", action="store_true", help="recompute even if fresh")
    args = parser.parse_args(argv)
    try:
        for chapter in select(args.chapters):
            _, rebuilt = build_chapter_data(chapter, force=args.force)
            print(f"[data]  {chapter.id}: {'computed' if rebuilt else 'up to date'}")
    except UnknownChapterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
