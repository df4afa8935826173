"""Chapters as beats: one method per narration cue, each with its time budget taken from the voiced timeline.

    class NoiseToImage(ChapterScene):
        @beat
        def prompt(self, b):
            self.prompt_box = PromptBox(self.fact("run.prompt"))
            b.play(Create(self.prompt_box))          # the house pace, shortened if the voice is quicker
        @beat
        def walk(self, b):
            b.fill(self.k.animate.set_value(29))      # lasts until the voice reaches the next cue
        @beat
        def jump(self, b):
            b.at("off by")                            # waits for the voice to say these words
            b.play(FadeIn(self.miss))
            b.fill(self.k.animate.set_value(9), until="<quarter>")  # runs until the word mark <quarter>

The beats run in the order they are defined; their names are the cue marks the narration script must
use, in that order (``make check`` compares them). The speech before the first cue is the opening: the
chapter's question on a title card, held for as long as that speech lasts. Beat k starts when the voice
reaches cue k (if the previous beat ran long, the voice waits: assembly places each segment at the time
the scene actually reached its cue) and ends when the voice reaches cue k+1. Objects that live across
beats are attributes of the scene.

Within a beat, ``b.at(words)`` waits until the voice reaches ``words`` (a word or a few words of the beat's
speech, matched without case or punctuation; each is looked for after the words already waited for, so
the same word again means its next saying) or a word mark ``"<name>"`` placed in the narration text (never
spoken nor subtitled: for a figure filled in from the data, or a word said twice). ``b.fill(..., until=...)``
runs an animation until then, so the picture moves while the voice gets there. The times are the voice's
own word times from the voiced timeline. ``make check`` fails, naming the scene line and the narration
line, when a beat waits for words its speech does not say.

Facts and arrays are read with ``self.fact("group.name")`` and ``self.array("name")``: ``make check`` finds
those calls and checks them against the chapter's data.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
from manim import Scene

from journey_base.chapters import Chapter
from journey_base.facts import lookup_fact
from journey_base.files import shown
from render_data.artifacts import ChapterData

from . import layout
from .beat_state import state_digest
from .pieces import TitleCard
from .style import BACKGROUND, Pace, use_house_tex

# Attributes Manim's Scene sets while it plays (animations, time progression, ...): not the chapter's state,
# and names a beat must not take (the scaffold refuses them).
SCENE_INTERNALS = frozenset(re.findall(r"self\.(\w+)\s*[:=]", inspect.getsource(Scene)))

MIN_RUN = 0.25  # an animation squeezed by an overrunning beat still shows as motion, not a jump


class CueError(RuntimeError):
    pass


class SceneDataError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def beat(method):
    """Mark a ChapterScene method as the beat that starts at the narration cue of the same name."""
    method.is_beat = True
    return method


def spoken_form(word: str) -> str:
    """A word as ``b.at`` matches it: lower case, without the punctuation around it ('Death,' -> 'death')."""
    return word.strip(PUNCTUATION).lower()


PUNCTUATION = "\"'.,:;!?()[]\u201c\u201d\u2018\u2019\u2014\u2013-"


class Beat:
    """The time between two cues, the words spoken in it, and animations that take their length from both."""

    def __init__(self, scene: "ChapterScene", cue: str | None, end: float, speech: dict):
        self.scene, self.cue, self.start, self.end = scene, cue, scene.now, end
        clips = speech.get("clips", [])
        self.line = clips[0].get("line") if clips else None  # where the beat's speech starts in the narration
        # (spoken form, seconds from the beat's start) of each word, and of each word mark
        self.words = [(spoken_form(w), c["offset"] + a) for c in clips for w, a, _ in c["words"]]
        self.marks = {name: c["offset"] + t for c in clips for name, t in c.get("marks", [])}
        self.said_up_to = 0  # words before this index were already waited for

    def when(self, words: str) -> float:
        """The scene time at which the voice reaches ``words`` (or the word mark ``"<name>"``); raises
        CueError, naming the scene line and the narration line, when the beat's speech does not say them."""
        if words.startswith("<") and words.endswith(">") and words[1:-1] in self.marks:
            offset = self.marks[words[1:-1]]
            self.said_up_to = next((i for i, (_, t) in enumerate(self.words) if t >= offset), len(self.words))
            return self.start + offset
        wanted = [spoken_form(w) for w in words.split()]
        said = [w for w, _ in self.words]
        for i in range(self.said_up_to, len(said) - len(wanted) + 1):
            if wanted and said[i:i + len(wanted)] == wanted:
                self.said_up_to = i + len(wanted)
                return self.start + self.words[i][1]
        raise CueError(self.scene.unsaid(self, words))

    def _reach(self, words: str) -> float:
        """when(words), noting it when the picture is already past them (an earlier animation ran long)."""
        target = self.when(words)
        if self.scene.now - target > self.scene.frame_time:
            self.scene.late_words.append((self.cue, words, round(self.scene.now - target, 2)))
        return target

    def at(self, words: str) -> None:
        """Wait until the voice reaches ``words``; if the picture is already past them, it is noted as late."""
        target = self._reach(words)
        if target - self.scene.now >= self.scene.frame_time:
            self.scene.wait(target - self.scene.now)

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def remaining(self) -> float:
        return max(0.0, self.end - self.scene.now)

    def play(self, *animations, pace: float = Pace.NORMAL, share: float | None = None, **kw) -> None:
        """Play at the house ``pace`` (or a ``share`` of the whole beat), never past the beat's end."""
        wanted = self.duration * share if share is not None else pace
        self.scene.play(*animations, run_time=max(MIN_RUN, min(wanted, self.remaining)), **kw)

    def fill(self, *animations, leave: float | None = None, until: str | None = None, **kw) -> None:
        """Play for the rest of the beat, leaving ``leave`` seconds (Pace.SETTLE) still at its end; or, with
        ``until``, play until the voice reaches those words (see ``at``)."""
        end = self.end if until is None else self._reach(until)
        rest = Pace.SETTLE if leave is None and until is None else (leave or 0.0)
        self.scene.play(*animations, run_time=max(Pace.QUICK, end - self.scene.now - rest), **kw)

    def pause(self, pace: float = Pace.QUICK) -> None:
        self.scene.wait(max(0.0, min(pace, self.remaining)))

    def hold(self) -> None:
        """Wait out the beat; a long still picture is noted (the video should keep moving while it speaks)."""
        if self.remaining > Pace.STILL_WARNING and not self.scene.has_motion():
            self.scene.still_holds.append((self.cue or "opening", round(self.remaining, 1)))
        if self.remaining >= self.scene.frame_time:
            self.scene.wait(self.remaining)


class ChapterScene(Scene):
    """A chapter's scene. Subclasses define ``@beat`` methods, one per cue, in narration order."""

    #: Silence kept after the last beat (the voice stage already adds the chapter-end pause).
    tail: float = 0.0

    def __init__(self, *args, timeline: dict | None = None, layout_check: bool = True,
                 render_beats: set[int] | None = None, **kw):
        super().__init__(*args, **kw)
        self._given_timeline = timeline
        self.layout_check = layout_check
        # Beat i (0: the opening) is Manim section i; the others' animations are skipped (each jumps to its end).
        self.render_beats = render_beats
        self.beat_starts: list[dict] = []  # per beat: the state it starts from and the data it reads
        self.layout_problems: list[str] = []
        self.still_holds: list[tuple[str, float]] = []
        self.still_waits: list[tuple[float, float, str]] = []  # (start, end, beat) of each wait that draws no change
        self.late_words: list[tuple[str | None, str, float]] = []  # (beat, words, seconds the picture was late)
        self.first_shown: dict[str, dict] = {}  # each text as read -> when and in which beat it first showed
        self._shown_ids: set[int] = set()

    @classmethod
    def cues(cls) -> tuple[str, ...]:
        """The beats' names in definition order (base classes first): the cues the narration must mark."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names += [n for n, v in vars(klass).items() if getattr(v, "is_beat", False) and n not in names]
        return tuple(names)

    @classmethod
    def chapter_id(cls) -> str:
        return Path(inspect.getfile(cls)).stem

    # --- set-up: data and timeline -----------------------------------------------------------------
    def setup(self):
        self.camera.background_color = BACKGROUND
        use_house_tex()
        self.chapter = Chapter(self.chapter_id())
        self.data = ChapterData.load(self.chapter.id)
        self.timeline = self._given_timeline or self._read_timeline()
        segments = self.timeline["segments"]
        self._durations = [s["duration"] for s in segments]
        cues = tuple(s["cue"] for s in segments[1:])
        if cues != self.cues():
            raise CueError(f"{self.chapter.narration.name} marks cues {list(cues)} but {type(self).__name__} "
                           f"has beats {list(self.cues())}; re-voice the narration ('make data')")
        self.segment_starts: list[float] = []
        self.current: Beat | None = None
        self._own_attributes_from = set(vars(self))  # what the chapter adds after this is its kept state

    def _read_timeline(self) -> dict:
        path = self.chapter.timeline_file
        if not path.exists():
            raise CueError(f"{path} missing: voice the narration first ('make voice CH={self.chapter.number:02d}')")
        return json.loads(path.read_text())

    def fact(self, name: str):
        """A measured figure from facts.json, by its dotted name ('xhat.quarter_step')."""
        try:
            value = lookup_fact(self.data.facts, name)
        except KeyError:
            raise SceneDataError(f"{self.chapter.scene_file.name} reads fact '{name}', which "
                                 f"build/data/{self.chapter.id}/facts.json lacks (run 'make check')") from None
        self._read("fact", name)
        return value

    def array(self, name: str):
        if f"{name}.npy" not in self.data.manifest.get("files", {}):
            raise SceneDataError(f"{self.chapter.scene_file.name} reads array '{name}', which "
                                 f"build/data/{self.chapter.id} lacks (run 'make check')")
        self._read("array", name)
        return self.data.array(name)

    def _read(self, kind: str, name: str) -> None:
        """Note which data the current beat reads (its render key covers exactly that data)."""
        if self.beat_starts:
            self.beat_starts[-1]["reads"].add((kind, name))

    @property
    def now(self) -> float:
        return self.renderer.time

    @property
    def title(self) -> str:
        return self.timeline["title"]

    # --- the run: opening, beats, end ----------------------------------------------------------------
    def construct(self):
        cues = self.cues()
        self._open_beat(None)
        self.opening(self.current)
        self._close_beat()
        for cue in cues:
            self._open_beat(cue)
            getattr(self, cue)(self.current)
            self._close_beat()
        self.wait(self.tail) if self.tail else None

    def opening(self, b: Beat) -> None:
        """The chapter's question on a title card while the opening speech lasts; then a corner header."""
        card = TitleCard(self.chapter.number, self.title)
        first, second = card.arrive()
        # Never a still card: it builds, then its rule grows, then it leaves; all inside the opening speech
        # (a short opening shortens the leaving too, so the first cue is not reached late).
        leave = max(MIN_RUN, min(TitleCard.LEAVE, b.remaining / 3))
        staying = max(0.0, b.remaining - leave)
        self.play(*first, run_time=max(MIN_RUN, staying * TitleCard.BUILD_SHARE))
        self.play(*second, run_time=max(MIN_RUN, b.remaining - leave))
        self.play(*card.leave(), run_time=max(MIN_RUN, min(leave, b.remaining)))
        self.header = card.title

    def _open_beat(self, cue: str | None) -> None:
        """Segment k's speech starts now: on schedule (within a frame), or late if an earlier beat overran."""
        k = len(self.segment_starts)
        on_time = sum(self._durations[:k])
        late = self.now - on_time > self.frame_time  # frame rounding is not lateness: it must not add up
        self.next_section(f"{k:02d}_{cue or 'opening'}",
                          skip_animations=self.render_beats is not None and k not in self.render_beats)
        kept = {n: v for n, v in vars(self).items()
                if n not in self._own_attributes_from and n not in SCENE_INTERNALS and not n.startswith("_")}
        # "phase": how far the clock (whole frames) is from the schedule; a beat's frames round from there.
        self.beat_starts.append({"cue": cue or "opening", "state": state_digest(self.mobjects, kept),
                                 "phase": round(self.now - on_time, 6), "reads": set()})
        self.segment_starts.append(self.now)
        self.current = Beat(self, cue, end=(self.now if late else on_time) + self._durations[k],
                            speech=self.timeline["segments"][k])

    def unsaid(self, b: Beat, words: str) -> str:
        """The one-line error for a beat waiting on words its speech does not say (or no longer says)."""
        source = Path(inspect.getfile(type(self))).resolve()
        here = next((f"{shown(source)}:{f.lineno}" for f in inspect.stack() if Path(f.filename).resolve() == source),
                    shown(source))
        where = f"{shown(self.chapter.narration)}:{b.line}" if b.line else shown(self.chapter.narration)
        already = " after the words it already waited for" if b.said_up_to else ""
        return (f"{here}: beat '{b.cue or 'opening'}' waits for '{words}', which its speech ({where}) "
                f"does not say{already}")

    @property
    def frame_time(self) -> float:
        return 1.0 / self.camera.frame_rate

    def _close_beat(self) -> None:
        self._note_texts(self.now, self.current.cue or "opening")
        self._check_layout(f"end of beat '{self.current.cue or 'opening'}'")
        self.current.hold()

    def wait(self, duration: float = 1.0, stop_condition=None, frozen_frame: bool | None = None):
        """Manim's wait, drawn frame by frame whenever an updater runs: Manim freezes a wait unless an updater
        takes ``dt``, so a picture driven by the clock (a new noise image every frame) would stop in every wait.
        A wait with nothing moving is noted (``still_stretches``: where the picture holds)."""
        began, moving = self.now, self.has_motion()
        if frozen_frame is None and moving:
            frozen_frame = False
        super().wait(duration, stop_condition=stop_condition, frozen_frame=frozen_frame)
        if not moving:
            self.still_waits.append((began, self.now, (self.current.cue or "opening") if self.current else "setup"))

    def still_stretches(self, at_least: float = Pace.STILL_WARNING) -> list[dict]:
        """Back-to-back still waits joined, those lasting ``at_least`` seconds: the holds a viewer would see."""
        joined: list[list] = []
        for a, b, name in self.still_waits:
            if joined and a - joined[-1][1] <= self.frame_time / 2:
                joined[-1][1] = b
            else:
                joined.append([a, b, name])
        return [{"start": round(a, 2), "seconds": round(b - a, 2), "beat": name} for a, b, name in joined
                if b - a >= at_least]

    def has_motion(self) -> bool:
        """Whether anything on screen changes by itself (an updater is running)."""
        return any(m.updaters for mob in self.mobjects for m in mob.get_family())

    # --- the layout check ------------------------------------------------------------------------------
    def play(self, *args, **kwargs):
        began = self.now
        super().play(*args, **kwargs)
        if self.renderer.skip_animations:
            self._advance_as_drawn(began)
        beat_name = (self.current.cue or "opening") if self.current else "setup"
        self._note_texts(began, beat_name)
        self._check_layout(f"beat '{beat_name}' at {self.now:.1f}s")

    def _advance_as_drawn(self, began: float) -> None:
        """Manim moves a skipped animation's clock by its exact length but a drawn one's by whole frames
        (frame by frame; a still wait at once, rounded down), and then updates the mobjects once more.
        Skipped plays are made to do the same, so that a beat reached by skipping (a dry run, a render of later beats) starts at the very
        time, and draws the very frames, it does when everything before it is drawn."""
        dt = 1.0 / self.camera.frame_rate
        if self.is_current_animation_frozen_frame():
            self.renderer.time = began + int(self.duration / dt) * dt
            return
        t = began
        for _ in range(len(np.arange(0, self.duration, dt))):
            t += dt
        self.renderer.time = t
        self.update_mobjects(0)  # as a drawn play ends: updaters that read the clock see the drawn time

    def _note_texts(self, began: float, beat_name: str) -> None:
        """When each text (as read) first showed, for the sync audit: a text that arrived with the animation
        just played showed from its start; one already there that now reads differently (a counter), from
        its end."""
        shown_now = layout.texts_in(self.mobjects)
        for mob in shown_now:
            words = layout.reading(mob)
            if words and not layout.is_unspoken(mob) and words not in self.first_shown:
                at = self.now if id(mob) in self._shown_ids else began
                self.first_shown[words] = {"text": words, "t": round(at, 2), "beat": beat_name}
        self._shown_ids = {id(m) for m in shown_now}

    def _check_layout(self, where: str) -> None:
        problems = layout.find_problems(self.mobjects)
        fresh = [f"{where}: {p}" for p in problems if f"{where}: {p}" not in self.layout_problems]
        self.layout_problems += fresh
        if problems and self.layout_check:
            layout.check(f"chapter {self.chapter.id} ({type(self).__name__})", where, self.mobjects)
