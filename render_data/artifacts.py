"""Chapter artifacts: written whole or not at all, with a manifest that says whether they are stale.

Layout of ``build/data/<chapter>/``:
  facts.json      named figures (read by the scene and the narration's ``{group.name}`` placeholders)
  <name>.npy      compact arrays (uint8 frames, fp16 tensors)
  manifest.json   config, config/code/model hashes, file hashes: a change to any of them rebuilds
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from diffusion_journey import BUILD, ROOT
from diffusion_journey.chapters import Chapter, load_module
from diffusion_journey.files import atomic_write_json, shown

from .models import describe_model

DATA_DIR = BUILD / "data"
MANIFEST_VERSION = 1


class DataMissingError(FileNotFoundError):
    pass


class ArtifactWriter:
    """What an experiment writes into; everything lands in a temp folder until the run succeeds."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.facts: dict[str, dict] = {}

    def fact(self, group: str, **values) -> None:
        for key, value in values.items():
            if isinstance(value, (np.integer, np.floating)):
                value = value.item()
            self.facts.setdefault(group, {})[key] = value

    def array(self, name: str, value: np.ndarray) -> None:
        np.save(self.folder / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)


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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def code_hash(chapter: Chapter) -> str:
    """The experiment, this module, and the render_data modules the experiment imports (transitively)."""
    package = ROOT / "render_data"
    seen: set[Path] = set()
    todo = [chapter.experiment_file.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level:  # from .x import y
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("render_data"):
                sub = node.module.removeprefix("render_data").lstrip(".")
                names = [sub] if sub else [a.name for a in node.names]  # from render_data import x
            elif isinstance(node, ast.Import):
                names = [a.name.removeprefix("render_data.") for a in node.names if a.name.startswith("render_data.")]
            todo += [f for n in names if (f := package / (n.replace(".", "/") + ".py")).exists()]
    parts = seen | {Path(__file__).resolve()}
    return _sha(b"".join(p.name.encode() + p.read_bytes() for p in sorted(parts)))


def expected_manifest(chapter: Chapter, experiment) -> dict:
    config = getattr(experiment, "CONFIG", {})
    model = describe_model(config.get("model", "embedded")) if getattr(experiment, "USES_MODEL", True) else None
    return {
        "version": MANIFEST_VERSION,
        "chapter": chapter.id,
        "config": config,
        "config_hash": _sha(json.dumps(config, sort_keys=True).encode()),
        "code_hash": code_hash(chapter),
        "model": model,
    }


def is_fresh(folder: Path, expected: dict) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    keys = ("version", "config_hash", "code_hash", "model")
    if any(manifest.get(k) != expected[k] for k in keys):
        return False
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists() or _sha(path.read_bytes()) != digest:
            return False
    return True


def build_chapter_data(chapter: Chapter, force: bool = False, log=print) -> tuple[ChapterData, bool]:
    """Run the chapter's experiment unless its artifacts are fresh. Returns (data, was_rebuilt)."""
    experiment = load_module(chapter.experiment_file, f"render_data.experiments.ch{chapter.id}")
    expected = expected_manifest(chapter, experiment)
    folder = DATA_DIR / chapter.id
    if not force and is_fresh(folder, expected):
        return ChapterData(folder), False

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{chapter.id}.", dir=DATA_DIR))
    try:
        started = time.perf_counter()
        writer = ArtifactWriter(tmp)
        experiment.run(writer, expected["config"], expected["model"])
        atomic_write_json(tmp / "facts.json", writer.facts)
        files = {p.name: _sha(p.read_bytes()) for p in sorted(tmp.iterdir()) if p.is_file()}
        manifest = dict(expected, files=files, seconds=round(time.perf_counter() - started, 3),
                        created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        atomic_write_json(tmp / "manifest.json", manifest)
        # Swap the finished folder in; the old one is removed only after the new one is in place.
        old = None
        if folder.exists():
            old = folder.with_name(f".{chapter.id}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ChapterData(folder), True
