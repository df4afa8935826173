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


@pytest.mark.parametrize("command", [[], ["list"], ["check"], ["data"], ["voice"], ["scene"], ["video"]])
def test_every_command_has_help(command):
    proc = run_cli(*command, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout


def test_unknown_chapter_lists_valid_ids():
    proc = run_cli("data", "99_nope")
    assert proc.returncode == 2
    assert "unknown chapter '99_nope'" in proc.stderr and "01_possible_images" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_chapter_by_number():
    assert chapters.get_chapter("1").id == chapters.get_chapter("01_possible_images").id


def _broken_copy(tmp_path, monkeypatch, old, new):
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
        main(["check", "01"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}:{line}: ") and message in err
    assert "\n" not in err


def test_missing_tool_names_the_package(monkeypatch):
    from diffusion_journey.tools import MissingToolError, require_tool

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingToolError, match="Debian package 'ffmpeg'"):
        require_tool("ffprobe", package="ffmpeg")
