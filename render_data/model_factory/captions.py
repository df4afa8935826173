"""Captions at four levels of detail, built from a spec's attributes (render_data/DATASET.md has the grammar)::

    0  a snail
    1  a snail on a purple background
    2  a small snail in the top left on a purple background
    3  a small glossy 3d snail in the top left on a purple background
    two objects: a small flat snail left of a medium flat car on an orange background
"""

from __future__ import annotations

from .specs import (BACKGROUND_NAMES, CAPTION_LEVELS, PLURAL_NOUNS, POSITION_PHRASES, RELATIONS, SIZE_NAMES,
                    STYLES, SUBJECT_NAMES, Spec)


def article(phrase: str) -> str:
    """'a' or 'an' for the phrase that follows it (by sound, for the words this dataset uses)."""
    w = phrase.split()[0].lower()
    if w.startswith(("uni", "use", "eu", "one")):
        return "a"
    if w.startswith(("hour", "honest")):
        return "an"
    return "an" if w[0] in "aeiou" else "a"


def _np(*words: str) -> str:
    """A noun phrase with its article; plural nouns take none ("cherries", "small flat cherries")."""
    phrase = " ".join(w for w in words if w)
    if words[-1] in PLURAL_NOUNS:
        return phrase
    return f"{article(phrase)} {phrase}"


def caption_for(spec: Spec, level: int) -> str:
    """The caption of a spec at a level of detail 0..3 (see the module docstring)."""
    if not 0 <= level < CAPTION_LEVELS:
        raise ValueError(f"caption level must be 0..{CAPTION_LEVELS - 1}, got {level}")
    colour = BACKGROUND_NAMES[spec.background]
    on_bg = f"on {_np(colour, 'background')}"
    size1 = SIZE_NAMES[spec.size] if level >= 2 else ""
    style = STYLES[spec.style]["words"] if level >= 3 else ""
    first = _np(size1, style, SUBJECT_NAMES[spec.subject])
    if spec.two_objects:
        size2 = SIZE_NAMES[spec.size2] if level >= 2 else ""
        second = _np(size2, style, SUBJECT_NAMES[spec.subject2])
        parts = [first, RELATIONS[spec.relation], second]
    else:
        parts = [first]
        if level >= 2:
            parts.append(POSITION_PHRASES[spec.position])
    if level >= 1:
        parts.append(on_bg)
    return " ".join(parts)

