"""``make video`` as a graph of tasks, run on all cores (diffusion_journey.taskgraph) or on a Ray cluster.

    data NN -> voice NN -> plan NN -> render NN (its stale beats) -> join NN -> video

Each task skips what is fresh (the same keys as a serial build), so a rerun with nothing changed starts no
render at all. Workers return the files they make (relative to build/) and the driver writes them, so the
same tasks run on this machine's cores or on another machine's.
"""

from __future__ import annotations

from pathlib import Path

from journey_base.chapters import Chapter
from journey_base.paths import BUILD

from . import pipeline
from .beat_render import remove_worker_caches
from .taskgraph import Produced, Task, run_graph


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(BUILD)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def data_task(chapter_id: str) -> Produced:
    data = pipeline.make_data(Chapter(chapter_id))
    return Produced(files=_folder_files(data.folder))


def voice_task(chapter_id: str, engine_name: str | None) -> Produced:
    chapter = Chapter(chapter_id)
    timeline = pipeline.voice_chapter(chapter, pipeline.make_data(chapter).facts, engine_name=engine_name)
    clips = [pipeline.AUDIO_CACHE / c["wav"] for s in timeline["segments"] for c in s["clips"]]
    words = [c.with_suffix(".words.json") for c in clips]
    made = [chapter.timeline_file, chapter.timeline_file.with_name("voice.json"), *clips, *words]
    return Produced(files={str(p.relative_to(BUILD)): p.read_bytes() for p in made if p.exists()})


def plan_task(chapter_id: str, quality: str, parts: int, layout_check: bool) -> Produced:
    return Produced(files=pipeline.plan_render(chapter_id, quality, parts, layout_check))


def render_task(chapter_id: str, quality: str, job: int, layout_check: bool) -> Produced:
    return Produced(files=pipeline.render_job(chapter_id, quality, job, layout_check))


def video_graph(chapters: list[Chapter], quality: str, jobs: int, engine_name: str | None = None,
                layout_check: bool = True, finish=None) -> list[Task]:
    """The tasks of a full build. ``finish(chapter)`` runs in the driver once a chapter's beats are all
    rendered (it joins them and makes the chapter's clip); the caller assembles the video after."""
    tasks = []
    for ch in chapters:
        n = f"{ch.number:02d}"
        inputs = (BUILD / "data" / ch.id, ch.timeline_file)
        tasks.append(Task(f"data {n}", data_task, (ch.id,), cost=60.0))
        tasks.append(Task(f"voice {n}", voice_task, (ch.id, engine_name), deps=(f"data {n}",), cost=90.0,
                          inputs=inputs[:1]))
        # One render job per chapter: chapters render side by side. (Splitting a chapter's beats across
        # processes works, but a beat reached by skipping can still differ from a drawn one by a frame of
        # animation in chapter 01's heat beat; until that is found, a chapter's beats draw in one process.)
        tasks.append(Task(f"plan {n}", plan_task, (ch.id, quality, 1, layout_check), deps=(f"voice {n}",),
                          cost=10.0, inputs=inputs))
        parts = [Task(f"render {n}", render_task, (ch.id, quality, 0, layout_check), deps=(f"plan {n}",),
                      cost=120.0, inputs=(*inputs, ch.work_dir(quality) / f"{ch.id}.plan.json"))]
        tasks += parts
        if finish is not None:
            tasks.append(Task(f"join {n}", finish, (ch.id,), deps=tuple(t.name for t in parts), in_driver=True,
                              cost=5.0))
    return tasks


def build_chapters(chapters: list[Chapter], quality: str, jobs: int, executor: str = "local",
                   ray_address: str | None = None, engine_name: str | None = None,
                   layout_check: bool = True) -> list[tuple[pipeline.RenderedChapter, Path]]:
    """Data, voice, render and each chapter's clip for ``chapters``, as one graph; returns what
    pipeline.full_video assembles."""
    done: dict[str, tuple[pipeline.RenderedChapter, Path]] = {}
    tasks = video_graph(chapters, quality, jobs, engine_name, layout_check,
                        finish=_Finisher(quality, layout_check, done))
    try:
        run_graph(tasks, jobs=jobs, executor=executor, ray_address=ray_address, outputs=BUILD)
    finally:
        remove_worker_caches()
    return [done[ch.id] for ch in chapters]


class _Finisher:
    """The join task (in the driver): the beats joined, the chapter's clip mixed and published."""

    __name__ = "join"

    def __init__(self, quality: str, layout_check: bool, done: dict):
        self.quality, self.layout_check, self.done = quality, layout_check, done

    def __call__(self, chapter_id: str):
        chapter = Chapter(chapter_id)
        rendered = pipeline.finish_render(chapter, self.quality, self.layout_check)
        self.done[chapter_id] = (rendered, pipeline.chapter_clip(rendered, self.quality))
