"""`new`: a scaffolded chapter (narration, scene, experiment) passes the real check as it is, takes its place in
the chapter order by its number, and a bad or taken id is refused in one line with nothing written. Always in a
copy of the tree: never the checkout."""

import json
import os
import subprocess
import sys

import pytest

from diffusion_journey import scaffold
from diffusion_journey.cli import main
from journey_base import chapters
from journey_base.paths import ROOT

NEW = "13_latent_space"
PARTS = ("narration", "scenes", "render_data/experiments")


def _files(tree):
    """Every file of the three chapter folders, with its bytes (what a refused `new` must leave alone)."""
    return {str(p.relative_to(tree)): p.read_bytes() for part in PARTS for p in sorted((tree / part).iterdir())
            if p.is_file()}


@pytest.fixture(scope="module")
def untouched(copy_tree, tmp_path_factory):
    """A copy that the refusal tests only read (they check that it stays as it is)."""
    return copy_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture
def in_copy(tree_copy, monkeypatch):
    """The chapter folders of a fresh copy stand in for the checkout's (for in-process CLI runs)."""
    monkeypatch.setattr(chapters, "NARRATION_DIR", tree_copy / "narration")
    monkeypatch.setattr(chapters, "SCENES_DIR", tree_copy / "scenes")
    monkeypatch.setattr(chapters, "EXPERIMENTS_DIR", tree_copy / "render_data" / "experiments")
    return tree_copy


@pytest.mark.timeout(3600)  # seconds of work (data, check, layout pass); far longer only on cores a build holds
def test_a_new_chapter_passes_the_real_check(in_copy, tmp_path, capsys):
    tree = in_copy
    main(["new", NEW, "--title", "What is a latent?"])
    said = capsys.readouterr().out
    assert f"[new]   {NEW}: 'What is a latent?', beats question, measure, closing; plays after 12_full_journey" in said
    assert [c.id for c in chapters.all_chapters()][-2:] == ["12_full_journey", NEW]  # its number is its place
    assert chapters.get_chapter("13").id == NEW
    assert not [p for part in PARTS for p in (tree / part).glob(".dj-*")]  # no temp file left
    experiment = tree / "render_data" / "experiments" / f"{NEW}.py"
    experiment.write_text(experiment.read_text() + "\nCONFIG = TINY_CONFIG\n")  # the tests' small run
    # The real check, as a user runs it, in the copy (its own code) with a build folder of its own: the data
    # stage for this chapter alone, then narration and scene against the data, and the layout check.
    build = tmp_path / "build"
    proc = subprocess.run([sys.executable, "-m", "diffusion_journey", "check", "--layout", "13"], cwd=tree,
                          env=dict(os.environ, DIFFUSION_JOURNEY_BUILD=str(build)), capture_output=True, text=True,
                          timeout=3000)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"[data]  {NEW}: computed" in proc.stdout and f"[check] {NEW}: ok" in proc.stdout, proc.stdout
    manifest = json.loads((build / "data" / NEW / "manifest.json").read_text())
    assert manifest["config"]["samples"] == 50 and manifest["model"] is None  # the copy's tiny run, no model
    assert sorted(manifest["files"]) == ["facts.json", "values.npy"]


def test_the_name_alone_takes_the_number_after_the_last_chapter(untouched):
    new = scaffold.plan_chapter("latent_space", root=untouched)
    assert new.id == NEW and new.after == "12_full_journey" and new.before is None
    assert scaffold.plan_chapter("20_far_away", root=untouched).after == "12_full_journey"


@pytest.mark.parametrize("args, message", [
    (["13-latent"], "bad chapter id '13-latent': use NN_name, two digits (its place in the video)"),
    (["13_Latent"], "bad chapter id '13_Latent'"),
    (["1_latent"], "bad chapter id '1_latent'"),
    (["13_"], "bad chapter id '13_'"),
    (["00_zero"], "chapter numbers start at 01"),
    (["05_compass"], "chapter 05_compass already exists ("),
    (["5_compass"], "bad chapter id '5_compass'"),
    (["05_other"], "chapter number 05 is taken by 05_compass (a chapter's number is its place in the video); "
                   "the next free number is 13"),
    ([NEW, "--cues", "question,Big"], "bad cue name 'Big'"),
    ([NEW, "--cues", "intro,class"], "bad cue name 'class'"),
    ([NEW, "--cues", "intro,play"], "cue 'play' is a name the scene already uses"),
    ([NEW, "--cues", "intro,data"], "cue 'data' is a name the scene already uses"),  # set by setup()
    ([NEW, "--cues", "intro,intro"], "cue 'intro' is given twice"),
])
def test_a_bad_or_taken_id_is_refused_in_one_line_and_nothing_is_written(untouched, monkeypatch, capsys, args,
                                                                          message):
    monkeypatch.setattr(chapters, "NARRATION_DIR", untouched / "narration")
    monkeypatch.setattr(chapters, "SCENES_DIR", untouched / "scenes")
    monkeypatch.setattr(chapters, "EXPERIMENTS_DIR", untouched / "render_data" / "experiments")
    before = _files(untouched)
    with pytest.raises(SystemExit) as exit_info:
        main(["new", *args])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()  # one line, no traceback
    assert line.startswith("error: ") and message in line, line
    assert out == "" and _files(untouched) == before


def test_a_file_in_the_way_is_never_overwritten(in_copy):
    tree = in_copy
    scene = tree / "scenes" / f"{NEW}.py"
    scene.write_text("# someone's own work\n")
    before = _files(tree)
    with pytest.raises(scaffold.ScaffoldError, match=f"scenes/{NEW}.py already exists, though there is no chapter"):
        scaffold.new_chapter(NEW, root=tree)
    assert _files(tree) == before


def test_a_failed_write_leaves_nothing_half_made(in_copy, monkeypatch):
    """The narration (the file that makes a chapter) is renamed into place last; when that fails, the scene and
    experiment already renamed are removed again, and no temp file stays."""
    tree = in_copy
    before = _files(tree)
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(".txt"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(scaffold.os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        scaffold.new_chapter(NEW, root=tree)
    assert _files(tree) == before


def test_an_interrupted_new_is_finished_by_running_it_again(in_copy):
    """A kill among the renames leaves the scene and the experiment but no narration (so no chapter): the same
    `new` again finds its own files and writes the narration."""
    tree = in_copy
    planned = scaffold.plan_chapter(NEW, root=tree)
    for path, text in list(planned.files.items())[:2]:
        path.write_text(text)
    assert NEW not in [c.id for c in chapters.all_chapters()]
    scaffold.new_chapter(NEW, root=tree)
    assert all(path.read_text() == text for path, text in planned.files.items())
    assert chapters.get_chapter(NEW).scene_file == tree / "scenes" / f"{NEW}.py"


def test_the_scaffold_is_lint_clean(in_copy):
    scaffold.new_chapter(NEW, root=in_copy, cues=["intro", "measure_it", "closing"])
    written = [in_copy / "scenes" / f"{NEW}.py", in_copy / "render_data" / "experiments" / f"{NEW}.py"]
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
                           *map(str, written)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
