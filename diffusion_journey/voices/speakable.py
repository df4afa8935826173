"""What the voice is given to say: each written word in its spoken form, and the characters no voice here
can read.

``narration/pronunciations.toml`` maps written forms to spoken ones ("ε" -> "epsilon"); the voice says the
spoken form, the subtitles keep the written one. A written form is replaced wherever it occurs inside a
word (so "ε," and "(ε)" are found too), longest forms first.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

from journey_base.files import shown
from journey_base.paths import ROOT

from .audio import VoiceError

PRONUNCIATIONS = ROOT / "narration" / "pronunciations.toml"


def load_pronunciations(path: Path = PRONUNCIATIONS) -> dict[str, str]:
    """{written: spoken} from the file's ``[spoken]`` table; {} when there is no file."""
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f).get("spoken", {})
    except tomllib.TOMLDecodeError as exc:
        raise VoiceError(f"{shown(path)}: {exc}") from None
    out = {}
    for written, spoken in table.items():
        if not isinstance(spoken, str) or not spoken.strip() or not written or any(c.isspace() for c in written):
            raise VoiceError(f"{shown(path)}: [spoken] \"{written}\" = {spoken!r}: give one word (no spaces) "
                             f"= the words to say instead")
        out[unicodedata.normalize("NFC", written)] = " ".join(spoken.split())
    return out


def spoken_words(text: str, pronunciations: dict[str, str]) -> tuple[list[str], list[str]]:
    """(written words, spoken form of each): the clip's words as the subtitles show them, and as said."""
    written = text.split()
    spoken = []
    pattern = re.compile("|".join(re.escape(f) for f in sorted(pronunciations, key=len, reverse=True)))

    def say(match: re.Match) -> str:  # apart from a neighbouring letter or digit, next to punctuation
        before = " " if match.start() > 0 and match.string[match.start() - 1].isalnum() else ""
        after = " " if match.end() < len(match.string) and match.string[match.end()].isalnum() else ""
        return before + pronunciations[match.group()] + after

    for word in written:
        said = unicodedata.normalize("NFC", word)
        spoken.append(pattern.sub(say, said) if pronunciations else said)
    return written, spoken


def unspeakable(text: str) -> list[str]:
    """The distinct characters of ``text`` an English voice cannot read: letters of other scripts,
    emoji and other symbols, combining marks (x̂), non-ASCII digits and super/subscripts."""
    found = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in found or _speakable(ch):
            continue
        found.append(ch)
    return found


def _speakable(ch: str) -> bool:
    if ch.isascii():
        return True
    category = unicodedata.category(ch)
    if category.startswith("L"):
        return unicodedata.name(ch, "").startswith("LATIN")
    return category.startswith("P") or category in ("Zs", "Sc")  # punctuation, spaces, currency signs


def describe(ch: str) -> str:
    return f"'{ch}' ({unicodedata.name(ch, f'U+{ord(ch):04X}')})"
