"""VoicedScene: a Scene whose animations wait on the narration's cue marks.

The narration's speech between two cue marks is a *segment* with a known duration. Segment 0 starts
with the scene; ``wait_until("cue")`` holds the picture until the previous segment has been spoken,
then records when the cue was reached. If the animations ran long, the cue is reached late and its
speech starts late (never overlapping): assembly places each segment at the recorded time.
Editing a sentence changes a segment's duration, and so re-times the animation on the next render.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from manim import Scene

from journey_base.chapters import Chapter
from render_data.artifacts import ChapterData

from .house_style import BACKGROUND, use_house_tex


class CueError(RuntimeError):
    pass


class VoicedScene(Scene):
    #: The cue marks this scene waits on, in order. The narration script must mark exactly these.
    cues: tuple[str, ...] = ()
    #: Silence kept after the last segment (the voice stage already adds the chapter-end pause).
    tail: float = 0.0

    def setup(self):
        self.camera.background_color = BACKGROUND
        use_house_tex()
        self.chapter = Chapter(Path(inspect.getfile(type(self))).stem)
        self.data = ChapterData.load(self.chapter.id)
        self.facts = self.data.facts
        path = self.chapter.timeline_file
        if not path.exists():
            raise CueError(f"{path} missing: voice the narration first ('make data' then 'make scene')")
        self.timeline = json.loads(path.read_text())
        self._durations = [s["duration"] for s in self.timeline["segments"]]
        self._cue_names = [s["cue"] for s in self.timeline["segments"]]
        if tuple(self._cue_names[1:]) != tuple(self.cues):
            raise CueError(
                f"{self.chapter.narration.name} marks cues {self._cue_names[1:]} but {type(self).__name__} "
                f"waits on {list(self.cues)}; re-voice the narration ('make data')"
            )
        self.segment_starts: list[float] = [0.0]

    @property
    def now(self) -> float:
        return self.renderer.time

    def cue_time(self, cue: str) -> float:
        """When the voice reaches ``cue`` if no animation runs late from here on."""
        if cue not in self._cue_names[1:]:
            raise CueError(f"{type(self).__name__}: unknown cue '{cue}' (known: {', '.join(self.cues)})")
        target = self._cue_names.index(cue)
        k = len(self.segment_starts) - 1
        if target <= k:
            return self.segment_starts[target]
        return self.segment_starts[k] + sum(self._durations[k:target])

    def time_until(self, cue: str, minimum: float = 0.2) -> float:
        """Seconds left before ``cue``: a run_time budget that keeps the picture in step with the voice."""
        return max(minimum, self.cue_time(cue) - self.now)

    def time_until_end(self, minimum: float = 0.2) -> float:
        """Seconds of narration left after the last cue reached so far (assuming none runs late)."""
        k = len(self.segment_starts) - 1
        return max(minimum, self.segment_starts[k] + sum(self._durations[k:]) - self.now)

    def wait_until(self, cue: str) -> None:
        k = len(self.segment_starts)
        if k >= len(self._cue_names) or self._cue_names[k] != cue:
            expected = self._cue_names[k] if k < len(self._cue_names) else "none (all cues reached)"
            if cue not in self._cue_names[1:]:
                raise CueError(f"{type(self).__name__}: unknown cue '{cue}' (known: {', '.join(self.cues)})")
            raise CueError(f"{type(self).__name__}: wait_until('{cue}') out of order; next cue is {expected}")
        target = self.cue_time(cue)
        if self.now < target:
            self.wait(target - self.now)
        self.segment_starts.append(max(self.now, target))

    def tear_down(self):
        if len(self.segment_starts) != len(self._cue_names):
            missing = self._cue_names[len(self.segment_starts):]
            raise CueError(f"{type(self).__name__} ended without reaching cue(s) {', '.join(missing)}")
        end = self.segment_starts[-1] + self._durations[-1] + self.tail
        if self.now < end:
            self.wait(end - self.now)

    @property
    def narration_end(self) -> float:
        return self.segment_starts[-1] + self._durations[-1]
