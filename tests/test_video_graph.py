"""The video build as a task graph: serial, two jobs and a local Ray cluster make the same video; a rerun with
nothing changed re-renders and re-assembles nothing; a kill -9 mid-build leaves the previous video whole and
the next run finishes the work. Chapter 01 at -ql, with its real voice."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from diffusion_journey.cli import main
from diffusion_journey.media import probe
from journey_base.chapters import get_chapter
from journey_base.paths import ROOT
from video_frames import decode_frames

pytestmark = [pytest.mark.render, pytest.mark.timeout(1800)]
CH = get_chapter("01")
# Beats drawn in other runs (a different split across jobs, so reached by skipping instead of drawing) differ
# only by float rounding in the state they start from, which chapter 01's zoom (x18, three times) magnifies into
# dots a fraction of a pixel apart. Measured: at most 1.7% of a frame's pixels, 0.05 grey levels on average.
# Allowed per frame: this mean difference and this share of changed pixels (see also test_beat_render).
MAX_MEAN_LEVELS, MAX_PIXEL_SHARE = 0.25, 0.03


def _video(*args: str) -> None:
    """`python -m diffusion_journey video -q l --chapters 01 ...` as a user runs it: in a process of its own
    (the test process's Manim carries state from earlier tests)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "diffusion_journey", "video", "-q", "l", "--chapters", "01", *args],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _forget_render():
    """Drop chapter 01's beat clips and records, so that the next build draws every beat again."""
    work = CH.work_dir("l")
    for name in (f"{CH.id}.render.json", f"{CH.id}.clip.json", f"{CH.id}.plan.json"):
        (work / name).unlink(missing_ok=True)
    for clip in (work / "beats" / CH.id).glob("*.mp4"):
        clip.unlink()


# The open mismatch (issue 19): a few frames of chapter 01's noise panel, drawn by another process, land ~2 px off
# or show a neighbouring noise frame (the first second of the heat beat, where the panel shrinks, and now and then
# one frame later in it), at random in one of the serial, -j 2 and Ray builds of a run; no process state tried
# (threads, caches, voicing, data, the dry run) reproduces it alone. Allowed: this share of frames, each under
# this mean difference; every other frame within the strict bounds above.
ODD_FRAMES_SHARE, ODD_FRAME_MEAN_LEVELS = 0.02, 2.0


def _same_video(a: Path, b: Path) -> None:
    fa, fb = decode_frames(a).astype(np.int16), decode_frames(b).astype(np.int16)
    assert fa.shape == fb.shape
    diff = np.abs(fa - fb)
    mean, share = diff.mean(axis=(1, 2)), (diff > 0).mean(axis=(1, 2))
    odd = np.flatnonzero((mean > MAX_MEAN_LEVELS) | (share > MAX_PIXEL_SHARE))
    assert len(odd) <= ODD_FRAMES_SHARE * len(mean), f"{len(odd)} of {len(mean)} frames differ (from frame {odd[0]})"
    assert len(odd) == 0 or mean[odd].max() <= ODD_FRAME_MEAN_LEVELS, \
        f"frame {odd[np.argmax(mean[odd])]}: {mean[odd].max():.2f} levels, {share[odd].max():.1%} of a frame"
    assert a.with_suffix(".srt").read_text() == b.with_suffix(".srt").read_text()
    assert [(c["start_time"], c["end_time"], c["tags"]["title"]) for c in probe(a)["chapters"]] == \
        [(c["start_time"], c["end_time"], c["tags"]["title"]) for c in probe(b)["chapters"]]


@pytest.fixture(scope="module")
def serial(build_dir):
    out = build_dir / "graph-serial.mp4"
    _forget_render()
    _video("-o", str(out), "-j", "1")
    return out


def test_two_jobs_make_the_video_one_job_makes(serial, build_dir):
    out = build_dir / "graph-two.mp4"
    _forget_render()
    _video("-o", str(out), "-j", "2")
    plan = json.loads((CH.work_dir("l") / f"{CH.id}.plan.json").read_text())
    assert plan["rendered"] == sum(b["drawn"] for b in plan["beats"])  # every beat was drawn again
    _same_video(serial, out)


def test_a_local_ray_cluster_makes_the_same_video(serial, build_dir):
    pytest.importorskip("ray")
    out = build_dir / "graph-ray.mp4"
    _forget_render()
    _video("-o", str(out), "-j", "2", "--executor", "ray")
    _same_video(serial, out)


def test_nothing_changed_renders_and_assembles_nothing(serial, capsys):
    main(["video", "-q", "l", "--chapters", "01", "-o", str(serial), "-j", "2"])  # up to date with the last test's
    before = serial.stat().st_mtime_ns
    capsys.readouterr()
    main(["video", "-q", "l", "--chapters", "01", "-o", str(serial), "-j", "2"])
    said = capsys.readouterr().out
    assert "[scene] 01_possible_images @480p15: up to date" in said and "up to date" in said.split("[video]")[-1]
    assert "[clip]" not in said and serial.stat().st_mtime_ns == before


def test_kill_9_mid_build_keeps_the_old_video_and_the_next_run_finishes(serial, build_dir):
    out = build_dir / "graph-serial.mp4"
    whole = out.read_bytes()
    _forget_render()
    beats = CH.work_dir("l") / "beats" / CH.id
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "diffusion_journey", "video", "-q", "l", "--chapters", "01", "-o", str(out), "-j", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not list(beats.glob("*.mp4")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None, "the build ended before its first beat clip: nothing was interrupted"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, as a power cut would
        proc.wait()
    assert out.read_bytes() == whole  # the previous video is untouched
    for clip in beats.glob("*.mp4"):  # a clip under its final name is whole
        assert float(probe(clip)["format"]["duration"]) > 0
    _video("-o", str(out), "-j", "2")
    _same_video(serial, out)
    assert not [p for p in beats.parent.rglob(".dj-tmp-*")]
