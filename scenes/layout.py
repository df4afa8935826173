"""The layout check: no two pieces of text overlap, no text lies on an image, nothing visible leaves the
frame's safe area, and no text is smaller than readable at 480p.

It looks at the scene as the viewer sees it after each animation and at the end of every beat. A
"text" is a Text, MathTex/Tex or DecimalNumber (the unit a viewer reads; its glyphs are not compared
with each other). Invisible mobjects (faded out but not removed) are ignored. A mobject can be let off
the safe-area test with ``full_bleed(mob)`` (a field of arrows or a starry background meant to fill the
frame); it must still stay on the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from manim import DecimalNumber, ImageMobject, Mobject, SingleStringMathTex, Text, VMobject

from .style import FRAME_H, FRAME_W, SAFE, Type

TEXT_TYPES = (Text, SingleStringMathTex, DecimalNumber)
OVERLAP_TOLERANCE = 0.02  # scene units: glyph boxes that only touch are not an overlap
SAFE_TOLERANCE = 0.05


class LayoutError(AssertionError):
    pass


def full_bleed(mob: Mobject) -> Mobject:
    """Mark a mobject as meant to reach past the safe area (it must stay inside the frame)."""
    mob.full_bleed = True
    return mob


@dataclass(frozen=True)
class Box:
    left: float
    right: float
    bottom: float
    top: float

    @classmethod
    def of(cls, mob: Mobject) -> "Box":
        lo, hi = mob.get_corner([-1, -1, 0]), mob.get_corner([1, 1, 0])
        return cls(lo[0], hi[0], lo[1], hi[1])

    def overlaps(self, other: "Box", tol: float = OVERLAP_TOLERANCE) -> bool:
        return (min(self.right, other.right) - max(self.left, other.left) > tol
                and min(self.top, other.top) - max(self.bottom, other.bottom) > tol)

    def outside(self, margin: float) -> bool:
        half_w, half_h = FRAME_W / 2 - margin + SAFE_TOLERANCE, FRAME_H / 2 - margin + SAFE_TOLERANCE
        return self.left < -half_w or self.right > half_w or self.bottom < -half_h or self.top > half_h


def unspoken(mob: Mobject) -> Mobject:
    """Mark a mobject's texts as ones the voice need not say (a title, tick numbers): the sync audit skips them."""
    for m in mob.get_family():
        m.unspoken = True
    return mob


def is_unspoken(mob: Mobject) -> bool:
    return getattr(mob, "unspoken", False)


def reading(mob: Mobject) -> str:
    """A text as the viewer reads it: a Text's words, a MathTex's source, a DecimalNumber's digits."""
    if isinstance(mob, Text):
        return " ".join(str(getattr(mob, "original_text", mob.text)).split())
    if isinstance(mob, SingleStringMathTex):
        return " ".join(mob.get_tex_string().split())
    if isinstance(mob, DecimalNumber):
        return f"{mob.get_value():,.{mob.num_decimal_places}f}"
    return ""


def describe(mob: Mobject) -> str:
    """How a failure names a mobject: its kind, its words, where it is."""
    if isinstance(mob, Text):
        what = f"Text {getattr(mob, 'original_text', mob.text)!r}"
    elif isinstance(mob, SingleStringMathTex):
        what = f"MathTex {mob.get_tex_string()!r}"
    elif isinstance(mob, DecimalNumber):
        what = f"number {mob.get_value():g}"
    else:
        what = type(mob).__name__
    x, y = mob.get_center()[:2]
    return f"{what} at ({x:.1f}, {y:.1f})"


def visible(mob: Mobject) -> bool:
    if isinstance(mob, ImageMobject):
        return getattr(mob, "fill_opacity", 1) > 0.01
    for m in mob.get_family():
        if isinstance(m, VMobject) and m.has_points():
            if m.get_fill_opacity() > 0.01 or (m.get_stroke_opacity() > 0.01 and m.get_stroke_width() > 0):
                return True
        elif isinstance(m, ImageMobject) and getattr(m, "fill_opacity", 1) > 0.01:
            return True
    return False


def texts_in(mobjects) -> list[Mobject]:
    """The readable text units among ``mobjects`` and their families (not descending into a text)."""
    found, todo = [], list(mobjects)
    while todo:
        mob = todo.pop(0)
        if isinstance(mob, TEXT_TYPES):
            if mob.width > 0 and visible(mob):
                found.append(mob)
            continue
        todo = list(mob.submobjects) + todo
    return found


def images_in(mobjects) -> list[ImageMobject]:
    found = []
    for mob in mobjects:
        found += [m for m in mob.get_family() if isinstance(m, ImageMobject) and visible(m)]
    return found


def font_size(mob: Mobject) -> float | None:
    try:
        return float(mob.font_size)
    except (AttributeError, ZeroDivisionError):
        return None


def find_problems(mobjects) -> list[str]:
    """Every layout problem among the scene's top-level mobjects, as sentences."""
    problems = []
    texts = texts_in(mobjects)
    boxes = [Box.of(t) for t in texts]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if boxes[i].overlaps(boxes[j]):
                problems.append(f"{describe(texts[i])} overlaps {describe(texts[j])}")
    for image in images_in(mobjects):
        for t, box in zip(texts, boxes):
            if box.overlaps(Box.of(image)):
                problems.append(f"{describe(t)} lies on an image (at ({image.get_x():.1f}, {image.get_y():.1f}))")
    for t in texts:
        size = font_size(t)
        if size is not None and size < Type.MINIMUM - 0.5:
            problems.append(f"{describe(t)} is too small to read at 480p (font size {size:.0f} < {Type.MINIMUM})")
    for mob in mobjects:
        if not visible(mob):
            continue
        bleed = getattr(mob, "full_bleed", False)
        if Box.of(mob).outside(0.0 if bleed else SAFE):
            where = "the frame" if bleed else "the safe area"
            inner = [t for t in texts_in([mob]) if Box.of(t).outside(SAFE)]
            problems.append(f"{describe(inner[0] if inner else mob)} leaves {where}")
    return problems


def check(scene_name: str, where: str, mobjects) -> None:
    problems = find_problems(mobjects)
    if problems:
        listed = "\n  - ".join(dict.fromkeys(problems))
        raise LayoutError(f"layout check failed in {scene_name}, {where}:\n  - {listed}\n"
                          f"(render with --no-layout-check to make a draft anyway)")
