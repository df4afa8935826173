"""What the earlier beats leave for the next one: a digest of the scene's state at a beat's start.

A beat is rendered on its own by running the chapter with every other beat's animations skipped (each jumps
to its end), so the frames a beat draws depend on its own code, its data and time budget, and on the state it
starts from. This digest stands for that state: every mobject on screen and every mobject, array or plain
value the chapter keeps in its own attributes (``self.row``, ``self.k``, ...), by geometry, colour, image
pixels, z-order and updaters (by name: what an updater keeps in its closure is not read, so an updater
must draw from the clock or a tracker, never from a count of its own calls).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
from manim import Mobject

# The per-point and per-pixel arrays Manim draws from (VMobject, ImageMobject, PMobject).
_DRAWN_ARRAYS = ("points", "fill_rgbas", "stroke_rgbas", "background_stroke_rgbas", "pixel_array", "rgbas")


def state_digest(on_screen: Iterable[Mobject], kept: Mapping[str, object]) -> str:
    h = hashlib.blake2b(digest_size=16)
    seen: set[int] = set()

    def mobject(m: Mobject) -> None:
        for sub in m.get_family():
            if id(sub) in seen:
                h.update(b"again")
                continue
            seen.add(id(sub))
            h.update(type(sub).__name__.encode())
            for attr in _DRAWN_ARRAYS:
                a = getattr(sub, attr, None)
                if isinstance(a, np.ndarray):
                    h.update(attr.encode() + np.ascontiguousarray(a).tobytes())
            h.update(repr((sub.z_index, getattr(sub, "stroke_width", None),
                           [getattr(u, "__qualname__", type(u).__name__) for u in sub.updaters])).encode())

    def value(v: object) -> None:
        if isinstance(v, Mobject):
            mobject(v)
        elif isinstance(v, np.ndarray):
            h.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (list, tuple)):
            h.update(b"[")
            for item in v:
                value(item)
            h.update(b"]")
        elif isinstance(v, Mapping):
            for k in sorted(v, key=str):
                h.update(str(k).encode())
                value(v[k])
        elif v is None or isinstance(v, (bool, int, float, str, np.generic)):
            h.update(repr(v).encode())
        elif callable(v) or id(v) in seen:  # a function kept for later, or a helper already described
            h.update(getattr(v, "__qualname__", type(v).__name__).encode())
        else:  # helpers holding mobjects (a plot's axes, a walker): their own attributes
            seen.add(id(v))
            h.update(type(v).__name__.encode())
            value({k: x for k, x in vars(v).items() if not k.startswith("_")} if hasattr(v, "__dict__") else {})

    h.update(b"on screen")
    for m in on_screen:
        mobject(m)
    h.update(b"kept")
    for name in sorted(kept):
        h.update(name.encode())
        value(kept[name])
    return h.hexdigest()
