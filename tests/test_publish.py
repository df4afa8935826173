"""Interrupted runs: a video and its subtitles are published as one set, and what a killed run leaves behind
is finished or removed at the next run's start."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from diffusion_journey.cli import main
from journey_base.files import (atomic_write_text, finish_interrupted, publish_folder, published_together, sweep_temp,
                                temp_dir)
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


# --- a chapter's data folder: a kill between its two renames ------------------------------------------------
PROBE = "98_publish_probe"
# A model-free experiment that counts its runs (in a file beside it): which run's data is in place, and whether
# the next call recomputed.
PROBE_EXPERIMENT = """
from pathlib import Path

import numpy as np

USES_MODEL = False
CONFIG = {"n": 4}
RUNS = Path(__file__).with_name("runs.txt")


def run(out, config, model):
    runs = int(RUNS.read_text()) + 1 if RUNS.exists() else 1
    RUNS.write_text(str(runs))
    out.fact("probe", run=runs)
    out.array("values", np.arange(config["n"]) * runs)
"""
# build_chapter_data in a process of its own that dies (os._exit: no handler, no clean-up) right after the old
# folder is moved aside, before the new one is moved in.
KILLED_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
from journey_base import chapters
from render_data import artifacts
experiments, data, chapter = sys.argv[1:]
chapters.EXPERIMENTS_DIR, artifacts.DATA_DIR = Path(experiments), Path(data)
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if os.path.basename(src) == chapter:
        os._exit(9)
os.replace = replace
artifacts.build_chapter_data(chapters.Chapter(chapter), force=True)
"""


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """The probe chapter with its data from one finished run (run 1), then a run killed between the renames
    (run 2): the old folder moved aside, run 2's whole folder in its temp, the target missing."""
    from journey_base import chapters
    from render_data import artifacts

    experiments, data = tmp_path / "experiments", tmp_path / "data"
    experiments.mkdir()
    (experiments / f"{PROBE}.py").write_text(PROBE_EXPERIMENT)
    monkeypatch.setattr(chapters, "EXPERIMENTS_DIR", experiments)
    monkeypatch.setattr(artifacts, "DATA_DIR", data)
    chapter = chapters.Chapter(PROBE)
    try:
        artifacts.build_chapter_data(chapter, log=lambda *a: None)
        folder = data / PROBE
        assert json.loads((folder / "facts.json").read_text()) == {"probe": {"run": 1}}
        killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(experiments), str(data), PROBE],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        assert killed.returncode == 9, killed.stderr
        # The crash state: the target missing, the old data and the new beside it in temp folders, the journal.
        assert not folder.exists()
        temps = {json.loads((t / "facts.json").read_text())["probe"]["run"]: t for t in data.glob(f".dj-tmp-*-{PROBE}.*")}
        assert sorted(temps) == [1, 2]  # run 1's data moved aside, run 2's whole, not yet in place
        assert len(list(data.glob(f".dj-publish-*-{PROBE}.json"))) == 1
        yield chapter, folder, experiments / "runs.txt"
    finally:
        sys.modules.pop(f"render_data.experiments.ch{PROBE}", None)  # load_module caches the probe by its id


def _left_beside(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(".dj-"))


def test_the_next_data_build_after_a_kill_between_renames_puts_the_finished_data_in_place(probe):
    """Without the CLI's sweep (python -m render_data, or a library call): the killed run's finished data is put
    in place and reused, not recomputed, and nothing of the killed run is left (no old data in a temp folder)."""
    from render_data import artifacts

    chapter, folder, runs = probe
    data, rebuilt = artifacts.build_chapter_data(chapter, log=lambda *a: None)
    assert not rebuilt and runs.read_text() == "2"
    assert data.facts == {"probe": {"run": 2}} and data.array("values").tolist() == [0, 2, 4, 6]
    assert _left_beside(folder) == []
    assert sweep_temp(folder.parent) == ([], [])  # nothing left for the next sweep to swap back


def test_the_next_publish_after_a_kill_between_renames_is_not_undone_later(probe):
    """A new folder published over the crash state stays in place: the killed run's journal is finished first,
    so no later sweep swaps its older data back over the new."""
    chapter, folder, runs = probe
    new = temp_dir(folder)
    (new / "facts.json").write_text('{"probe": {"run": 3}}')
    publish_folder(new, folder)
    assert json.loads((folder / "facts.json").read_text()) == {"probe": {"run": 3}}
    assert _left_beside(folder) == []
    sweep_temp(folder.parent)
    assert json.loads((folder / "facts.json").read_text()) == {"probe": {"run": 3}}


def test_finishing_one_file_keeps_what_its_sets_journal_still_needs(old_set):
    """A file of a set cut short (its journal is named after the set's first file) keeps its new temp for the
    journal: the next sweep still finishes the set whole."""
    _killed_while_publishing(old_set, kill_at_replace=3)  # the video renamed, the .srt and .vtt not yet
    assert finish_interrupted(old_set / "v.srt") == ([], [])
    finished, _ = sweep_temp(old_set)
    assert len(finished) == 1 and _contents(old_set) == {n: f"new {n}" for n in NAMES}
