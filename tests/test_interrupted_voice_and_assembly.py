"""Real runs of the voice stage and of assembly killed with SIGKILL (the whole process group: no handler, no
cleanup, ffmpeg children too): what the previous run made stays whole and usable, no half-written file sits
under a final name, and the next run completes. A small chapter scaffolded by `new` into a copy of the tree,
with a build folder of its own: its data on the tiny config, its real Kokoro voice (four sentences), a real
render at -ql, and the full video assembled from it (see tests/test_interrupted_runs.py for the data stage and
tests/test_video_graph.py for a render killed mid-build)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diffusion_journey import scaffold
from diffusion_journey.media import probe
from diffusion_journey.voice import mix_timeline, read_wav
from journey_base.paths import ROOT

# The limits only catch a hang: on 2 idle cores the module takes minutes; on cores shared with a build, hours.
pytestmark = [pytest.mark.render, pytest.mark.timeout(4 * 3600)]
CH, TITLE = "13_killed_runs", "Can a run be killed?"
# The same cues (so the scene still fits) and the measured sentence as before; every other sentence new, so that
# re-voicing takes one clip after another, each a second or more of Kokoro: a wide window to kill in.
REVOICED = f"""@title {TITLE}
A new opening sentence, voiced after the first run. Then a second new sentence follows it.

[[question]] The question, now in other words. And one more sentence to voice here.

[[measure]] The data stage drew <samples>{{measure.samples}} numbers, and their spread came out at <spread>{{measure.spread}}.

[[closing]] A closing line, voiced anew. And the very last sentence of the chapter.
"""


def _env(build):
    return dict(os.environ, DIFFUSION_JOURNEY_BUILD=str(build))


def _cli(project, build, *args):
    return subprocess.run([sys.executable, "-m", "diffusion_journey", *args], cwd=project, env=_env(build),
                          text=True, capture_output=True, timeout=2 * 3600)


def _video_args(build):
    return ["video", "-q", "l", "--chapters", "13", "-j", "1", "-o", str(build / "video" / "full.mp4")]


@pytest.fixture(scope="module")
def built(copy_tree, tmp_path_factory):
    """The project copy with the scaffolded chapter, and a build folder holding its data, voice, render, course
    clip and full video from one completed run."""
    project = copy_tree(tmp_path_factory.mktemp("tree"))
    (project / "models").symlink_to(ROOT / "models")
    shutil.copy(ROOT / "credits.toml", project / "credits.toml")  # the end card's
    scaffold.new_chapter(CH, title=TITLE, root=project)
    experiment = project / "render_data" / "experiments" / f"{CH}.py"
    experiment.write_text(experiment.read_text() + "\nCONFIG = TINY_CONFIG\n")
    # DJ_TEST_BUILD=<folder> (see conftest.py) keeps this build there: a second session reuses its voice and render.
    kept = os.environ.get("DJ_TEST_BUILD")
    build = Path(kept) / "interrupted_voice_and_assembly" if kept else tmp_path_factory.mktemp("build")
    first = _cli(project, build, *_video_args(build))
    assert first.returncode == 0, first.stdout + first.stderr
    timeline = json.loads((build / "audio" / CH / "timeline.json").read_text())
    assert timeline["engine"] == "kokoro" and len(timeline["sentences"]) == 4
    return project, build


@pytest.fixture
def project(built, tmp_path):
    """A copy of both, for one test to edit and kill runs in."""
    project, build = built
    shutil.copytree(project, tmp_path / "tree", symlinks=True)
    shutil.copytree(build, tmp_path / "build", symlinks=True)
    return tmp_path / "tree", tmp_path / "build"


def _kill_when(cmd, project, build, reached, what: str) -> subprocess.Popen:
    """Start the CLI in a session of its own, wait (bounded) until ``reached()`` says it got to the stage, then
    SIGKILL its whole process group (it and its ffmpeg children, as a power cut would)."""
    proc = subprocess.Popen([sys.executable, "-m", "diffusion_journey", *cmd], cwd=project, env=_env(build),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 3600  # the CLI's imports and the voice's loading take a while on busy cores
        while not reached():
            assert proc.poll() is None, f"the run ended (status {proc.returncode}) before {what}: nothing was killed"
            assert time.monotonic() < deadline, f"the run never reached {what}"
            time.sleep(0.01)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # only ever the group of the process this test started
        except ProcessLookupError:
            pass
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended by itself (status {proc.returncode})"
    return proc


def _final_names(folder, suffix):
    return [p for p in folder.rglob(f"*{suffix}") if not p.name.startswith(".dj-")]


def _no_leftovers(build):
    assert not [p for p in build.rglob(".dj-*") if "media" not in p.relative_to(build).parts]


# --- the voice stage ---------------------------------------------------------------------------------------------
def test_kill_9_mid_voice_keeps_the_previous_timeline_and_the_next_run_completes(project):
    project, build = project
    audio, cache = build / "audio" / CH, build / "audio" / "cache"
    timeline_file, record = audio / "timeline.json", audio / "voice.json"
    before = {p: p.read_bytes() for p in (timeline_file, record)}
    old_clips = {p.name for p in cache.glob("*.wav")}
    (project / "narration" / f"{CH}.txt").write_text(REVOICED)

    def new_clip():
        return [p for p in cache.glob("*.wav") if p.name not in old_clips and not p.name.startswith(".dj-")]

    _kill_when(["voice", "13"], project, build, lambda: bool(new_clip()), "its first new clip")
    killed_with = new_clip()
    # The previous timeline and its record are untouched, and still usable: every clip it names is whole.
    assert {p: p.read_bytes() for p in before} == before
    old = json.loads(timeline_file.read_text())
    starts = [sum(s["duration"] for s in old["segments"][:k]) for k in range(len(old["segments"]))]
    mixed = mix_timeline(old, starts, old["length"], cache)
    assert mixed.duration > 5 and abs(mixed.samples).max() > 3000
    # Nothing under a final name is half written: each clip reads as audio, each word list as JSON.
    for wav in _final_names(cache, ".wav"):
        assert read_wav(wav).duration > 0, wav
    for words in _final_names(cache, ".words.json"):
        assert json.loads(words.read_text())["bounds"], words

    made_before_the_kill = {p: p.stat().st_mtime_ns for p in killed_with}
    again = _cli(project, build, "voice", "13")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"[voice] {CH}: 7 sentences" in again.stdout, again.stdout
    timeline = json.loads(timeline_file.read_text())
    assert timeline["sentences"][0] == "A new opening sentence, voiced after the first run."
    # The clip voiced before the kill is reused, not voiced again; the measured sentence's clip too.
    voiced = {c["wav"] for s in timeline["segments"] for c in s["clips"]}
    assert {p.name for p in killed_with} <= voiced and voiced & old_clips
    assert {p: p.stat().st_mtime_ns for p in killed_with} == made_before_the_kill
    _no_leftovers(build)
    # and that timeline is the one a render now reads: the next run is up to date
    assert "[voice]" not in _cli(project, build, "voice", "13").stdout


# --- assembly: the chapter's mix, loudness pass and mux, then the full video --------------------------------------
def _video_set(build):
    out = build / "video" / "full.mp4"
    return {p: p.read_bytes() for p in (out, out.with_suffix(".srt"), out.with_suffix(".vtt"),
                                        out.with_suffix(".chapters.vtt"))}


@pytest.mark.parametrize("stage", ["mix", "join"])
def test_kill_9_mid_assembly_keeps_the_previous_video_and_the_next_run_finishes(project, stage):
    """Killed while the chapter's narration is mixed, normalised and muxed ("mix": its narration track was just
    rewritten), or while the full video is joined and published ("join": its joined scratch file exists)."""
    project, build = project
    work = build / "video" / "work" / "l"
    videos = _video_set(build)
    records = {p: p.read_bytes() for p in (work / "full.video.json", work / f"{CH}.clip.json")}
    clip = build / "video" / "chapters" / "l" / f"{CH}.mp4"
    clip_before = clip.read_bytes()
    # Assembly's code changed (a comment): the chapter's clip and the full video are made again, nothing else.
    pipeline = project / "diffusion_journey" / "pipeline.py"
    pipeline.write_text(pipeline.read_text() + "\n# edited by a test: assembly runs again\n")
    narration = work / f"{CH}.narration.wav"
    track = narration.stat().st_ino

    def reached():
        if stage == "mix":
            return narration.stat().st_ino != track  # replaced by the new mix (a rename: a new inode)
        return bool(list(work.glob(".dj-tmp-*-full.av.mp4.*")))

    _kill_when(_video_args(build), project, build, reached, f"the {stage} step")
    # The previous full video and its subtitles are byte for byte what they were; its record too.
    assert _video_set(build) == videos
    assert (work / "full.video.json").read_bytes() == records[work / "full.video.json"]
    if stage == "mix":  # killed before the chapter's clip was published: the old clip stays, with its record
        assert (work / f"{CH}.clip.json").read_bytes() == records[work / f"{CH}.clip.json"]
        assert clip.read_bytes() == clip_before
    for mp4 in _final_names(build / "video", ".mp4"):  # nothing half written under a final name
        assert float(probe(mp4)["format"]["duration"]) > 0, mp4

    again = _cli(project, build, *_video_args(build))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[audio]" in again.stdout and f"[scene] {CH} @480p15: up to date" in again.stdout, again.stdout
    assert ("[clip]" in again.stdout) == (stage == "mix")  # the join kill came after the clip was made
    assert (work / "full.video.json").read_bytes() != records[work / "full.video.json"]  # made by the new code
    info = probe(build / "video" / "full.mp4")
    assert [c["tags"]["title"] for c in info["chapters"]] == [f"13 {TITLE}", "Credits"]
    assert float(info["format"]["duration"]) == pytest.approx(float(probe(clip)["format"]["duration"]) + float(
        probe(work / "end_card.av.mp4")["format"]["duration"]), abs=0.5)
    _no_leftovers(build)
