"""Guarded claims: a sentence the video says only when the measured data makes it true.

In a narration script::

    @claim detail.spread_ratio >= 1.2
    A vague prompt is a wobbly compass: detail narrows the pictures {detail.spread_ratio} times.
    @or detail.spread_ratio >= 1.05
    Detail narrows the pictures a little, {detail.spread_ratio} times.
    @otherwise
    Our small model barely notices the extra words.
    @end

The first alternative whose condition holds is spoken; the others are dropped. A condition compares
figures from the chapter's data with numbers (``>=  >  <=  <  ==  !=``), or names a yes/no figure, and
joins comparisons with ``and``. When no alternative holds and there is no ``@otherwise``, the script is
wrong about its data: ``make check`` fails, naming the claim and the measured values.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

OPERATORS: dict[str, Callable] = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
                                  ">": operator.gt, "<": operator.lt}
COMPARISON = re.compile(r"^\s*(?P<left>[^<>=!\s]+)\s*(?:(?P<op>>=|<=|==|!=|>|<)\s*(?P<right>[^<>=!\s]+))?\s*$")
FACT_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+\Z")
NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


class ClaimSyntaxError(ValueError):
    pass


class UnknownFact(KeyError):
    pass


@dataclass(frozen=True)
class Condition:
    text: str
    comparisons: tuple[tuple[str, str | None, str | None], ...]  # (left, op, right)

    @classmethod
    def parse(cls, text: str) -> "Condition":
        if not text.strip():
            raise ClaimSyntaxError("a claim needs a condition, e.g. '@claim detail.spread_ratio >= 1.2'")
        parts = []
        for piece in re.split(r"\s+and\s+", text.strip()):
            m = COMPARISON.match(piece)
            if not m:
                raise ClaimSyntaxError(f"cannot read the condition '{piece}': write 'group.name >= 1.2' "
                                       f"(operators {' '.join(OPERATORS)}) or a yes/no figure 'group.name'")
            for operand in (m["left"], m["right"]):
                if operand is not None and not (FACT_NAME.match(operand) or NUMBER.match(operand)
                                                or operand in ("true", "false")):
                    raise ClaimSyntaxError(f"'{operand}' in '{piece}' is neither a figure (group.name) nor a number")
            parts.append((m["left"], m["op"], m["right"]))
        return cls(text.strip(), tuple(parts))

    def facts_named(self) -> list[str]:
        return [x for c in self.comparisons for x in (c[0], c[2]) if x is not None and FACT_NAME.match(x)]

    def holds(self, facts: Mapping, lookup: Callable) -> tuple[bool, dict]:
        """(whether it holds, the measured value of every figure it names). Raises UnknownFact."""
        values = {}

        def value(operand: str):
            if NUMBER.match(operand):
                return float(operand)
            if operand in ("true", "false"):
                return operand == "true"
            try:
                values[operand] = lookup(facts, operand)
            except KeyError:
                raise UnknownFact(operand) from None
            return values[operand]

        results = []
        for left, op, right in self.comparisons:
            a = value(left)
            results.append(bool(a) if op is None else bool(OPERATORS[op](a, value(right))))
        return all(results), values


@dataclass
class Alternative:
    condition: Condition | None  # None: @otherwise
    line: int
    tokens: list = field(default_factory=list)


@dataclass
class ClaimBlock:
    """One guarded claim in a script: its alternatives, in order."""

    line: int
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """What the data chose, for reports: which alternative is spoken and the values that decided it."""

    line: int
    condition: str
    chosen: str  # the chosen alternative's condition, or "@otherwise"
    values: dict


def choose(block: ClaimBlock, facts: Mapping, lookup: Callable) -> tuple[Alternative | None, Decision]:
    """The first alternative that holds (or @otherwise), and the decision; None when nothing holds."""
    values: dict = {}
    for alt in block.alternatives:
        if alt.condition is None:
            return alt, Decision(block.line, block.alternatives[0].condition.text, "@otherwise", values)
        ok, seen = alt.condition.holds(facts, lookup)
        values.update(seen)
        if ok:
            return alt, Decision(block.line, block.alternatives[0].condition.text, alt.condition.text, values)
    return None, Decision(block.line, block.alternatives[0].condition.text, "", values)
