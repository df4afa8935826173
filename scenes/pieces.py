"""House pieces every chapter builds from: text, counters, image panels, image grids, plots, the knob legend
and the title card. Sizes come from the type scale and the layout slots (scenes/style.py), never from
chapter code. The compass and the walker live in scenes/compass.py.
"""

from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Axes, ChangeDecimalToValue, Create, DashedLine, DecimalNumber, Dot,
                   FadeIn, FadeOut, Group, GrowFromEdge, ImageMobject, LaggedStart, Line, MathTex, Rectangle, RoundedRectangle, Text, VGroup,
                   VMobject)
from manim.constants import RESAMPLING_ALGORITHMS

from .layout import unspoken
from .style import (FONT, GAP, HIGHLIGHT, KNOBS, MUTED, NUDGE, PROMPT, SMALL_GAP, TEX_TEMPLATE, TEXT, Pace, Slot,
                    Slots, Type)


# --- text ------------------------------------------------------------------------------------------
def text(s: str, size: float = Type.BODY, color: str = TEXT, **kw) -> Text:
    return Text(s, font=FONT, font_size=size, color=color, **kw)


def math(*parts: str, size: float = Type.BODY, color: str = TEXT, **kw) -> MathTex:
    return MathTex(*parts, tex_template=TEX_TEMPLATE, font_size=size, color=color, **kw)


def thousands(n: int) -> str:
    return f"{n:,}"


def tex_thousands(n: int) -> str:
    """29592 -> '29{,}592': a thousands comma in math mode without the space TeX puts after a comma."""
    return thousands(n).replace(",", "{,}")


def text_parts(parts: list[str], size: float = Type.BODY, color: str = TEXT) -> VGroup:
    """One line of text in consecutive parts that can show one at a time, each as the voice says it: each part
    is its own Text, set exactly where it sits in the whole line (``parts`` joined as written)."""
    whole, glyphs, placed = text("".join(parts), size=size, color=color), 0, VGroup()
    for part in parts:
        n = len(part.replace(" ", ""))  # one glyph per character, spaces excluded
        in_place = VGroup(*whole.submobjects[glyphs:glyphs + n])
        placed.add(text(part.strip(), size=size, color=color).move_to(in_place))
        glyphs += n
    return placed


class WordLines(VGroup):
    """Words set in lines no wider than ``width`` (text does not wrap by itself); ``words`` keeps them in
    reading order, so they can appear one at a time. Each line is one Text, so words share a baseline."""

    def __init__(self, words: list[str], width: float, size: float = Type.BODY, color: str = TEXT):
        lines, line = [], []
        for word in words:
            if line and text(" ".join(line + [word]), size=size).width > width:
                lines.append(line)
                line = []
            line.append(word)
        lines.append(line)
        rows, self.words = [], []
        for ln in lines:
            row = text(" ".join(ln), size=size, color=color)
            chars = iter(row.submobjects)  # one glyph per character, spaces excluded
            self.words += [VGroup(*[next(chars) for _ in word]) for word in ln]
            rows.append(row)
        super().__init__(*rows)
        self.arrange(DOWN, aligned_edge=LEFT, buff=SMALL_GAP)


def counter(value: float = 0, size: float = Type.NUMBER, color: str = HIGHLIGHT, places: int = 0) -> DecimalNumber:
    """A number that counts (animate with ChangeDecimalToValue) instead of popping into view."""
    return DecimalNumber(value, num_decimal_places=places, group_with_commas=True, font_size=size, color=color)


class LabelledCounter(VGroup):
    """'label  123' where the number counts; the number stays beside its label as its width changes."""

    def __init__(self, label: str, value: float = 0, places: int = 0, color: str = HIGHLIGHT,
                 size: float = Type.BODY, number_size: float = Type.NUMBER, label_color: str = TEXT):
        self.label = text(label, size=size, color=label_color)
        self.number = counter(value, size=number_size, color=color, places=places)
        super().__init__(self.label, self.number)
        self.arrange(RIGHT, buff=GAP)
        self.number.add_updater(lambda m: m.next_to(self.label, RIGHT, buff=GAP))

    def count_to(self, value: float, **kw):
        return ChangeDecimalToValue(self.number, value, **kw)


# --- images ------------------------------------------------------------------------------------------
def pixel_image(array: np.ndarray, height: float) -> ImageMobject:
    """An image scaled with nearest-neighbour, so the model's real pixels stay visible."""
    img = ImageMobject(np.asarray(array, dtype=np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = height
    return img


def empty_canvas(width: int, height: int) -> np.ndarray:
    """A faint checkerboard of width x height pixels: the canvas before anything is painted on it."""
    checker = (np.add.outer(np.arange(height), np.arange(width)) % 2) * 18 + 24
    return np.repeat(checker[..., None], 3, axis=2).astype(np.uint8)


def set_pixels(img: ImageMobject, rgb: np.ndarray) -> None:
    """Swap an ImageMobject's pixels in place (frame-by-frame sequences); its size and scaling stay."""
    img.pixel_array = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)


def frame_around(mob, color: str = MUTED, buff: float = 0.04) -> Rectangle:
    return Rectangle(width=mob.width + 2 * buff, height=mob.height + 2 * buff, color=color,
                     stroke_width=2).move_to(mob)


class ImagePanel(Group):
    """A pixel image in a coloured frame, a label above and an optional caption below, sized to a slot."""

    def __init__(self, rgb: np.ndarray, slot: Slot, label: str | VMobject = "", caption: str = "",
                 color: str = MUTED, label_color: str = TEXT, caption_color: str | None = None):
        self.label = (text(label, size=Type.CAPTION, color=label_color) if isinstance(label, str) else label)
        self.caption = text(caption or " ", size=Type.CAPTION, color=caption_color or color)
        room = slot.height - self.label.height - self.caption.height - 2 * SMALL_GAP - 0.1
        side = min(room, slot.width)
        self.image = pixel_image(rgb, side)
        self.frame = frame_around(self.image, color=color)
        self.label.next_to(self.frame, UP, buff=SMALL_GAP)
        self.caption.next_to(self.frame, DOWN, buff=SMALL_GAP)
        parts = [self.image, self.frame] + ([self.label] if label else []) + ([self.caption] if caption else [])
        super().__init__(*parts)
        self.move_to(slot.center)

    def show(self, rgb: np.ndarray) -> None:
        set_pixels(self.image, rgb)

    def play_frames(self, frames: np.ndarray, tracker) -> None:
        """Show frames[round(tracker)] on every frame: animate the tracker to walk through a sequence."""
        self.image.add_updater(lambda m: set_pixels(m, frames[int(round(tracker.get_value()))]))

    def retitle(self, label: str | None = None, caption: str | None = None, color: str | None = None):
        """Animations that swap the label and/or caption for new words (and recolour the frame)."""
        anims = []
        for attr, words in (("label", label), ("caption", caption)):
            if words is None:
                continue
            old = getattr(self, attr)
            fresh = text(words, size=Type.CAPTION, color=color or old.get_color())
            fresh.move_to(old).align_to(self.frame, LEFT) if attr == "label" else fresh.move_to(old)
            anims += [FadeOut(old), FadeIn(fresh)]
            setattr(self, attr, fresh)
            self.submobjects = [fresh if m is old else m for m in self.submobjects]
        if color:
            anims.append(self.frame.animate.set_color(color))
        return anims

    def arrive(self):
        return [FadeIn(self.image), Create(self.frame)] + [FadeIn(m) for m in self.submobjects[2:]]


def mosaic(images: np.ndarray, cols: int, gap: int = 2, fill: int = 14) -> np.ndarray:
    """Tile N images (N, H, W, C) into one array: one ImageMobject renders far faster than N."""
    n, h, w, c = images.shape
    rows = -(-n // cols)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, c), fill, dtype=np.uint8)
    for i, im in enumerate(images):
        r, col = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, col * (w + gap): col * (w + gap) + w] = im
    return out


class ImageGrid(Group):
    """N images as one mosaic (fast), with optional row labels on the left and column labels on top."""

    GAP_PX = 2

    def __init__(self, images: np.ndarray, cols: int, slot: Slot, row_labels=(), col_labels=(),
                 label_color: str = MUTED):
        self.rows, self.cols = -(-len(images) // cols), cols
        self.tile = images.shape[1]
        self.image = pixel_image(mosaic(images, cols, gap=self.GAP_PX), 1.0)
        self.row_labels = VGroup(*[text(s, size=Type.LABEL, color=label_color) for s in row_labels])
        self.col_labels = VGroup(*[text(s, size=Type.LABEL, color=label_color) for s in col_labels])
        label_w = max((m.width for m in self.row_labels), default=0) + (GAP if len(row_labels) else 0)
        label_h = max((m.height for m in self.col_labels), default=0) + (GAP if len(col_labels) else 0)
        px_w = cols * self.tile + (cols - 1) * self.GAP_PX
        px_h = self.rows * self.tile + (self.rows - 1) * self.GAP_PX
        unit = min((slot.width - label_w) / px_w, (slot.height - label_h) / px_h)  # scene units per pixel
        self.image.height = unit * px_h
        self.image.move_to(slot.center + np.array([label_w / 2, -label_h / 2, 0]))
        for r, lab in enumerate(self.row_labels):
            lab.next_to(self.cell_center(r, 0), LEFT, buff=unit * self.tile / 2 + GAP)
        for c, lab in enumerate(self.col_labels):
            lab.next_to(self.cell_center(0, c), UP, buff=unit * self.tile / 2 + SMALL_GAP)
        super().__init__(self.image, self.row_labels, self.col_labels)

    def show(self, images: np.ndarray) -> None:
        """Swap every tile for new images of the same count and size (the grid's layout stays)."""
        set_pixels(self.image, mosaic(images, self.cols, gap=self.GAP_PX))

    def play_frames(self, frames: np.ndarray, tracker) -> None:
        """Show frames[round(tracker)] (each an [N, H, W, 3] set of tiles) on every frame: N walks at once."""
        self.image.add_updater(lambda m: self.show(frames[int(round(tracker.get_value()))]))

    def fill_in(self, images: np.ndarray, tracker) -> None:
        """Show the first round(tracker) tiles of ``images`` and leave the rest dark: the grid fills in order."""
        blank = np.zeros_like(images)
        order = np.arange(len(images))[:, None, None, None]
        self.image.add_updater(lambda m: self.show(np.where(order < tracker.get_value(), images, blank)))

    def cell_center(self, row: int, col: int) -> np.ndarray:
        step = self.image.width / (self.cols * self.tile + (self.cols - 1) * self.GAP_PX) * (self.tile + self.GAP_PX)
        corner = self.image.get_corner(UP + LEFT)
        half = step * self.tile / (self.tile + self.GAP_PX) / 2
        return corner + RIGHT * (col * step + half) + DOWN * (row * step + half)

    def cell_size(self) -> float:
        return self.image.width / (self.cols * self.tile + (self.cols - 1) * self.GAP_PX) * self.tile

    def highlight(self, row: int, col: int, color: str = HIGHLIGHT) -> Rectangle:
        side = self.cell_size() + 0.06
        return Rectangle(width=side, height=side, color=color, stroke_width=3).move_to(self.cell_center(row, col))


# --- plots -----------------------------------------------------------------------------------------
class HousePlot(VGroup):
    """Axes in house style, sized to a slot: the y label reads horizontally above the axis, the x label below;
    curves draw themselves, points get marks."""

    def __init__(self, slot: Slot, x_range, y_range, x_label: str, y_label: str, x_numbers=True, y_numbers=True,
                 places: int = 0):
        self.x_label = text(x_label, size=Type.LABEL, color=MUTED)
        self.y_label = text(y_label, size=Type.LABEL, color=MUTED)
        numbers_room, end_room = 0.6, 0.4  # tick numbers left of/below the axes; marks past the ends
        left, bottom = numbers_room, numbers_room + self.x_label.height + GAP
        top = self.y_label.height + GAP
        self.axes = Axes(x_range=x_range, y_range=y_range, x_length=slot.width - left - 2 * end_room,
                         y_length=slot.height - bottom - top - end_room, tips=False,
                         axis_config={"color": MUTED, "font_size": Type.LABEL,
                                      "decimal_number_config": {"num_decimal_places": places}},
                         x_axis_config={"include_numbers": x_numbers}, y_axis_config={"include_numbers": y_numbers})
        unspoken(self.axes)  # tick numbers are read off the axes, not said
        # Put the plotting area itself (not the numbers around it) in the room the labels leave.
        origin = self.axes.c2p(x_range[0], y_range[0])
        self.axes.shift(np.array([slot.left + left + end_room, slot.bottom + bottom, 0]) - origin)
        self.x_label.next_to(self.axes.x_axis, DOWN, buff=numbers_room)
        self.y_label.next_to(self.axes.y_axis, UP, buff=GAP).align_to(self.axes.y_axis, LEFT)
        super().__init__(self.axes, self.x_label, self.y_label)

    def point(self, x: float, y: float) -> np.ndarray:
        return self.axes.c2p(x, y)

    def curve(self, xs, ys, color: str = PROMPT, width: float = 4) -> VMobject:
        return VMobject(color=color, stroke_width=width).set_points_as_corners(
            [self.axes.c2p(float(x), float(y)) for x, y in zip(xs, ys)])

    def mark(self, x: float, y: float, label: str, color: str = HIGHLIGHT, direction=UP + RIGHT) -> VGroup:
        dot = Dot(self.point(x, y), color=color)
        return VGroup(dot, text(label, size=Type.LABEL, color=color).next_to(dot, direction, buff=0.08))

    def arrive(self):
        return [Create(self.axes), FadeIn(self.x_label), FadeIn(self.y_label)]


class MeterRows(VGroup):
    """Shares (0..1) as labelled horizontal bars, one row each, with a dashed tick at each row's reference
    (e.g. what guessing would score) and the value in percent at the bar's end. ``grow()`` animates them."""

    def __init__(self, slot: Slot, rows: list[tuple[str, float, float | None]], color: str = HIGHLIGHT,
                 reference_color: str = MUTED):
        super().__init__()
        labels = [text(name, size=Type.BODY) for name, _, _ in rows]
        label_w = max(m.width for m in labels) + GAP
        value_w = text("100%", size=Type.BODY).width + GAP
        full = slot.width - label_w - value_w  # the length of a bar at 100 %
        left = slot.left + label_w
        self.labels, self.bars, self.values, self.ticks = VGroup(), VGroup(), VGroup(), VGroup()
        for (_name, share, reference), label, row in zip(rows, labels, slot.stack(len(rows))):
            height = min(row.height * 0.6, Type.BODY / 48)
            bar = Rectangle(width=max(full * share, 1e-3), height=height, color=color, fill_opacity=0.85,
                            stroke_width=0).move_to([left, row.y, 0], aligned_edge=LEFT)
            label.next_to(bar, LEFT, buff=GAP).set_x(slot.left + label_w - GAP - label.width / 2)
            value = text(f"{100 * share:.0f}%", size=Type.BODY, color=color).next_to(bar, RIGHT, buff=GAP)
            self.labels.add(label)
            self.bars.add(bar)
            self.values.add(value)
            if reference is not None:
                x = left + full * reference
                self.ticks.add(DashedLine([x, row.y - height, 0], [x, row.y + height, 0], color=reference_color))
        self.add(self.labels, self.bars, self.values, self.ticks)

    def grow(self):
        return [GrowFromEdge(bar, LEFT) for bar in self.bars] + [FadeIn(self.values, lag_ratio=0.2),
                                                                 Create(self.ticks)]


# --- diagrams -------------------------------------------------------------------------------------
class Chip(VGroup):
    """A rounded box with a name and, under it, a smaller note (a token and its id, a part and its shape)."""

    def __init__(self, name: str, note: str = "", color: str = PROMPT, size: float = Type.CAPTION):
        self.name = text(name, size=size, color=TEXT)
        self.note = text(note or " ", size=Type.LABEL, color=MUTED)
        inner = VGroup(self.name, self.note).arrange(DOWN, buff=SMALL_GAP / 2) if note else VGroup(self.name)
        self.box = RoundedRectangle(corner_radius=0.12, width=inner.width + 2 * GAP, height=inner.height + 2 * GAP,
                                    color=color, stroke_width=2).move_to(inner)
        super().__init__(self.box, *inner)


class Flow(VGroup):
    """Chips in a row joined by arrows: a pipeline read left to right (each chapter brings its stages in)."""

    def __init__(self, chips: list[Chip], slot: Slot):
        self.chips = chips
        row = VGroup(*chips).arrange(RIGHT, buff=GAP * 4)
        slot.place(row)
        self.arrows = [Arrow(a.get_right(), b.get_left(), buff=SMALL_GAP, color=MUTED, stroke_width=3,
                             max_tip_length_to_length_ratio=0.3) for a, b in zip(chips, chips[1:])]
        super().__init__(*chips, *self.arrows)


# --- maps of measured points ---------------------------------------------------------------------
class DataPlane(VGroup):
    """A 2D map of measured coordinates (a PCA or UMAP plane) fitted into a slot, the same scale on both
    axes, inside a faint frame. ``to_scene`` maps data coordinates; ``path`` and ``dots`` draw them."""

    def __init__(self, slot: Slot, points: np.ndarray, frame: bool = True):
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        room = np.array([slot.width, slot.height]) - 2 * GAP
        self.unit = float(min(room / np.maximum(hi - lo, 1e-9)))  # scene units per data unit
        self.middle, self.centre = (lo + hi) / 2, slot.center
        super().__init__()
        if frame:
            self.add(Rectangle(width=slot.width, height=slot.height, color=MUTED, stroke_width=1,
                               stroke_opacity=0.5).move_to(slot.center))

    def to_scene(self, xy) -> np.ndarray:
        xy = (np.asarray(xy, dtype=float) - self.middle) * self.unit
        return self.centre + np.concatenate([xy, np.zeros(xy.shape[:-1] + (1,))], axis=-1)

    def path(self, xys, color: str = PROMPT, width: float = 3, opacity: float = 1.0) -> VMobject:
        return VMobject(stroke_color=color, stroke_width=width, stroke_opacity=opacity).set_points_as_corners(
            list(self.to_scene(xys)))

    def dots(self, xys, color: str = TEXT, radius: float = 0.05, opacity: float = 1.0) -> VGroup:
        return VGroup(*[Dot(p, radius=radius, color=color, fill_opacity=opacity) for p in self.to_scene(xys)])


# --- the knobs ---------------------------------------------------------------------------------------
class KnobLegend(VGroup):
    """The four knobs in their colours, stacked; ``active`` names the knob a chapter turns (others dimmed)."""

    def __init__(self, active: str | None = None, with_meaning: bool = False, size: float = Type.CAPTION):
        rows = []
        for name, color, meaning in KNOBS:
            row = VGroup(Dot(color=color, radius=0.08), text(name, size=size, color=color))
            if with_meaning:
                row.add(text(meaning, size=size, color=MUTED))
            row.arrange(RIGHT, buff=SMALL_GAP + 0.05)
            if active and name != active:
                row.set_opacity(0.35)
            rows.append(row)
        super().__init__(*rows)
        self.arrange(DOWN, aligned_edge=LEFT, buff=GAP + 0.1)
        self.rows = dict(zip([k[0] for k in KNOBS], rows))


# --- the title card ------------------------------------------------------------------------------------
class TitleCard:
    """Every chapter opens with its question, built word by word while the opening speech lasts, its rule
    widening under it; it then shrinks to a header in the top-left corner."""

    LEAVE = Pace.NORMAL
    BUILD_SHARE = 0.8  # of the opening: the question's words arrive, then the rule widens for the rest

    def __init__(self, number: int, question: str):
        self.label = text(f"Chapter {number}", size=Type.LABEL + 4, color=MUTED)
        self.title = text(question, size=Type.TITLE)
        if self.title.width > Slots.FRAME.width:
            self.title.scale_to_fit_width(Slots.FRAME.width)
        self.rule = Line(LEFT * 3, RIGHT * 3, color=PROMPT, stroke_width=3)
        VGroup(self.label, self.title, self.rule).arrange(DOWN, buff=0.35)
        chars = iter(self.title.submobjects)  # one glyph per character, spaces excluded
        self.words = [VGroup(*[next(chars) for _ in word]) for word in question.split()]
        self.header = text(question, size=Type.HEADER, color=MUTED)
        self.header.move_to(Slots.HEADER.center).align_to(Slots.HEADER.left * RIGHT, LEFT)
        for part in (self.label, self.title, self.header):
            unspoken(part)  # the question stays on screen all chapter: no one word of the voice times it

    def arrive(self):
        """Two steps: the label and the question word by word, then the rule widening under it."""
        return ([FadeIn(self.label, shift=DOWN * NUDGE),
                 LaggedStart(*[FadeIn(w, shift=UP * NUDGE) for w in self.words], lag_ratio=0.6)],
                [self.rule.animate.set_width(self.title.width + 2 * GAP)])

    def leave(self):
        return [FadeOut(self.label), FadeOut(self.rule), self.title.animate.become(self.header)]
