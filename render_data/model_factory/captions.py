"""Captions at four levels of detail, built from a spec's attributes (render_data/DATASET.md has the grammar)::

    0  a snail
    1  a snail on a purple background
    2  a small snail in the top left on a purple background
    3  a small glossy 3d snail in the top left on a purple background
    two objects: a small flat snail left of a medium flat car on an orange background

Training does not use the levels: ``training_caption`` names each attribute independently (attribute
dropout), so every word is seen alone and in every combination, and sometimes names the object's own
colour ("a red apple") where every style draws it in that colour.
"""

from __future__ import annotations

import numpy as np

from .specs import (BACKGROUND_NAMES, CAPTION_LEVELS, PLURAL_NOUNS, POSITION_PHRASES, RELATIONS, SIZE_NAMES,
                    STYLES, SUBJECT_COLOURS, SUBJECT_NAMES, Spec)

# Training captions: the chance that each attribute is named (independently of the others), and that a
# subject with a colour of its own is called by it.
NAME_CHANCE = {"size": 0.65, "style": 0.65, "position": 0.65, "background": 0.75}
COLOUR_CHANCE = 0.25


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
    return caption_naming(spec, size=level >= 2, style=level >= 3, position=level >= 2, background=level >= 1)


def caption_naming(spec: Spec, *, size: bool, style: bool, position: bool, background: bool,
                   colour: bool = False) -> str:
    """The caption that names exactly the attributes asked for (the subject is always named; ``colour``
    names the subject's own colour where it has one). Two-object captions always name the relation."""
    size1 = SIZE_NAMES[spec.size] if size else ""
    style_words = STYLES[spec.style]["words"] if style else ""

    def obj(subject: int, size_word: str) -> str:
        own = SUBJECT_COLOURS.get(SUBJECT_NAMES[subject], "") if colour else ""
        return _np(size_word, style_words, own, SUBJECT_NAMES[subject])

    parts = [obj(spec.subject, size1)]
    if spec.two_objects:
        parts += [RELATIONS[spec.relation], obj(spec.subject2, SIZE_NAMES[spec.size2] if size else "")]
    elif position:
        parts.append(POSITION_PHRASES[spec.position])
    if background:
        parts.append(f"on {_np(BACKGROUND_NAMES[spec.background], 'background')}")
    return " ".join(parts)


def training_caption(spec: Spec, rng: np.random.Generator) -> str:
    """A caption that names each attribute with its own chance (NAME_CHANCE, COLOUR_CHANCE)."""
    named = {k: bool(rng.random() < p) for k, p in NAME_CHANCE.items()}
    return caption_naming(spec, **named, colour=bool(rng.random() < COLOUR_CHANCE))

