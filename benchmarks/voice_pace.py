"""Pace and speed of a voice on one chapter's narration: words per minute of speech, real-time factor.

    python benchmarks/voice_pace.py [--chapter 02] [--engine kokoro] [--speed 0.92 1.0]

Voices every clip of the chapter from scratch (a temp cache; the chapter's data must be built) and prints,
per speed: words / seconds of speech (the clips' own durations, without the pauses between them) and
synthesis seconds per second of audio. journey.toml's kokoro_speed is set from this.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from diffusion_journey.config import load_config
from diffusion_journey.narration import parse_file, plan
from diffusion_journey.voice import ClipCache, make_engine, voice_plan
from journey_base.chapters import select
from render_data.artifacts import DATA_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapter", default="02")
    parser.add_argument("--engine", default="kokoro")
    parser.add_argument("--speed", type=float, nargs="+", help="Kokoro speeds to try (default: journey.toml's)")
    args = parser.parse_args()
    (chapter,) = select([args.chapter])
    facts = json.loads((DATA_DIR / chapter.id / "facts.json").read_text())
    the_plan = plan(parse_file(chapter.narration), facts)
    voice = load_config()["voice"]
    for speed in args.speed or [voice.get("kokoro_speed", 1.0)]:
        engine = make_engine(args.engine, dict(voice, kokoro_speed=speed))
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            timeline = voice_plan(the_plan, ClipCache(Path(tmp), engine), voice["pauses"], pronunciations={})
            seconds = time.perf_counter() - started
        clips = [c for s in timeline["segments"] for c in s["clips"]]
        speech = sum(c["duration"] for c in clips)
        words = sum(len(c["words"]) for c in clips)
        print(f"{chapter.id} {args.engine} speed {speed}: {words} words in {speech:.1f} s of speech = "
              f"{60 * words / speech:.0f} wpm; synthesis {seconds:.1f} s (RTF {seconds / speech:.2f})")


if __name__ == "__main__":
    main()
