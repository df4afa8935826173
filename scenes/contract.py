"""What a chapter scene reads from its data, found in its source: every ``self.fact("a.b")`` and
``self.array("name")`` call, and the words each beat waits for (``b.at("words")``, ``b.fill(..., until=...)``).
``make check`` compares these with the chapter's facts and arrays and with each beat's speech, so a typo
fails in a second instead of minutes into a render. Keys and words must be literal strings to be checked."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from journey_base.facts import lookup_fact


@dataclass
class SceneReads:
    facts: dict[str, int] = field(default_factory=dict)  # dotted name -> first line
    arrays: dict[str, int] = field(default_factory=dict)
    unchecked: list[int] = field(default_factory=list)  # lines of calls whose key is not a literal


def scene_reads(path: Path) -> SceneReads:
    reads = SceneReads()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("fact", "array") and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self" and node.args):
            continue
        key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            target = reads.facts if node.func.attr == "fact" else reads.arrays
            target.setdefault(key.value, node.lineno)
        else:
            reads.unchecked.append(node.lineno)
    return reads


def missing_reads(path: Path, facts: dict, arrays: set[str]) -> list[str]:
    """'file:line: ...' for each fact or array the scene reads that the data lacks."""
    reads, problems = scene_reads(path), []
    for name, line in reads.facts.items():
        try:
            lookup_fact(facts, name)
        except KeyError:
            problems.append(f"{path}:{line}: the scene reads fact '{name}', which the data does not have")
    for name, line in reads.arrays.items():
        if name not in arrays:
            problems.append(f"{path}:{line}: the scene reads array '{name}', which the data does not have "
                            f"(it has: {', '.join(sorted(arrays)) or 'none'})")
    for line in reads.unchecked:
        problems.append(f"{path}:{line}: fact/array name is not a literal string, so it cannot be checked")
    return problems


@dataclass(frozen=True)
class Wait:
    beat: str
    words: str | None  # None: not a literal string, so it cannot be checked
    line: int


def scene_waits(path: Path) -> list[Wait]:
    """Every ``b.at(...)`` and ``b.fill(..., until=...)`` in a ``@beat`` method (``b`` its beat argument)."""
    waits = []
    for fn in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"), str(path))):
        if not (isinstance(fn, ast.FunctionDef) and len(fn.args.args) > 1
                and any(isinstance(d, ast.Name) and d.id == "beat" for d in fn.decorator_list)):
            continue
        b = fn.args.args[1].arg
        for node in ast.walk(fn):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == b):
                continue
            if node.func.attr == "at" and node.args:
                said = node.args[0]
            else:
                said = next((k.value for k in node.keywords if k.arg == "until"), None)
                if said is None:
                    continue
            literal = isinstance(said, ast.Constant) and isinstance(said.value, str)
            waits.append(Wait(fn.name, said.value if literal else None, node.lineno))
    return waits
