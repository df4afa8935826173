"""Training images composed on the fly, in pure numpy: a flat background, then the spec's sprites "over" it
(premultiplied alpha, float32, rounded once)."""

from __future__ import annotations

import numpy as np

from .captions import caption_for
from .specs import IMAGE_SIZE, Spec
from .sprites import Sprites


def _render(sprites: Sprites, specs: list[Spec]) -> np.ndarray:
    """uint8 (n, 64, 64, 3): each spec's background, then its sprites composited "over" it in order
    (premultiplied alpha, float32, rounded once at the end)."""
    bg = np.array([s.bg_rgb for s in specs], np.float32).reshape(len(specs), 1, 1, 3)
    canvas = np.ascontiguousarray(np.broadcast_to(bg, (len(specs), IMAGE_SIZE, IMAGE_SIZE, 3)))
    for i, spec in enumerate(specs):
        for subject, px, x, y in spec.objects():
            keep, add = sprites.over_terms(px)
            r = sprites.row(subject, spec.style)
            region = canvas[i, y:y + px, x:x + px]
            region *= keep[r]
            region += add[r]
    return np.rint(canvas).astype(np.uint8)


def compose(sprites: Sprites, spec: Spec) -> np.ndarray:
    """The spec's image: uint8 (64, 64, 3). Pure numpy; a function of the spec alone."""
    return _render(sprites, [spec])[0]


def make_batch(sprites: Sprites, specs: list[Spec]):
    """(images uint8 [n, 64, 64, 3], captions at each spec's level, labels: dict of int64 arrays).

    Labels: subject, style, size, position, background (for two-object images: the first-named object's
    subject, size and side), level, n_objects, and subject2, size2, position2, relation (-1 when absent)."""
    n = len(specs)
    images = _render(sprites, specs) if n else np.empty((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    captions = [caption_for(s, s.level) for s in specs]
    keys = ("subject", "style", "size", "position", "background", "level", "subject2", "size2", "position2",
            "relation")
    labels = {k: np.array([getattr(s, k) for s in specs], np.int64).reshape(n) for k in keys}
    labels["n_objects"] = np.array([2 if s.two_objects else 1 for s in specs], np.int64).reshape(n)
    return images, captions, labels

