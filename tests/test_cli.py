import shutil
import subprocess
import sys

import pytest

from journey_base import chapters
from journey_base.paths import ROOT
from diffusion_journey.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "diffusion_journey", *args], capture_output=True, text=True,
                          cwd=ROOT)


HELP = {  # what each --help must explain: what the command does and the options a user reaches for
    "": ["list", "new", "check", "data", "voice", "scene", "video", "review", "course",
         "stages (data flows one way): data -> voice -> scene -> video", "build/video/diffusion-journey.mp4",
         "Chapters are named by id (01_possible_images) or number (01)"],
    "list": ["list the chapters and their titles"],
    "new": ["scaffold a new chapter", "which 'check' accepts", "NN_name", "its place in the video", "--title", "--cues",
            "narration/13_latent_space.txt", "scenes/13_latent_space.py", "render_data/experiments/13_latent_space.py",
            "TINY_CONFIG", "exit status 2", "nothing is written"],
    "check": ["narration and scene against the data", "--layout", "CHAPTER", "chapter ids or numbers (default: all)"],
    "data": ["compute chapter data into build/data", "--force", "recompute even if fresh", "CHAPTER"],
    "voice": ["voice the narration offline into build/audio", "--voice-engine", "piper: the fast draft voice"],
    "scene": ["render one chapter, voiced and subtitled", "-q", "l = 480p15 preview", "h = 1080p60", "--force",
              "--no-layout-check", "--voice-engine"],
    "video": ["build the whole narrated video with subtitles and chapter markers", "--chapters", "--output",
              "--no-layout-check", "m = 720p30"],
    "review": ["quality report of a built video", "subtitle rules", "loudness", "--json"],
    "course": ["the course site", "transcript that seeks", "--screenshots", "--force", "build/course"],
}


@pytest.mark.parametrize("command", HELP)
def test_every_command_has_help(command):
    proc = run_cli(*([command] if command else []), "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: diffusion-journey")
    shown = " ".join(proc.stdout.split())  # argparse wraps lines to the terminal
    assert [phrase for phrase in HELP[command] if phrase not in shown] == []


def test_unknown_chapter_lists_valid_ids():
    proc = run_cli("data", "99_nope")
    assert proc.returncode == 2
    assert "unknown chapter '99_nope'" in proc.stderr and "01_possible_images" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_chapter_by_number():
    assert chapters.get_chapter("1").id == chapters.get_chapter("01_possible_images").id


def _broken_copy(tmp_path, monkeypatch, old, new):
    for other in (ROOT / "narration").glob("*.txt"):
        shutil.copy(other, tmp_path / other.name)
    src = ROOT / "narration" / "01_possible_images.txt"
    text = src.read_text()
    assert old in text
    (tmp_path / src.name).write_text(text.replace(old, new, 1))
    monkeypatch.setattr(chapters, "NARRATION_DIR", tmp_path)
    line = text[: text.index(old)].count("\n") + 1
    return tmp_path / src.name, line


@pytest.mark.parametrize("old, new, message", [
    ("{atoms.layers}", "{atoms.layerz}", "unknown placeholder {atoms.layerz}"),
    ("[[heat]]", "[[hot]]", "unknown cue [[hot]]"),
    ("[[nesting]]", "[[nesting", "unclosed cue mark"),
])
def test_bad_narration_is_one_line_with_file_and_line(tmp_path, monkeypatch, capsys, old, new, message):
    path, line = _broken_copy(tmp_path, monkeypatch, old, new)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "01", "03"])  # both are checked: the good one passes, the broken one is named
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert "03_anatomy: ok" in out and "01_possible_images: 1 problem(s)" in out
    (problem,) = [line for line in err.splitlines() if str(path) in line]  # one line per problem
    summary = err.strip().splitlines()[-1]
    assert problem.strip().startswith(f"{path}:{line}: ") and message in problem
    assert summary == "error: 1 chapter(s) failed the check"


# video with -j 1: the narration folder is moved by a monkeypatch, which a worker process would not see.
@pytest.mark.parametrize("command", [["voice", "01"], ["scene", "01", "-q", "l"], ["video", "--chapters", "01", "-j", "1"]])
def test_bad_narration_stops_voice_scene_and_video_in_one_line(tmp_path, monkeypatch, capsys, command):
    path, line = _broken_copy(tmp_path, monkeypatch, "{atoms.layers}", "{atoms.layerz}")
    timeline = chapters.get_chapter("01").timeline_file
    voiced_before = timeline.stat().st_mtime_ns if timeline.exists() else None
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    (only,) = err.splitlines()  # one line: no traceback, no second message
    assert only.startswith(f"error: {path}:{line}: ") and "unknown placeholder {atoms.layerz}" in only
    assert (timeline.stat().st_mtime_ns if timeline.exists() else None) == voiced_before  # nothing voiced


def test_missing_tool_names_the_package(monkeypatch):
    from diffusion_journey.tools import MissingToolError, require_tool

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingToolError, match="Debian package 'ffmpeg'"):
        require_tool("ffprobe", package="ffmpeg")
