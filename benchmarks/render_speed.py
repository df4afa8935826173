"""Render speed: render-seconds per video-second for a chapter at each quality, measured in one run.

    python benchmarks/render_speed.py [--chapter 01] [--qualities l m h]

Renders into a throw-away build folder (the voice is synthesized once and shared), so it never
touches build/ and always measures a real, uncached render.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("DIFFUSION_JOURNEY_BUILD", tempfile.mkdtemp(prefix="dj-bench-"))

from diffusion_journey import pipeline  # noqa: E402
from journey_base.chapters import get_chapter  # noqa: E402
from diffusion_journey.config import QUALITIES  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="01")
    parser.add_argument("--qualities", nargs="+", default=["l", "m"], choices=sorted(QUALITIES))
    args = parser.parse_args()
    ch = get_chapter(args.chapter)
    pipeline.voice_chapter(ch, pipeline.make_data(ch).facts)
    rows = []
    for q in args.qualities:
        started = time.perf_counter()
        rendered = pipeline.render_scene(ch, q, force=True)
        seconds = time.perf_counter() - started
        rows.append((q, rendered.duration, seconds))
    print(f"\n{ch.id}: render speed on {os.cpu_count()} cores")
    print(f"{'quality':>10} {'video s':>8} {'render s':>9} {'render-s/video-s':>17}")
    for q, video_s, render_s in rows:
        print(f"{QUALITIES[q][1]:>10} {video_s:8.1f} {render_s:9.1f} {render_s / video_s:17.2f}")
    base = rows[0]
    for q, video_s, render_s in rows[1:]:
        print(f"{QUALITIES[q][1]} costs {render_s / video_s / (base[2] / base[1]):.1f}x {QUALITIES[base[0]][1]}")


if __name__ == "__main__":
    main()
