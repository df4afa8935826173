"""Credits as data: ``credits.toml`` at the project root, read by the end card, the model card and the tests
that keep the README's credits section in step with it."""

from __future__ import annotations

import tomllib

from .paths import ROOT

CREDITS_FILE = ROOT / "credits.toml"


def load_credits() -> dict:
    """{"artwork": [...], "other": [...]} as written in credits.toml."""
    with open(CREDITS_FILE, "rb") as f:
        return tomllib.load(f)


def end_card_rows() -> list[tuple[str, str]]:
    """(role, credit) lines for the video's end card: artwork first, short form."""
    credits = load_credits()
    rows = [(f"Emoji artwork, {c['style']} style" if c["style"] else "Emoji names",
             f"{c['name']} © {c['holder']} ({c['licence']})") for c in credits["artwork"]]
    return rows + [(c["role"], c.get("short", c["credit"])) for c in credits["other"]]
