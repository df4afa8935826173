"""``new``: scaffold a chapter, the three files found by one id, which ``check`` accepts as they are.

    narration/<id>.txt                 what is said: a title, an opening, one placeholder sentence per cue
    scenes/<id>.py                     what is shown: a ChapterScene subclass with one @beat per cue
    render_data/experiments/<id>.py    what is measured: CONFIG, a TINY_CONFIG for the tests, run()

The chapter's place in the video is the number its id starts with (``all_chapters`` sorts the narration
files by name, and ``get_chapter("07")`` finds a chapter by it), so the number must be free. Nothing is
written until every check passed; the files are written to temp names, then renamed into place, the
narration last: a chapter is found by its narration, so it never shows up half made. A kill among the
renames leaves at most the scene and experiment, which a second ``new`` with the same arguments finishes.
"""

from __future__ import annotations

import inspect
import keyword
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from journey_base import chapters
from journey_base.files import TEMP_PREFIX, shown
from scenes.beats import SCENE_INTERNALS, ChapterScene

from .narration import CUE_NAME

ID = re.compile(r"(?P<number>\d{2})_(?P<name>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)\Z")
NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
DEFAULT_CUES = ("question", "measure", "closing")
# Names a beat method must not take: what the scene classes define or set on the scene as it runs (a beat of
# that name would replace it, or be hidden by it), and the attribute the scaffolded beats keep their picture in.
RESERVED = frozenset({*dir(ChapterScene), *SCENE_INTERNALS, "shown",
                      *re.findall(r"self\.(\w+)\s*[:=]", inspect.getsource(ChapterScene))})


class ScaffoldError(ValueError):
    """Why a chapter was not scaffolded, in one line; nothing was written."""


@dataclass(frozen=True)
class NewChapter:
    id: str
    title: str
    cues: tuple[str, ...]
    files: dict[Path, str]  # narration, scene, experiment -> their text (the narration last)
    after: str | None  # the chapter it follows in the video
    before: str | None  # the chapter that follows it


def _dirs(root: Path | None) -> tuple[Path, Path, Path]:
    if root is None:
        return chapters.NARRATION_DIR, chapters.SCENES_DIR, chapters.EXPERIMENTS_DIR
    root = Path(root)
    return root / "narration", root / "scenes", root / "render_data" / "experiments"


def _existing(narration_dir: Path) -> dict[int, str]:
    """Chapter number -> id, of the chapters there are (found by their narration, as all_chapters finds them)."""
    return {int(p.name[:2]): p.stem for p in sorted(narration_dir.glob("[0-9][0-9]_*.txt"))}


def plan_chapter(chapter_id: str, title: str | None = None, cues: list[str] | None = None,
                 root: Path | None = None) -> NewChapter:
    """Every check, and the files' text; writes nothing. ``chapter_id`` is ``NN_name``, or ``name`` alone
    for the number after the last chapter's. Raises ScaffoldError (one line) when the chapter cannot be made."""
    narration_dir, scenes_dir, experiments_dir = _dirs(root)
    existing = _existing(narration_dir)
    if NAME.match(chapter_id):  # no number given: the chapter goes after the last one
        number = max(existing, default=0) + 1
        if number > 99:
            raise ScaffoldError("no chapter number is free after the last chapter (99 is the largest)")
        chapter_id = f"{number:02d}_{chapter_id}"
    found = ID.match(chapter_id)
    if not found:
        raise ScaffoldError(f"bad chapter id '{chapter_id}': use NN_name, two digits (its place in the video) and "
                            f"a name of lowercase letters, digits and '_' that starts with a letter, "
                            f"e.g. 13_latent_space")
    number, name = int(found["number"]), found["name"]
    if number == 0:
        raise ScaffoldError(f"bad chapter id '{chapter_id}': chapter numbers start at 01")
    if existing.get(number) == chapter_id:
        raise ScaffoldError(f"chapter {chapter_id} already exists ({shown(narration_dir / f'{chapter_id}.txt')})")
    if number in existing:
        free = next((n for n in range(max(existing) + 1, 100)), None)
        hint = f"; the next free number is {free:02d}" if free else ""
        raise ScaffoldError(f"chapter number {number:02d} is taken by {existing[number]} (a chapter's number is its "
                            f"place in the video){hint}")
    cues = tuple(cues) if cues else DEFAULT_CUES
    _check_cues(cues)
    title = " ".join((title or name.replace("_", " ").capitalize()).split())
    if not title:
        raise ScaffoldError("the title is empty")
    class_name = "".join(part.capitalize() for part in name.split("_"))
    if not class_name.isidentifier():
        raise ScaffoldError(f"bad chapter id '{chapter_id}': '{class_name}' is not a Python class name")
    files = {
        experiments_dir / f"{chapter_id}.py": experiment_text(chapter_id, title),
        scenes_dir / f"{chapter_id}.py": scene_text(chapter_id, title, class_name, cues),
        narration_dir / f"{chapter_id}.txt": narration_text(chapter_id, title, cues),
    }
    for path, text in files.items():
        if not path.parent.is_dir():
            raise ScaffoldError(f"{shown(path.parent)} is not a folder: run this in the project")
        # The scene or experiment of an interrupted `new` (renamed before its narration was) is finished;
        # anything else in the way is never overwritten.
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") != text:
            raise ScaffoldError(f"{shown(path)} already exists, though there is no chapter {chapter_id} (no "
                                f"{shown(narration_dir / f'{chapter_id}.txt')}): move it away or choose another id")
    before = min((n for n in existing if n > number), default=None)
    after = max((n for n in existing if n < number), default=None)
    return NewChapter(chapter_id, title, cues, files, existing.get(after), existing.get(before))


def _check_cues(cues: tuple[str, ...]) -> None:
    for cue in cues:
        if not CUE_NAME.match(cue) or keyword.iskeyword(cue):
            raise ScaffoldError(f"bad cue name '{cue}': use lowercase letters, digits and '_', starting with a "
                                f"letter (and not a Python keyword)")
        if cue in RESERVED:
            raise ScaffoldError(f"cue '{cue}' is a name the scene already uses (ChapterScene.{cue}): its beat "
                                f"would clash with it, choose another")
    twice = sorted({c for c in cues if cues.count(c) > 1})
    if twice:
        raise ScaffoldError(f"cue '{twice[0]}' is given twice: each beat needs a name of its own")


def write_chapter(new: NewChapter) -> list[Path]:
    """Write the files: each to a temp name beside it, then all renamed, the narration last. On an error
    nothing is left (the files renamed so far are removed). Returns the paths written."""
    temps: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for path, text in new.files.items():
            fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{path.name}.", dir=path.parent)
            temps[path] = Path(tmp)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600: an ordinary source file instead
        for path, tmp in temps.items():
            os.replace(tmp, path)
            placed.append(path)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return placed


def new_chapter(chapter_id: str, title: str | None = None, cues: list[str] | None = None,
                root: Path | None = None) -> NewChapter:
    """Check, then write the chapter's three files (see the module's docstring)."""
    new = plan_chapter(chapter_id, title, cues, root)
    write_chapter(new)
    return new


# --- the files ------------------------------------------------------------------------------------------
def _data_cue(cues: tuple[str, ...]) -> str:
    """The beat that shows the measured figures (the second, after the question, when there are two or more)."""
    return cues[1] if len(cues) > 1 else cues[0]


def narration_text(chapter_id: str, title: str, cues: tuple[str, ...]) -> str:
    number = int(chapter_id[:2])
    lines = [
        f"@title {title}",
        f"# Chapter {number:02d} narration. {{group.name}} figures come from build/data/{chapter_id}/facts.json.",
        f"# This chapter's beats ([[cue]] marks, in order): {', '.join(cues)}",
        "# Scaffolded by 'make new': replace every sentence with the chapter's own (see narration/README.md);",
        f"# <samples> and <spread> are word marks (never spoken): the '{_data_cue(cues)}' beat shows each figure on them.",
        "",
        "This chapter asks one question, and answers it with a real run.",
    ]
    for cue in cues:
        lines.append("")
        if cue == _data_cue(cues):
            lines.append(f"[[{cue}]] The data stage drew <samples>{{measure.samples}} numbers, and their spread "
                         f"came out at <spread>{{measure.spread}}.")
        else:
            lines.append(f"[[{cue}]] Here the {cue.replace('_', ' ')} of the chapter is said in a sentence.")
    return "\n".join(lines) + "\n"


def scene_text(chapter_id: str, title: str, class_name: str, cues: tuple[str, ...]) -> str:
    number = int(chapter_id[:2])
    beats = []
    for i, cue in enumerate(cues):
        fade = "" if i == 0 else "        b.play(FadeOut(self.shown), pace=Pace.QUICK)\n"
        if cue == _data_cue(cues):
            beats.append(f'''    @beat
    def {cue}(self, b):
        """The measured figures, each counted up on the word mark the voice says it at."""
{fade}        top, bottom = Slots.STAGE.stack(2)
        samples = top.place(LabelledCounter("numbers drawn"))
        spread = bottom.place(LabelledCounter("their spread", places=2, color=SEED))
        self.shown = VGroup(samples, spread)
        b.fill(FadeIn(samples, shift=UP * NUDGE), until="<samples>")  # moving towards the words
        b.play(samples.count_to(self.fact("measure.samples")), pace=Pace.QUICK)  # the figure lands on its word
        b.fill(FadeIn(spread, shift=UP * NUDGE), until="<spread>")
        b.play(spread.count_to(self.fact("measure.spread")), pace=Pace.QUICK)
''')
        else:
            words = cue.replace("_", " ")
            beats.append(f'''    @beat
    def {cue}(self, b):
        """TODO: what the '{words}' beat shows (its row of the storyboard)."""
{fade}        self.shown = Slots.STAGE.place(text("{words}", size=Type.HEADING, color=PROMPT))
        b.fill(FadeIn(self.shown, shift=UP * NUDGE))
''')
    return f'''"""Chapter {number:02d} — {_sentence(title)}

Storyboard: TODO, one step per beat ({", ".join(cues)}). Scaffolded by 'make new': each beat puts a
placeholder on the stage; the '{_data_cue(cues)}' beat shows the figures the data stage measured, each on the
word mark the voice says it at (b.fill(..., until="<mark>"), then the figure). Every
figure is from build/data/{chapter_id}; sizes, places and pace come from scenes/style.py, pieces from
scenes/pieces.py (see README, "Writing a chapter scene").
"""

from manim import UP, FadeIn, FadeOut, VGroup

from scenes.beats import ChapterScene, beat
from scenes.pieces import LabelledCounter, text
from scenes.style import NUDGE, PROMPT, SEED, Pace, Slots, Type


class {class_name}(ChapterScene):
''' + "\n".join(beats)


def _sentence(title: str) -> str:
    return title if title[-1] in ".?!" else f"{title}."


def experiment_text(chapter_id: str, title: str) -> str:
    number = int(chapter_id[:2])
    return f'''"""Chapter {number:02d} data: {_sentence(title)} TODO: what this chapter measures.

Scaffolded by 'make new': a placeholder measurement (seeded random numbers, how many and their spread).
Replace ``run`` with the chapter's own run (render_data.loading.load_model, render_data.capture.capture, ...);
every figure the narration says or the scene shows is a fact written here. See
render_data/experiments/__init__.py for what an experiment defines.
"""

import numpy as np

CONFIG = {{
    "seed": 0,
    "samples": 1000,
}}
# The tests' run of this chapter's data stage (seconds): the same facts, from less work.
TINY_CONFIG = dict(CONFIG, samples=50)
USES_MODEL = False  # True once run() loads the model: its identity then belongs in the manifest


def run(out, config, model_info):
    rng = np.random.default_rng(config["seed"])
    values = rng.normal(size=config["samples"]).astype(np.float32)
    out.array("values", values)
    out.fact("measure", samples=config["samples"], spread=round(float(values.std()), 2))
'''
