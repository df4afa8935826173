"""A chapter rendered beat by beat: each beat's clip is keyed by what it depends on, so an edit re-renders
only the beats it changed. (``split_jobs`` can cut a chapter's stale beats into jobs for several processes;
the build does not yet, see diffusion_journey.build_graph.)

    1. plan: the whole scene runs once with every animation skipped (no frame drawn, a few seconds) on the
       voiced timeline. That gives each beat's start, length, the state it starts from (scenes.beat_state)
       and the data it reads; the layout check and the sync audit run in the same pass.
    2. keys: a beat's key is the scene's code (and every project module it imports), the quality, Manim's
       version, the beat's own speech timing, where in a frame (or how late) it starts, its starting state
       and its data. A beat after an edited one keeps its clip when the edit moved it by whole frames.
    3. render: beats whose keyed clip is missing are rendered as Manim sections of a run in which every other
       beat is skipped (reached without drawing); contiguous runs of them make one render job.
    4. join: the beats' clips are joined by ffmpeg's concat demuxer (streams copied) into the silent chapter.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from manim import tempconfig

from journey_base.chapters import Chapter, load_module
from journey_base.facts import lookup_fact
from journey_base.files import atomic_write_bytes, temp_dir
from journey_base.freshness import stage_key
from journey_base.paths import BUILD
from scenes.beats import ChapterScene

from .config import QUALITIES
from .taskgraph import WORKER_ENV

BEATS_DIR = "beats"  # work folder/beats/<chapter>/: one clip per beat, named by its key


@dataclass(frozen=True)
class BeatPlan:
    index: int  # 0 is the opening
    cue: str
    start: float  # scene time at which the beat starts
    seconds: float
    key: str
    clip: Path

    @property
    def drawn(self) -> bool:
        """A beat that lasts no frame has no clip (Manim drops an empty section)."""
        return self.seconds > 0.0


def scene_class(chapter: Chapter) -> type[ChapterScene]:
    import inspect

    module = load_module(chapter.scene_file, f"scenes.ch{chapter.id}")
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, ChapterScene) and obj.__module__ == module.__name__]
    if len(found) != 1:
        raise RuntimeError(f"{chapter.scene_file}: expected exactly one ChapterScene subclass, found {len(found)}")
    return found[0]


def manim_settings(quality: str, output_file: str, progress: str = "display") -> dict:
    # Our own keys decide what to re-render, so Manim's per-animation cache (slow to hash images) is off.
    return {"quality": QUALITIES[quality][0], "media_dir": str(BUILD / "media"), "output_file": output_file,
            "disable_caching": True, "progress_bar": progress, "verbosity": "WARNING", "format": "mp4",
            "write_to_movie": True, "save_last_frame": False, "preview": False, **text_caches()}


def text_caches() -> dict:
    """Where Manim keeps the SVGs of typeset text and TeX. Shared by the runs of one process; a worker of
    the task graph has its own (several processes writing one cache race: a file read while another
    process replaces it), removed by ``remove_worker_caches`` when the build ends."""
    if not os.environ.get(WORKER_ENV):
        return {"text_dir": str(BUILD / "media" / "texts"), "tex_dir": str(BUILD / "media" / "Tex")}
    own = BUILD / "media" / f"{WORKER_CACHE_PREFIX}{os.getpid()}"
    for name in ("texts", "Tex"):  # seeded from the shared cache: the same SVGs give the same geometry
        if not (own / name).exists() and (BUILD / "media" / name).is_dir():
            shutil.copytree(BUILD / "media" / name, own / name, dirs_exist_ok=True)
    return {"text_dir": str(own / "texts"), "tex_dir": str(own / "Tex")}


WORKER_CACHE_PREFIX = "worker-"


def remove_worker_caches() -> None:
    for folder in (BUILD / "media").glob(f"{WORKER_CACHE_PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)


# --- 1. plan ------------------------------------------------------------------------------------------
def dry_run(chapter: Chapter, quality: str, timeline: dict | None = None, layout_check: bool = True) -> ChapterScene:
    """The scene on its voiced timeline (or ``timeline``) with every animation jumping to its end. At the
    render's own frame rate, since waits shorter than a frame are skipped."""
    with tempconfig({"dry_run": True, "quality": QUALITIES[quality][0], "media_dir": str(BUILD / "media"),
                     "disable_caching": True, "progress_bar": "none", "verbosity": "WARNING", **text_caches()}):
        scene = scene_class(chapter)(timeline=timeline, skip_animations=True, layout_check=layout_check)
        scene.render()
    return scene


# --- 2. keys ------------------------------------------------------------------------------------------
def plan_beats(chapter: Chapter, quality: str, scene: ChapterScene) -> list[BeatPlan]:
    """Each beat's key and clip path, from a scene that has run (``dry_run``)."""
    files = scene.data.manifest.get("files", {})
    starts = list(scene.segment_starts) + [float(scene.renderer.time)]
    segments = scene.timeline["segments"]
    last = len(scene.beat_starts) - 1
    settings = {k: v for k, v in manim_settings(quality, "").items() if k not in ("media_dir", "output_file")}
    common = dict(code=[chapter.scene_file], settings=settings, manim=importlib.metadata.version("manim"),
                  title=scene.timeline["title"])
    plans = []
    for i, start in enumerate(scene.beat_starts):
        reads = sorted([kind, name, files.get(f"{name}.npy") if kind == "array" else lookup_fact(scene.data.facts, name)]
                       for kind, name in start["reads"])
        key = stage_key(**common, beat=[i, start["cue"]], state=start["state"], phase=start["phase"],
                        speech=segments[i], reads=reads, tail=scene.tail if i == last else 0.0)
        seconds = round(starts[i + 1] - starts[i], 6)
        clip = beats_folder(chapter, quality) / f"{i:02d}_{start['cue']}.{key}.mp4"
        plans.append(BeatPlan(i, start["cue"], starts[i], seconds, key, clip))
    return plans


def beats_folder(chapter: Chapter, quality: str) -> Path:
    return chapter.work_dir(quality) / BEATS_DIR / chapter.id


def stale(plans: list[BeatPlan], force: bool = False) -> list[BeatPlan]:
    return [p for p in plans if p.drawn and (force or not p.clip.exists())]


def split_jobs(todo: list[BeatPlan], parts: int) -> list[list[int]]:
    """Up to ``parts`` jobs of contiguous beats with about equal seconds of video each (a job reaches its
    first beat by skipping, which is cheap; drawing is what takes time)."""
    if not todo:
        return []
    total = sum(p.seconds for p in todo)
    jobs, done = [[]], 0.0
    for p in todo:
        if jobs[-1] and done >= total * len(jobs) / parts and len(jobs) < parts:
            jobs.append([])
        jobs[-1].append(p.index)
        done += p.seconds
    return jobs


# --- 3. render ------------------------------------------------------------------------------------------
def render_beat_clips(chapter_id: str, quality: str, beats: list[int], clips: dict[int, str],
                      timeline: dict | None = None) -> dict[str, bytes]:
    """Render ``beats`` of a chapter (every other beat skipped), on its voiced timeline or ``timeline``
    (the one its plan was made on), and return each one's clip as
    {path relative to build/: bytes}; the caller writes them (atomically) where they belong.
    Runs in its own Manim media folder, so that jobs running at the same time never share partial files."""
    chapter = Chapter(chapter_id)
    media = temp_dir(BUILD / "media" / chapter_id)
    try:
        settings = dict(manim_settings(quality, chapter_id, progress="none"), media_dir=str(media),
                        save_sections=True)
        with tempconfig(settings):
            scene = scene_class(chapter)(timeline=timeline, render_beats=set(beats), layout_check=False)
            scene.render()
            sections = Path(scene.renderer.file_writer.sections_output_dir)
        produced = {}
        for index_file in sections.glob("*.json"):
            for entry in json.loads(index_file.read_text()):
                k = int(entry["name"].split("_", 1)[0])
                if k in clips:
                    produced[clips[k]] = (sections / entry["video"]).read_bytes()
        missing = sorted(set(beats) - {k for k, rel in clips.items() if rel in produced})
        if missing:
            raise RuntimeError(f"{chapter.scene_file}: rendering beats {beats} gave no clip for beat(s) {missing}")
        return produced
    finally:
        shutil.rmtree(media, ignore_errors=True)


def write_produced(produced: dict[str, bytes]) -> None:
    for rel, data in produced.items():
        atomic_write_bytes(BUILD / rel, data)


def clip_paths(plans: list[BeatPlan], beats: list[int]) -> dict[int, str]:
    return {p.index: str(p.clip.relative_to(BUILD)) for p in plans if p.index in beats}


# --- 4. join ---------------------------------------------------------------------------------------------
def remove_stale_clips(chapter: Chapter, quality: str, keep: set[str]) -> int:
    """Clips of this chapter not named in ``keep`` (an older edit's); returns how many were removed."""
    folder = beats_folder(chapter, quality)
    old = [f for f in folder.glob("*.mp4") if f.name not in keep] if folder.exists() else []
    for f in old:
        f.unlink(missing_ok=True)
    return len(old)

