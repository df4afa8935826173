"""Chapter artifacts: written whole or not at all, with a manifest that says whether they are stale.

Layout of ``build/data/<chapter>/``:
  facts.json      named figures (read by the scene and the narration's ``{group.name}`` placeholders)
  <name>.npy      compact arrays (uint8 frames, fp16 tensors)
  manifest.json   config, model, the stage key (journey_base.freshness) and file hashes: stale when any changes
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from journey_base.chapters import Chapter, load_module
from journey_base.files import atomic_write_json, finish_interrupted, publish_folder, shown, temp_dir
from journey_base.freshness import sha, stage_key
from journey_base.paths import BUILD

from .models import describe_model

DATA_DIR = BUILD / "data"
MANIFEST_VERSION = 2


class DataMissingError(FileNotFoundError):
    pass


class ArtifactWriter:
    """What an experiment writes into; everything lands in a temp folder until the run succeeds."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.facts: dict[str, dict] = {}

    def fact(self, group: str, **values) -> None:
        for key, value in values.items():
            self.facts.setdefault(group, {})[key] = _plain(value)

    def array(self, name: str, value: np.ndarray) -> None:
        np.save(self.folder / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)


def _plain(value):
    """numpy scalars and arrays (inside lists too) as the plain Python values facts.json holds."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class ChapterData:
    """Read side, for scenes and narration."""

    def __init__(self, folder: Path):
        self.folder = folder
        manifest = folder / "manifest.json"
        if not manifest.exists():
            raise DataMissingError(
                f"{shown(manifest)} missing: run 'make data' (or 'python -m render_data {folder.name}')"
            )
        self.manifest = json.loads(manifest.read_text())
        self.facts = json.loads((folder / "facts.json").read_text())

    @classmethod
    def load(cls, chapter_id: str) -> "ChapterData":
        return cls(DATA_DIR / chapter_id)

    def array(self, name: str) -> np.ndarray:
        return np.load(self.folder / f"{name}.npy", allow_pickle=False)


def expected_manifest(chapter: Chapter, experiment) -> dict:
    config = getattr(experiment, "CONFIG", {})
    model = describe_model(config.get("model", "embedded")) if getattr(experiment, "USES_MODEL", True) else None
    return {
        "version": MANIFEST_VERSION,
        "chapter": chapter.id,
        "config": config,
        "model": model,
        # The experiment, this module and every project module they import, with the config and model.
        "key": stage_key(code=[chapter.experiment_file, Path(__file__)], config=config, model=model),
    }


def is_fresh(folder: Path, expected: dict) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    keys = ("version", "key")
    if any(manifest.get(k) != expected[k] for k in keys):
        return False
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists() or sha(path.read_bytes()) != digest:
            return False
    return True


def build_chapter_data(chapter: Chapter, force: bool = False, log=print) -> tuple[ChapterData, bool]:
    """Run the chapter's experiment unless its artifacts are fresh. Returns (data, was_rebuilt)."""
    experiment = load_module(chapter.experiment_file, f"render_data.experiments.ch{chapter.id}")
    expected = expected_manifest(chapter, experiment)
    folder = DATA_DIR / chapter.id
    finish_interrupted(folder)  # a run killed as it published: its finished data goes in place (and may be fresh)
    if not force and is_fresh(folder, expected):
        return ChapterData(folder), False

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(folder)
    try:
        started = time.perf_counter()
        writer = ArtifactWriter(tmp)
        experiment.run(writer, expected["config"], expected["model"])
        atomic_write_json(tmp / "facts.json", writer.facts)
        files = {p.name: sha(p.read_bytes()) for p in sorted(tmp.iterdir()) if p.is_file()}
        manifest = dict(expected, files=files, seconds=round(time.perf_counter() - started, 3),
                        created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        atomic_write_json(tmp / "manifest.json", manifest)
        publish_folder(tmp, folder)  # the old folder stays until the new one is whole; a kill is recovered
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ChapterData(folder), True
