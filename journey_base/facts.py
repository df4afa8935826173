"""A chapter's measured figures (its facts.json) read by dotted name, the one way every layer reads them."""

from __future__ import annotations

from typing import Mapping


def lookup_fact(facts: Mapping, name: str):
    """``facts["a"]["b"]`` for ``"a.b"``: a figure, never a whole group. KeyError(name) when there is none;
    each caller turns that into its own message."""
    node = facts
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(name)
        node = node[part]
    if isinstance(node, Mapping):
        raise KeyError(name)
    return node
