"""Interrupted runs: a video and its subtitles are published as one set, and what a killed run leaves behind
is finished or removed at the next run's start."""

import os
import subprocess
import sys
import textwrap

import pytest

from diffusion_journey.cli import main
from journey_base.files import atomic_write_text, published_together, sweep_temp, temp_dir
from journey_base.paths import ROOT

NAMES = ["v.mp4", "v.srt", "v.vtt"]


@pytest.fixture
def old_set(tmp_path):
    for name in NAMES:
        (tmp_path / name).write_text(f"old {name}")
    return tmp_path


def _contents(folder):
    return {p.name: p.read_text() for p in folder.iterdir()}


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def _killed_while_publishing(folder, kill_at_replace: int):
    """Publish a new set in another process that dies (os._exit, no clean-up) at its n-th os.replace."""
    code = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import journey_base.files as files
        calls, real = [0], os.replace
        def replace(a, b):
            calls[0] += 1
            if calls[0] == {kill_at_replace}:
                os._exit(9)
            real(a, b)
        files.os.replace = replace
        folder = Path({str(folder)!r})
        with files.published_together([folder / n for n in {NAMES!r}]) as tmps:
            for tmp, name in zip(tmps, {NAMES!r}):
                tmp.write_text("new " + name)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 9


def test_a_set_is_published_whole_or_not_at_all(old_set):
    with published_together([old_set / n for n in NAMES]) as tmps:
        for tmp, name in zip(tmps, NAMES):
            tmp.write_text(f"new {name}")
        assert _contents(old_set)["v.srt"] == "old v.srt"  # nothing shows until all are written
    assert _contents(old_set) == {n: f"new {n}" for n in NAMES}
    with pytest.raises(RuntimeError):
        with published_together([old_set / n for n in NAMES]) as tmps:
            tmps[0].write_text("half")
            raise RuntimeError("ffmpeg failed")
    assert _contents(old_set) == {n: f"new {n}" for n in NAMES}  # the old set stays whole, no temps


def test_a_kill_among_the_renames_is_finished_by_the_next_run(old_set):
    # os.replace calls: 1 writes the journal, 2 renames the video, 3 would rename the .srt.
    _killed_while_publishing(old_set, kill_at_replace=3)
    now = _contents(old_set)
    assert now["v.mp4"] == "new v.mp4" and now["v.srt"] == "old v.srt"  # the video goes first, never after
    finished, _ = sweep_temp(old_set)
    assert len(finished) == 1
    assert _contents(old_set) == {n: f"new {n}" for n in NAMES}


def test_a_kill_while_writing_leaves_the_old_set_and_temps_the_next_run_removes(old_set):
    _killed_while_publishing(old_set, kill_at_replace=1)  # as the journal is written: nothing committed yet
    left = sorted(p.name for p in old_set.iterdir() if p.name not in NAMES)
    assert len(left) == 4 and all(name.startswith(".dj-tmp-") for name in left)  # 3 files + the journal's
    data_tmp = temp_dir(old_set / "data" / "01_chapter")  # an artifacts folder of this (running) process
    dead = old_set / "data" / f".dj-tmp-{_dead_pid()}-02_chapter.abc123"
    dead.mkdir()
    (dead / "facts.json").write_text("{}")
    finished, removed = sweep_temp(old_set)
    assert finished == [] and len(removed) == 5
    assert data_tmp.exists() and not dead.exists()  # a live process keeps its temps
    assert {p.name for p in old_set.iterdir() if p.is_file()} == set(NAMES)
    assert all((old_set / n).read_text() == f"old {n}" for n in NAMES)


def test_building_commands_sweep_the_build_folder_first(build_dir, capsys):
    stale = build_dir / "video" / f".dj-tmp-{_dead_pid()}-diffusion-journey.mp4.x1y2z3.mp4"
    atomic_write_text(stale, "50 MB of an interrupted mux")
    with pytest.raises(SystemExit):
        main(["data", "99_no_such_chapter"])
    assert not stale.exists()
    assert "removed 1 temp file(s)" in capsys.readouterr().out
