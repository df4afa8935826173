"""What a training image is made of: subjects, styles, sizes, positions, backgrounds, relations, and the
``Spec`` that fixes them for one image (sampled deterministically from a seed).

A vague caption leaves attributes free; a detailed one pins them down. Colour words name the
background, or a subject's own colour (SUBJECT_COLOURS). See render_data/DATASET.md for the caption grammar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .sprites import Sprites


DATASET_VERSION = 1


IMAGE_SIZE = 64  # composed images are IMAGE_SIZE x IMAGE_SIZE RGB


# Style index = position in this list. "words" is what a level-3 caption says.
STYLES = [
    {"id": "noto", "words": "cartoon", "source": "noto"},
    {"id": "fluent3d", "words": "glossy 3d", "source": "fluent3d"},
    {"id": "twemoji", "words": "flat", "source": "twemoji"},
]


SUBJECTS = [
    ("snail", "animal", "1f40c"), ("butterfly", "animal", "1f98b"), ("cat", "animal", "1f408"),
    ("dog", "animal", "1f415"), ("fish", "animal", "1f420"), ("frog", "animal", "1f438"),
    ("owl", "animal", "1f989"), ("turtle", "animal", "1f422"), ("octopus", "animal", "1f419"),
    ("penguin", "animal", "1f427"), ("elephant", "animal", "1f418"), ("whale", "animal", "1f433"),
    ("bee", "animal", "1f41d"), ("crab", "animal", "1f980"),
    ("apple", "food", "1f34e"), ("banana", "food", "1f34c"), ("cherries", "food", "1f352"),
    ("pizza", "food", "1f355"), ("watermelon", "food", "1f349"), ("strawberry", "food", "1f353"),
    ("pineapple", "food", "1f34d"), ("carrot", "food", "1f955"), ("doughnut", "food", "1f369"),
    ("ice cream", "food", "1f366"),
    ("car", "vehicle", "1f697"), ("rocket", "vehicle", "1f680"), ("bicycle", "vehicle", "1f6b2"),
    ("boat", "vehicle", "26f5"), ("bus", "vehicle", "1f68c"), ("airplane", "vehicle", "2708-fe0f"),
    ("helicopter", "vehicle", "1f681"), ("tractor", "vehicle", "1f69c"),
    ("tree", "nature", "1f333"), ("sun", "nature", "2600-fe0f"), ("moon", "nature", "1f319"),
    ("star", "nature", "2b50"), ("cactus", "nature", "1f335"), ("flower", "nature", "1f337"),
    ("rainbow", "nature", "1f308"),
    ("umbrella", "object", "2602-fe0f"), ("key", "object", "1f511"), ("guitar", "object", "1f3b8"),
    ("house", "object", "1f3e0"), ("light bulb", "object", "1f4a1"), ("balloon", "object", "1f388"),
    ("gift", "object", "1f381"), ("crown", "object", "1f451"), ("anchor", "object", "2693"),
]


SUBJECT_NAMES = [s[0] for s in SUBJECTS]


# The subjects that all three styles draw in one colour: training captions sometimes name it ("a red apple").
SUBJECT_COLOURS = {
    "apple": "red", "banana": "yellow", "cherries": "red", "strawberry": "red", "carrot": "orange",
    "frog": "green", "sun": "yellow", "star": "yellow", "cactus": "green", "tree": "green", "crab": "red",
    "elephant": "grey", "whale": "blue", "light bulb": "yellow", "bee": "yellow", "crown": "yellow",
    "balloon": "red", "car": "red",
}


PLURAL_NOUNS = {"cherries"}  # take no article: "small cherries in the centre"


CATEGORIES = sorted({s[1] for s in SUBJECTS})


# Sizes: nominal longest side in pixels and the +- jitter. Two-object images use small and medium only.
SIZES = [("small", 20), ("medium", 30), ("large", 44)]


SIZE_NAMES = [s[0] for s in SIZES]


SIZE_JITTER = 2


POSITIONS = ["top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right"]


POSITION_PHRASES = ["in the top left", "at the top", "in the top right", "on the left", "in the centre",
                    "on the right", "in the bottom left", "at the bottom", "in the bottom right"]


MARGIN = 2  # pixels kept free at the canvas edge (before jitter)


MAX_POSITION_JITTER = 4


# Background palette: well separated in RGB; each image jitters its colour by up to BG_JITTER per channel.
BACKGROUNDS = [
    ("red", (210, 40, 40)), ("orange", (245, 130, 20)), ("yellow", (245, 215, 50)), ("green", (50, 160, 60)),
    ("turquoise", (30, 170, 170)), ("blue", (35, 85, 215)), ("purple", (125, 55, 175)),
    ("pink", (245, 155, 200)), ("white", (245, 245, 245)), ("black", (20, 20, 20)), ("grey", (128, 128, 128)),
]


BACKGROUND_NAMES = [b[0] for b in BACKGROUNDS]


BG_JITTER = 6


RELATIONS = ["left of", "right of", "above", "below"]


# (position of the first-named object, position of the second) for each relation
RELATION_POSITIONS = [(3, 5), (5, 3), (1, 7), (7, 1)]


CAPTION_LEVELS = 4


CAPTION_LEVEL_WEIGHTS = (0.2, 0.25, 0.25, 0.3)


LABEL_KEYS = ("subject", "style", "size", "position", "background")


class DatasetError(RuntimeError):
    """An expected failure, reported as one line (no traceback) by the CLI."""


def subject_names(sprites: Sprites | None = None) -> list[str]:
    return sprites.subject_names if sprites is not None else list(SUBJECT_NAMES)


def n_classes(sprites: Sprites | None = None) -> dict[str, int]:
    """Number of classes of each label a classifier predicts (keys: LABEL_KEYS)."""
    return {"subject": len(subject_names(sprites)), "style": len(STYLES), "size": len(SIZES),
            "position": len(POSITIONS), "background": len(BACKGROUNDS)}


@dataclass(frozen=True)
class Spec:
    """One image. (x, y) is the top-left corner of the object's px x px box. For two-object images the
    caption reads "<first> <relation> <second>"; subject2 is -1 for one-object images."""

    subject: int
    style: int
    size: int
    position: int
    background: int
    bg_rgb: tuple[int, int, int]
    px: int
    x: int
    y: int
    level: int = 3
    subject2: int = -1
    size2: int = -1
    position2: int = -1
    px2: int = 0
    x2: int = 0
    y2: int = 0
    relation: int = -1

    @property
    def two_objects(self) -> bool:
        return self.subject2 >= 0

    def objects(self):
        """(subject, px, x, y) of each object, in drawing order."""
        yield self.subject, self.px, self.x, self.y
        if self.two_objects:
            yield self.subject2, self.px2, self.x2, self.y2


def _index(value, names: list[str], what: str) -> int:
    if isinstance(value, str):
        try:
            return names.index(value)
        except ValueError:
            raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(names)}") from None
    value = int(value)
    if not 0 <= value < len(names):
        raise ValueError(f"{what} index {value} out of range 0..{len(names) - 1}")
    return value


def _style_index(style) -> int:
    """A style by index, id ("fluent3d") or caption words ("glossy 3d")."""
    if isinstance(style, str):
        for i, st in enumerate(STYLES):
            if style in (st["id"], st["words"]):
                return i
        raise ValueError(f"unknown style {style!r}; one of: {', '.join(s['id'] for s in STYLES)}")
    return _index(style, [st["id"] for st in STYLES], "style")


def _axis(slot: int, px: int, u: float) -> int:
    """Top-left coordinate along one axis for slot 0/1/2 (left/centre/right) and jitter u in [-1, 1]."""
    lo, hi = MARGIN + px / 2, IMAGE_SIZE - MARGIN - px / 2
    step = (hi - lo) / 2
    centre = lo + slot * step + min(MAX_POSITION_JITTER, step / 3) * u
    return _clip(round(centre - px / 2), 0, IMAGE_SIZE - px)


def _clip(v, lo: int, hi: int) -> int:
    return int(min(max(v, lo), hi))


def _half(first: bool, px: int, u: float) -> int:
    """Top-left coordinate of an object kept inside one half of the canvas (u in [0, 1] picks where)."""
    half = IMAGE_SIZE // 2
    lo, hi = 1 + px / 2, half - 1 - px / 2
    centre = (lo + hi) / 2 if hi < lo else lo + (hi - lo) * u
    if not first:
        centre += half
    return _clip(round(centre - px / 2), 0 if first else half, (half if first else IMAGE_SIZE) - px)


def _single(subject, style, size, position, background, bg_rgb, px, ux, uy, level) -> Spec:
    row, col = divmod(position, 3)
    return Spec(subject=subject, style=style, size=size, position=position, background=background,
                bg_rgb=tuple(int(c) for c in bg_rgb), px=px, x=_axis(col, px, ux), y=_axis(row, px, uy),
                level=level)


def _pair(subject, subject2, style, size, size2, relation, background, bg_rgb, px, px2, u1, u2, ucross,
          d1, d2, level) -> Spec:
    """Two objects: the first-named one in one half (left/right/top/bottom as the relation says), the other
    in the opposite half, both on a shared row (or column) with +-2 px independent wobble."""
    pos1, pos2 = RELATION_POSITIONS[relation]
    horizontal = relation in (0, 1)
    first_low = relation in (0, 2)  # "left of" / "above": the first-named object is nearer the origin
    a_along = _half(first_low, px, u1)
    b_along = _half(not first_low, px2, u2)
    big = max(px, px2)
    lo, hi = 1 + big / 2, IMAGE_SIZE - 1 - big / 2
    cross = lo + (hi - lo) * ucross
    a_cross = _clip(round(cross + d1 - px / 2), 0, IMAGE_SIZE - px)
    b_cross = _clip(round(cross + d2 - px2 / 2), 0, IMAGE_SIZE - px2)
    (x1, y1), (x2, y2) = ((a_along, a_cross), (b_along, b_cross)) if horizontal else \
        ((a_cross, a_along), (b_cross, b_along))
    return Spec(subject=subject, style=style, size=size, position=pos1, background=background,
                bg_rgb=tuple(int(c) for c in bg_rgb), px=px, x=x1, y=y1, level=level, subject2=subject2,
                size2=size2, position2=pos2, px2=px2, x2=x2, y2=y2, relation=relation)


def make_spec(subject, style=0, size="medium", position="centre", background="white", *, level: int = 3,
              subject2=None, relation=None, size2=None) -> Spec:
    """A spec from names (or indices), without jitter: nominal size, exact palette colour, the position's
    exact slot. With subject2 and relation it is a two-object image (size2 defaults to size)."""
    s = _index(subject, SUBJECT_NAMES, "subject")
    st = _style_index(style)
    sz = _index(size, SIZE_NAMES, "size")
    bg = _index(background, BACKGROUND_NAMES, "background")
    rgb = BACKGROUNDS[bg][1]
    if subject2 is None:
        p = _index(position, POSITIONS, "position")
        return _single(s, st, sz, p, bg, rgb, SIZES[sz][1], 0.0, 0.0, level)
    s2 = _index(subject2, SUBJECT_NAMES, "subject")
    rel = _index(relation if relation is not None else 0, RELATIONS, "relation")
    sz2 = _index(size2 if size2 is not None else sz, SIZE_NAMES, "size")
    if sz > 1 or sz2 > 1:
        raise ValueError("two-object images use small or medium objects only")
    return _pair(s, s2, st, sz, sz2, rel, bg, rgb, SIZES[sz][1], SIZES[sz2][1], 0.5, 0.5, 0.5, 0, 0, level)


def spec_for_subject(sprites: Sprites | None, subject: int, **overrides) -> Spec:
    """A canonical one-object spec for a subject: medium, centre, style and background varied by subject
    index (so detailed prompts over many subjects are not all alike). Keyword overrides go to make_spec."""
    n = len(subject_names(sprites))
    if not 0 <= subject < n:
        raise ValueError(f"subject index {subject} out of range 0..{n - 1}")
    args = {"style": subject % len(STYLES), "size": "medium", "position": "centre",
            "background": subject % len(BACKGROUNDS), **overrides}
    return make_spec(subject, **args)


def sample_specs(n: int, seed: int, two_object_fraction: float = 0.15,
                 level_weights=CAPTION_LEVEL_WEIGHTS) -> list[Spec]:
    """n random specs, a pure function of (n, seed, two_object_fraction, level_weights)."""
    rng = np.random.default_rng(seed)
    n_sub = len(SUBJECTS)
    two = rng.random(n) < two_object_fraction
    subject = rng.integers(n_sub, size=n)
    subject2 = (subject + rng.integers(1, n_sub, size=n)) % n_sub
    style = rng.integers(len(STYLES), size=n)
    size = rng.integers(len(SIZES), size=n)
    pair_sizes = rng.integers(2, size=(n, 2))
    px_jit = rng.integers(-SIZE_JITTER, SIZE_JITTER + 1, size=(n, 2))
    position = rng.integers(len(POSITIONS), size=n)
    relation = rng.integers(len(RELATIONS), size=n)
    background = rng.integers(len(BACKGROUNDS), size=n)
    bg_jit = rng.integers(-BG_JITTER, BG_JITTER + 1, size=(n, 3))
    u = rng.uniform(-1.0, 1.0, size=(n, 2))
    v = rng.random(size=(n, 3))
    wobble = rng.integers(-2, 3, size=(n, 2))
    p = np.asarray(level_weights, float)
    level = rng.choice(CAPTION_LEVELS, size=n, p=p / p.sum())
    palette = np.array([c for _, c in BACKGROUNDS])
    rgb = np.clip(palette[background] + bg_jit, 0, 255)
    specs = []
    for i in range(n):
        if two[i]:
            s1, s2 = int(pair_sizes[i, 0]), int(pair_sizes[i, 1])
            specs.append(_pair(int(subject[i]), int(subject2[i]), int(style[i]), s1, s2, int(relation[i]),
                               int(background[i]), rgb[i], SIZES[s1][1] + int(px_jit[i, 0]),
                               SIZES[s2][1] + int(px_jit[i, 1]), v[i, 0], v[i, 1], v[i, 2],
                               int(wobble[i, 0]), int(wobble[i, 1]), int(level[i])))
        else:
            sz = int(size[i])
            specs.append(_single(int(subject[i]), int(style[i]), sz, int(position[i]), int(background[i]),
                                 rgb[i], SIZES[sz][1] + int(px_jit[i, 0]), u[i, 0], u[i, 1], int(level[i])))
    return specs

