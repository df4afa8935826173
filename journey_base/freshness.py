"""The one way every stage decides whether its output is fresh: a key over all of its inputs.

A stage's key hashes the source of every project module its code imports (found by reading the
imports, transitively, never listed by hand) together with its other inputs (config, data, files).
The stage writes the key into a small JSON record beside its output; the output is fresh when the
record's key equals the key computed now and the output files still exist.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Iterable

from .files import atomic_write_json
from .paths import ROOT

PROJECT_PACKAGES = ("journey_base", "render_data", "scenes", "diffusion_journey")


def _module_file(dotted: str) -> Path | None:
    """The project file of a dotted module name, or None when it is not ours (numpy, manim, ...)."""
    if dotted.split(".", 1)[0] not in PROJECT_PACKAGES:
        return None
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate.resolve()
    return None


def _package_of(path: Path) -> str:
    """'render_data.model_factory' for ROOT/render_data/model_factory/train.py."""
    rel = path.resolve().relative_to(ROOT).parent
    return ".".join(rel.parts)


def imported_modules(path: Path) -> set[Path]:
    """Project files that ``path`` imports directly (absolute or relative; submodules named in from-imports)."""
    found: set[Path] = set()
    package = _package_of(path) if path.resolve().is_relative_to(ROOT) else ""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            # "a.b.c" imports a, a.b and a.b.c: each package __init__ runs too.
            bits = name.split(".")
            for i in range(1, len(bits) + 1):
                if (f := _module_file(".".join(bits[:i]))) is not None:
                    found.add(f)
    return found


def project_sources(*entries: Path) -> list[Path]:
    """The entry files and every project module they import, transitively, sorted."""
    seen: set[Path] = set()
    todo = [Path(e).resolve() for e in entries]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += imported_modules(path) - seen
    return sorted(seen)


def _digest(value) -> bytes:
    """Bytes that stand for one input: a file's content, or a JSON-able value's canonical text."""
    if isinstance(value, Path):
        return value.read_bytes() if value.exists() else b"<missing>"
    return json.dumps(value, sort_keys=True, default=str).encode()


def stage_key(code: Iterable[Path] = (), **inputs) -> str:
    """Hash of the code (entry files + everything they import) and the named inputs (Paths hash content)."""
    h = hashlib.sha256()
    for path in project_sources(*code):
        h.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name).encode())
        h.update(path.read_bytes())
    for name in sorted(inputs):
        h.update(name.encode())
        h.update(_digest(inputs[name]))
    return h.hexdigest()[:16]


def sha(data: bytes) -> str:
    """Short content hash (files listed in manifests, cache names)."""
    return hashlib.sha256(data).hexdigest()[:16]


def read_record(record: Path, key: str, outputs: Iterable[Path] = ()) -> dict | None:
    """The record's contents when its key is ``key`` and every output exists; else None (stale)."""
    try:
        info = json.loads(Path(record).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if info.get("key") != key or not all(Path(p).exists() for p in outputs):
        return None
    return info


def write_record(record: Path, key: str, **info) -> None:
    atomic_write_json(record, {"key": key, **info})
