"""The house style as named values: colours, the type scale, pacing, and the layout slots of the frame.

Chapter code says ``Type.CAPTION``, ``Pace.QUICK`` or ``Slots.LEFT_PANEL``, never a number: one edit here
restyles every chapter. One accent colour per knob of the compass metaphor, used the same way everywhere:
seed = where you start, prompt = the compass, steps = how often you check it, guidance = how hard you follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import TexTemplate
from manim import config as manim_config

# --- colours -------------------------------------------------------------------------------------
BACKGROUND = "#0e1015"
TEXT = "#ece6da"
MUTED = "#7d8490"
HIGHLIGHT = "#fde74c"  # numbers that matter
SEED = "#f6a04d"  # where you start
PROMPT = "#4fc3f7"  # the compass
STEPS = "#8bd346"  # how often you check it
GUIDANCE = "#ef5b5b"  # how hard you follow it
KNOBS = (("seed", SEED, "where you start"), ("prompt", PROMPT, "the compass"),
         ("steps", STEPS, "how often you check it"), ("guidance", GUIDANCE, "how hard you follow it"))
RGB_CHANNELS = ("#ff5c5c", "#5cff7a", "#5c8cff")  # red, green, blue as drawn on screen
# Categories in data (prompt families, shapes): soft colours that never read as one of the knobs.
PALETTE = ("#c39bd3", "#f1948a", "#76d7c4", "#f7dc6f", "#85c1e9", "#d5dbdb")


# --- type ------------------------------------------------------------------------------------------
class Type:
    """Font sizes. Nothing on screen is smaller than MINIMUM (the layout check enforces it at 480p)."""

    DISPLAY = 84  # the one formula or figure a beat is about
    TITLE = 56
    HEADING = 36
    NUMBER = 44  # a figure that matters, counted up
    BODY = 30
    CAPTION = 24
    LABEL = 22  # axis labels, grid labels, small tags
    HEADER = 26  # the question kept in the corner after the title card
    MINIMUM = 18


FONT = "Latin Modern Roman"  # Computer-Modern look, shipped with TeX (fonts-lmodern)
# MathTex on plain `article` needs only texlive-latex-base (manim's default template wants latex-extra).
TEX_TEMPLATE = TexTemplate(
    documentclass=r"\documentclass{article}",
    preamble=r"\usepackage{amsmath}" "\n" r"\usepackage{amssymb}" "\n" r"\pagestyle{empty}",
)


def use_house_tex() -> None:
    """Make every Tex, MathTex and DecimalNumber (which builds its digits with MathTex) use our template."""
    manim_config.tex_template = TEX_TEMPLATE


# --- pacing ----------------------------------------------------------------------------------------
class Pace:
    """Animation lengths in seconds. A beat shortens them when its narration leaves less time."""

    QUICK = 0.5  # a fade, a highlight
    NORMAL = 1.0  # an object arriving
    SLOW = 1.6  # a formula being written
    SETTLE = 0.6  # left still at the end of a filling animation, so the eye can land
    STILL_WARNING = 4.0  # a beat that holds a still picture longer than this is reported


# --- layout ------------------------------------------------------------------------------------------
FRAME_W, FRAME_H = 14.0 + 2 / 9, 8.0  # manim's 16:9 frame in scene units
SAFE = 0.35  # margin kept free at every edge of the frame
GAP = 0.2  # the usual space between neighbours
SMALL_GAP = 0.12  # a label and the thing it names
NUDGE = 0.25  # how far things drift as they fade in or out


@dataclass(frozen=True)
class Slot:
    """A rectangle of the frame that content is placed into (centre x, y and size, in scene units)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> np.ndarray:
        return np.array([self.x, self.y, 0.0])

    @property
    def top(self) -> float:
        return self.y + self.height / 2

    @property
    def bottom(self) -> float:
        return self.y - self.height / 2

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    def place(self, mob, grow: bool = False):
        """Centre ``mob`` in the slot, scaled down to fit (up too, with ``grow``). Returns ``mob``."""
        scale = min(self.width / max(mob.width, 1e-6), self.height / max(mob.height, 1e-6))
        if scale < 1 or grow:
            mob.scale(scale)
        return mob.move_to(self.center)

    def below(self, y: float, gap: float = GAP) -> "Slot":
        """The part of the slot under height ``y`` (with a gap): room left under a title or a prompt."""
        top = min(self.top, y - gap)
        return Slot(self.x, (top + self.bottom) / 2, self.width, top - self.bottom)

    def split(self, n: int, gap: float = GAP) -> list["Slot"]:
        """n equal slots side by side."""
        w = (self.width - gap * (n - 1)) / n
        return [Slot(self.left + w / 2 + i * (w + gap), self.y, w, self.height) for i in range(n)]

    def columns(self, *weights: float, gap: float = GAP) -> list["Slot"]:
        """Slots side by side with widths in proportion to ``weights`` (e.g. 1, 2: a third and two thirds)."""
        room, out, left = self.width - gap * (len(weights) - 1), [], self.left
        for w in weights:
            width = room * w / sum(weights)
            out.append(Slot(left + width / 2, self.y, width, self.height))
            left += width + gap
        return out

    def rows(self, *weights: float, gap: float = GAP) -> list["Slot"]:
        """Slots top to bottom with heights in proportion to ``weights`` (e.g. 4, 1: a picture and its caption)."""
        room, out, top = self.height - gap * (len(weights) - 1), [], self.top
        for w in weights:
            height = room * w / sum(weights)
            out.append(Slot(self.x, top - height / 2, self.width, height))
            top -= height + gap
        return out

    def stack(self, n: int, gap: float = GAP) -> list["Slot"]:
        """n equal slots top to bottom."""
        h = (self.height - gap * (n - 1)) / n
        return [Slot(self.x, self.top - h / 2 - i * (h + gap), self.width, h) for i in range(n)]


def _between(left: float, right: float, bottom: float, top: float) -> Slot:
    return Slot((left + right) / 2, (bottom + top) / 2, right - left, top - bottom)


_L, _R = -FRAME_W / 2 + SAFE, FRAME_W / 2 - SAFE
_T, _B = FRAME_H / 2 - SAFE, -FRAME_H / 2 + SAFE
_HEADER_H, _STRIP_H = 0.55, 0.7


class Slots:
    """The frame's layout: a corner header, the stage below it, a bottom strip, and the stage's halves."""

    FRAME = _between(_L, _R, _B, _T)  # the whole safe area
    HEADER = _between(_L, _R, _T - _HEADER_H, _T)
    STAGE = _between(_L, _R, _B + _STRIP_H + GAP, _T - _HEADER_H - GAP)
    BOTTOM_STRIP = _between(_L, _R, _B, _B + _STRIP_H)
    PAGE = _between(_L, _R, _B + _STRIP_H + GAP, _T)  # all above the bottom strip (no header): a page of text
    LEFT_PANEL, RIGHT_PANEL = STAGE.split(2, gap=0.6)
    LEFT_THIRD = _between(_L, _L + (_R - _L) / 3, STAGE.bottom, STAGE.top)
    RIGHT_TWO_THIRDS = _between(LEFT_THIRD.right + GAP, _R, STAGE.bottom, STAGE.top)
