"""The edit loop and the cores: `make video` timings as ratios measured in one run (make bench).

    python benchmarks/build_speed.py [--chapters 01 07] [-q m] [--edit 07] [--ray] [--hq 01]

Works on a copy of the project's source and of build/ (data and voices must exist: run `make video` first),
so the user's files are never touched. Measured, in this order:
  1. nothing changed: `video` once to settle the copy, then again, timed (goal <= 5 s);
  2. one sentence edited in the middle of chapter --edit: `video` timed end to end, voice included (goal
     <= 30 s), and as a ratio to the full build from existing data and voice (3);
  3. every beat drawn again with -j 1, then with -j 2: the ratio (goal >= 1.7x);
  4. --ray: the same through a local Ray cluster with 2 workers, against -j 1 (goal >= 1.6x);
  5. --hq CH: that chapter at 1080p60 with -j 2, render-seconds per video-second (goal <= 1.0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ("journey_base", "render_data", "scenes", "diffusion_journey", "narration", "journey.toml", "models",
          "credits.toml")


def copy_project(into: Path) -> tuple[Path, Path]:
    tree, build = into / "tree", into / "build"
    for part in SOURCE:
        src = ROOT / part
        if part == "models":
            (tree / part).symlink_to(src)  # read-only weights: shared, not copied
        elif src.is_dir():
            shutil.copytree(src, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, tree / part)
    shutil.copytree(ROOT / "build", build, symlinks=True, ignore=shutil.ignore_patterns("course-shots", "media"))
    return tree, build


def timed(tree: Path, build: Path, *args: str) -> float:
    env = dict(os.environ, DIFFUSION_JOURNEY_BUILD=str(build), PYTHONPATH=str(tree))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffusion_journey", *args], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def forget_renders(build: Path, quality_label: str) -> None:
    """Every beat clip and render record gone: the next build draws every beat (data and voice stay)."""
    work = build / "video" / "work" / quality_label
    shutil.rmtree(work / "beats", ignore_errors=True)
    for record in [*work.glob("*.render.json"), *work.glob("*.clip.json"), *work.glob("*.video.json")]:
        record.unlink()


def edit_one_sentence(tree: Path, chapter: str) -> str:
    """Insert a word into the middle sentence of the chapter's narration; returns the new sentence."""
    path = next((tree / "narration").glob(f"{chapter}_*.txt"))
    lines = path.read_text().splitlines()
    spoken = [i for i, line in enumerate(lines) if line.strip() and not line.startswith(("#", "@"))]
    i = spoken[len(spoken) // 2]
    words = lines[i].split(" ")
    at = 1 if words[0].startswith("[[") else 0
    words.insert(at + 1, "really")
    lines[i] = " ".join(words)
    path.write_text("\n".join(lines) + "\n")
    return lines[i]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chapters", nargs="+", default=None, help="chapters to build (default: all)")
    p.add_argument("-q", "--quality", default="m", choices=("l", "m", "h"))
    p.add_argument("--edit", default="07", help="the chapter whose middle sentence is edited (default 07)")
    p.add_argument("--ray", action="store_true", help="also time a local Ray cluster with 2 workers")
    p.add_argument("--hq", metavar="CH", help="also render this chapter at 1080p60 with -j 2")
    args = p.parse_args()
    label = {"l": "480p15", "m": "720p30", "h": "1080p60"}[args.quality]
    chapters = ["--chapters", *args.chapters] if args.chapters else []
    rows = []
    with tempfile.TemporaryDirectory(prefix="dj-bench-build-") as tmp:
        tree, build = copy_project(Path(tmp))
        out = str(build / "video" / "bench.mp4")
        video = ["video", "-q", args.quality, "-o", out, *chapters]
        timed(tree, build, *video)  # settle: the copy's own video and records
        rows.append(("nothing changed", timed(tree, build, *video), "goal <= 5 s"))
        sentence = edit_one_sentence(tree, args.edit)
        edit = timed(tree, build, *video)
        forget_renders(build, label)
        serial = timed(tree, build, *video, "-j", "1")
        rows.append((f"one sentence edited in {args.edit} ({sentence[:40]}...)", edit,
                     f"goal <= 30 s; {edit / serial:.3f} of the full build from existing data and voice"))
        rows.append(("every beat drawn, -j 1", serial, ""))
        forget_renders(build, label)
        two = timed(tree, build, *video, "-j", "2")
        rows.append(("every beat drawn, -j 2", two, f"{serial / two:.2f}x -j 1 (goal >= 1.7x)"))
        if args.ray:
            forget_renders(build, label)
            ray = timed(tree, build, *video, "-j", "2", "--executor", "ray")
            rows.append(("every beat drawn, local Ray, 2 workers", ray, f"{serial / ray:.2f}x -j 1 (goal >= 1.6x)"))
        if args.hq:
            hq_out = str(build / "video" / "bench-hq.mp4")
            seconds = timed(tree, build, "video", "-q", "h", "-o", hq_out, "--chapters", args.hq, "-j", "2")
            length = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                           "csv=p=0", hq_out], capture_output=True, text=True).stdout)
            rows.append((f"chapter {args.hq} at 1080p60, -j 2 (voice and data reused)", seconds,
                         f"{seconds / length:.2f} render-s per video-s (goal <= 1.0)"))
    print(f"\nbuild speed on {os.cpu_count()} cores, {label}, chapters {' '.join(args.chapters or ['all'])}")
    for name, seconds, note in rows:
        print(f"  {name:60s} {seconds:8.1f} s  {note}")


if __name__ == "__main__":
    main()
