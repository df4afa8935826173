"""The house style every chapter imports: colours, fonts, the title card, pixel images, counters.

One accent colour per knob of the compass metaphor, used the same way in every chapter:
seed = where you start, prompt = the compass, steps = how often you check it, guidance = how hard you follow it.
"""

from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, DecimalNumber, FadeIn, FadeOut, ImageMobject, Line, MathTex,
                   Rectangle, Tex, TexTemplate, Text, VGroup, Write)
from manim import config as manim_config
from manim.constants import RESAMPLING_ALGORITHMS

# --- colours -------------------------------------------------------------------------------------
BACKGROUND = "#0e1015"
TEXT = "#ece6da"
MUTED = "#7d8490"
HIGHLIGHT = "#fde74c"  # numbers that matter
SEED = "#f6a04d"  # where you start
PROMPT = "#4fc3f7"  # the compass
STEPS = "#8bd346"  # how often you check it
GUIDANCE = "#ef5b5b"  # how hard you follow it
KNOB_COLOURS = {"seed": SEED, "prompt": PROMPT, "steps": STEPS, "guidance": GUIDANCE}

# --- type ----------------------------------------------------------------------------------------
FONT = "Latin Modern Roman"  # Computer-Modern look, shipped with TeX (fonts-lmodern)
MONO = "DejaVu Sans Mono"
# MathTex on plain `article` needs only texlive-latex-base (manim's default template wants latex-extra).
TEX_TEMPLATE = TexTemplate(
    documentclass=r"\documentclass{article}",
    preamble=r"\usepackage{amsmath}" "\n" r"\usepackage{amssymb}" "\n" r"\pagestyle{empty}",
)



def use_house_tex() -> None:
    """Make every Tex, MathTex and DecimalNumber (which builds its digits with MathTex) use our template."""
    manim_config.tex_template = TEX_TEMPLATE


use_house_tex()


def text(s: str, size: float = 36, color: str = TEXT, **kw) -> Text:
    return Text(s, font=FONT, font_size=size, color=color, **kw)


def math(*parts: str, size: float = 48, color: str = TEXT, **kw) -> MathTex:
    return MathTex(*parts, tex_template=TEX_TEMPLATE, font_size=size, color=color, **kw)


def tex(s: str, size: float = 40, color: str = TEXT) -> Tex:
    return Tex(s, tex_template=TEX_TEMPLATE, font_size=size, color=color)


def thousands(n: int) -> str:
    return f"{n:,}"


def tex_thousands(n: int) -> str:
    """29592 -> '29{,}592': a thousands comma in math mode without the space TeX puts after a comma."""
    return thousands(n).replace(",", "{,}")


def counter(value: float = 0, size: float = 48, color: str = HIGHLIGHT, places: int = 0) -> DecimalNumber:
    """A number that counts (animate with ChangeDecimalToValue) instead of popping into view."""
    return DecimalNumber(value, num_decimal_places=places, group_with_commas=True, font_size=size, color=color)


# --- images --------------------------------------------------------------------------------------
def pixel_image(array: np.ndarray, height: float) -> ImageMobject:
    """An image scaled with nearest-neighbour, so the model's real pixels stay visible."""
    img = ImageMobject(np.asarray(array, dtype=np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = height
    return img


def set_pixels(img: ImageMobject, rgb: np.ndarray) -> None:
    """Swap an ImageMobject's pixels in place (frame-by-frame sequences); its size and scaling stay."""
    img.pixel_array = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)


def mosaic(images: np.ndarray, cols: int, gap: int = 2, fill: int = 14) -> np.ndarray:
    """Tile N images (N, H, W, C) into one array: one ImageMobject renders far faster than N."""
    n, h, w, c = images.shape
    rows = -(-n // cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, c), fill, dtype=np.uint8)
    for i, im in enumerate(images):
        r, col = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, col * (w + gap): col * (w + gap) + w] = im
    return out


def frame_around(mob, color: str = MUTED, buff: float = 0.04) -> Rectangle:
    return Rectangle(width=mob.width + 2 * buff, height=mob.height + 2 * buff, color=color,
                     stroke_width=2).move_to(mob)


# --- title card ----------------------------------------------------------------------------------
def title_card(scene, number: int, question: str, hold: float = 1.2) -> VGroup:
    """Every chapter opens with its question. Returns the small header left at the top."""
    label = text(f"Chapter {number}", size=28, color=MUTED)
    title = text(question, size=56)
    rule = Line(LEFT * 3, RIGHT * 3, color=PROMPT, stroke_width=3)
    card = VGroup(label, title, rule).arrange(DOWN, buff=0.35)
    scene.play(FadeIn(label, shift=DOWN * 0.2), Write(title), run_time=1.2)
    scene.play(rule.animate.set_width(title.width + 0.6), run_time=0.5)
    scene.wait(hold)
    header = text(question, size=26, color=MUTED).to_corner(UP + LEFT, buff=0.35)
    scene.play(FadeOut(label), FadeOut(rule), title.animate.become(header), run_time=0.8)
    return VGroup(title)
