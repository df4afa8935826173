"""A run killed with SIGKILL (no handler, no cleanup) leaves the previous outputs whole, and the next run
completes. Real CLI runs of ``data`` in a copy of the tree with a build folder of its own, on chapter 05's
tiny config (a few seconds of toy-model training: a wide window to kill in)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from journey_base.paths import ROOT

pytestmark = pytest.mark.slow
CH = "05_compass"
# The CLI, killed by SIGKILL right after the old data folder is moved aside, before the new one is moved in.
KILL_BETWEEN_RENAMES = """
import os, runpy, signal, sys
chapter, real_replace = sys.argv[1], os.replace
def replace(src, dst):
    real_replace(src, dst)
    if os.path.basename(src) == chapter:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
sys.argv = ["diffusion_journey", "data", chapter, "--force"]
runpy.run_module("diffusion_journey", run_name="__main__")
"""


@pytest.fixture(scope="module")
def built(copy_tree, tmp_path_factory):
    """The project copy, and a build folder holding chapter 05's data from one completed run."""
    project = copy_tree(tmp_path_factory.mktemp("tree"))
    (project / "models").symlink_to(ROOT / "models")
    experiment = project / "render_data" / "experiments" / f"{CH}.py"
    experiment.write_text(experiment.read_text() + "\nCONFIG = TINY_CONFIG\n")
    build = tmp_path_factory.mktemp("build")
    first = _run(project, build, "-m", "diffusion_journey", "data", CH)
    assert first.returncode == 0, first.stdout + first.stderr
    manifest = json.loads((build / "data" / CH / "manifest.json").read_text())
    assert manifest["config"]["train"]["steps"] == 300  # the copy's code ran, not the checkout's
    return project, build


@pytest.fixture
def project(built, tmp_path):
    project, build = built
    shutil.copytree(build, tmp_path / "build")
    return project, tmp_path / "build"


def _env(build):
    return dict(os.environ, DIFFUSION_JOURNEY_BUILD=str(build))


def _run(project, build, *args):
    return subprocess.run([sys.executable, *args], cwd=project, env=_env(build), text=True, capture_output=True,
                          timeout=600)


def _contents(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _next_run_reuses_the_data(project, build) -> str:
    again = _run(project, build, "-m", "diffusion_journey", "data", CH)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"[data]  {CH}: up to date" in again.stdout, again.stdout
    assert not list((build / "data").glob(".dj-*"))  # nothing of the killed run is left
    return again.stdout


def test_kill_9_mid_run_keeps_the_previous_data(project):
    project, build = project
    data = build / "data"
    before = _contents(data / CH)
    proc = subprocess.Popen([sys.executable, "-m", "diffusion_journey", "data", CH, "--force"], cwd=project,
                            env=_env(build), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300  # the CLI's imports take a while on a busy machine
        while not (temps := list(data.glob(f".dj-tmp-{proc.pid}-{CH}.*"))):
            assert proc.poll() is None and time.monotonic() < deadline, "the run never started its experiment"
            time.sleep(0.01)
        time.sleep(1.0)  # into the toy model's training (seconds), well before the data is written
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        proc.kill()  # only ever the process this test started; a no-op once it has ended
    assert temps[0].exists() and _contents(data / CH) == before
    out = _next_run_reuses_the_data(project, build)
    assert "[clean] removed 1 temp file(s) of interrupted runs" in out
    assert _contents(data / CH) == before


def test_kill_9_between_the_two_renames_is_recovered(project):
    project, build = project
    folder = build / "data" / CH
    killed = _run(project, build, "-c", KILL_BETWEEN_RENAMES, CH)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert not folder.exists()  # the old folder moved aside, the new one not yet in place
    out = _next_run_reuses_the_data(project, build)  # the finished new data is put in place, not recomputed
    assert "[clean] finished publishing an interrupted set" in out
    files = json.loads((folder / "manifest.json").read_text())["files"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*files, "manifest.json"])
