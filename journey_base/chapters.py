"""Chapters: one narration file + one scene module + one data experiment, found by the same id."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .paths import BUILD, ROOT

NARRATION_DIR = ROOT / "narration"
SCENES_DIR = ROOT / "scenes"
EXPERIMENTS_DIR = ROOT / "render_data" / "experiments"


class UnknownChapterError(LookupError):
    pass


@dataclass(frozen=True)
class Chapter:
    id: str  # e.g. "01_possible_images"

    @property
    def number(self) -> int:
        return int(self.id.split("_", 1)[0])

    @property
    def narration(self) -> Path:
        return NARRATION_DIR / f"{self.id}.txt"

    @property
    def scene_file(self) -> Path:
        return SCENES_DIR / f"{self.id}.py"

    @property
    def experiment_file(self) -> Path:
        return EXPERIMENTS_DIR / f"{self.id}.py"

    @property
    def timeline_file(self) -> Path:
        """The voiced narration: clip files, offsets and segment durations (written by the voice stage)."""
        return BUILD / "audio" / self.id / "timeline.json"

    def video_dir(self, quality: str) -> Path:
        """Where the course clips land: <id>.mp4 with its .srt and .vtt, nothing else."""
        return BUILD / "video" / "chapters" / quality

    def work_dir(self, quality: str) -> Path:
        """Intermediate files of assembly (silent render, narration track, render record)."""
        return work_dir(quality)


def work_dir(quality: str) -> Path:
    return BUILD / "video" / "work" / quality


def all_chapters() -> list[Chapter]:
    """Every chapter with a narration script, in order. All three parts must exist."""
    chapters = [Chapter(p.stem) for p in sorted(NARRATION_DIR.glob("[0-9][0-9]_*.txt"))]
    for ch in chapters:
        for part in (ch.scene_file, ch.experiment_file):
            if not part.exists():
                raise UnknownChapterError(
                    f"chapter {ch.id}: {ch.narration.name} exists but {part.relative_to(ROOT)} does not"
                )
    return chapters


def get_chapter(name: str) -> Chapter:
    """Look up by full id ('01_possible_images') or by number ('01', '1')."""
    chapters = all_chapters()
    for ch in chapters:
        if name == ch.id or (name.isdigit() and int(name) == ch.number):
            return ch
    valid = ", ".join(ch.id for ch in chapters)
    raise UnknownChapterError(f"unknown chapter '{name}'; valid ids: {valid}")


def select(names: list[str] | None) -> list[Chapter]:
    return [get_chapter(n) for n in names] if names else all_chapters()


def load_module(path: Path, name: str) -> ModuleType:
    """Import a file whose name starts with a digit (not importable by a plain import statement)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
