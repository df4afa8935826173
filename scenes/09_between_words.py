"""Chapter 09 — What lies between two prompts?

Storyboard: the two prompts' pictures from the same noise -> the conditioning slid from one to the other,
one picture morphing as t runs from 0 to 1 -> all 17 stops as a grid, the biggest change marked -> the
label judge's probability of each subject along t, the switch marked -> the path on a 2D map of the
neighbourhood, walked with the picture beside it -> the whole path as one strip. Every image, curve and
figure is from build/data/09_between_words.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, DashedLine, Dot, FadeIn, FadeOut, Group, GrowArrow,
                   Indicate, LaggedStart, Line, ValueTracker, VGroup, always_redraw, linear)

from scenes.beats import ChapterScene, beat
from scenes.compass import Walker
from scenes.pieces import DataPlane, HousePlot, ImageGrid, ImagePanel, LabelledCounter, text, text_parts
from scenes.style import GAP, HIGHLIGHT, MUTED, PALETTE, PROMPT, SMALL_GAP, Pace, Slots, Type

A_COLOUR, B_COLOUR = PALETTE[0], PALETTE[1]  # the butterfly's and the snail's curves, dots and frames
GRID_COLS = 6


class BetweenWords(ChapterScene):
    @beat
    def ends(self, b):
        """The two prompts' pictures, from the same noise."""
        self.images, self.t = self.array("images"), self.array("t")
        self.last = len(self.images) - 1
        left, self.middle, right = Slots.STAGE.columns(1, 1.3, 1, gap=GAP * 3)
        seed = f"seed {self.fact('run.seed')}"
        self.end_a = ImagePanel(self.images[0], left, label=self.fact("run.prompt_a"), caption=seed,
                                color=A_COLOUR, label_color=PROMPT)
        self.end_b = ImagePanel(self.images[-1], right, label=self.fact("run.prompt_b"), caption=seed,
                                color=B_COLOUR, label_color=PROMPT)
        self.gap_mark = text("?", size=Type.DISPLAY, color=MUTED).move_to(self.middle.center)
        b.play(*_arrive_without_caption(self.end_a))
        b.at("snail")
        b.play(*_arrive_without_caption(self.end_b))
        b.at("seed")
        b.play(FadeIn(self.end_a.caption), FadeIn(self.end_b.caption))
        b.fill(FadeIn(self.gap_mark, scale=0.5), leave=Pace.SLOW)

    @beat
    def slide(self, b):
        """The conditioning slid from one prompt to the other: one picture morphing as t runs 0 -> 1."""
        picture, slider = self.middle.rows(4, 1)
        self.k = ValueTracker(0)
        self.morph = ImagePanel(self.images[0], picture, label="in between", color=PROMPT)
        track = Line(LEFT, RIGHT, color=MUTED, stroke_width=3)
        track.set_width(self.morph.frame.width)
        self.t_counter = LabelledCounter("t =", 0, places=2, size=Type.CAPTION, number_size=Type.BODY)
        self.stops_note = text(f"{self.fact('run.points')} stops", size=Type.CAPTION, color=MUTED)
        readout = VGroup(self.t_counter, self.stops_note).arrange(RIGHT, buff=GAP * 4)
        slider_group = VGroup(track, readout).arrange(DOWN, buff=GAP * 2)
        slider.place(slider_group)
        ticks = VGroup(*[Line(UP, DOWN, color=MUTED, stroke_width=2).set_height(GAP)
                         .move_to(track.point_from_proportion(float(x))) for x in self.t])
        knob = Dot(track.get_left(), radius=0.1, color=PROMPT)
        knob.add_updater(lambda m: m.move_to(track.point_from_proportion(self.k.get_value() / self.last)))
        self.t_counter.number.add_updater(lambda m: m.set_value(self.k.get_value() / self.last))
        self.slider = VGroup(track, ticks, knob, self.t_counter, self.stops_note)
        b.play(FadeOut(self.gap_mark), *self.morph.arrive(), Create(track), FadeIn(ticks), FadeIn(knob))
        self.morph.play_frames(self.images, self.k)
        b.at("slide")
        b.fill(self.k.animate.set_value(self.last), until="call the position")  # the vectors slide
        b.play(FadeIn(self.t_counter), self.k.animate.set_value(0))  # the position along the way: t
        b.at("zero")
        b.fill(self.k.animate.set_value(self.last), rate_func=linear, until="snail")
        b.fill(LaggedStart(*[Indicate(t, color=PROMPT) for t in ticks], lag_ratio=0.3), until="<stops>")
        b.play(FadeIn(self.stops_note), pace=Pace.QUICK)

    @beat
    def strip(self, b):
        """All the stops as one grid, read like a page; the biggest change between neighbours marked."""
        self.morph.image.clear_updaters()
        self.t_counter.number.clear_updaters()
        b.play(FadeOut(Group(self.end_a, self.end_b, self.morph, self.slider)), pace=Pace.QUICK)
        grid_slot, note_slot = Slots.STAGE.rows(6, 1)
        self.grid = ImageGrid(self.images, cols=GRID_COLS, slot=grid_slot)
        self.cursor = self.grid.highlight(0, 0, color=PROMPT)
        self.cursor.add_updater(lambda m: m.move_to(self.grid.cell_center(*divmod(int(round(self.k.get_value())),
                                                                                   GRID_COLS))))
        self.k.set_value(0)
        count = note_slot.place(text(f"all {self.fact('run.points')} pictures, in order", size=Type.CAPTION,
                                     color=MUTED))
        b.at("<pictures>")
        b.play(FadeIn(self.grid), FadeIn(count), Create(self.cursor), pace=Pace.SLOW)
        b.fill(self.k.animate.set_value(self.last), rate_func=linear, until="<biggest>")  # read like a page
        self.cursor.clear_updaters()
        start = int(np.argmin(np.abs(self.t - self.fact("path.biggest_jump_from_t"))))
        marks = VGroup(*[self.grid.highlight(*divmod(i, GRID_COLS)) for i in (start, start + 1)])
        self.note = note_slot.place(text_parts(
            ["biggest change:", f" t = {self.fact('path.biggest_jump_from_t')}",
             f" to {self.fact('path.biggest_jump_to_t')},",
             f" {self.fact('path.jump_to_mean_ratio')}\u00d7 the average step"],
            size=Type.CAPTION, color=HIGHLIGHT))
        b.play(FadeOut(self.cursor), FadeOut(count), Create(marks[0]), FadeIn(self.note[0]))
        b.at("<jump_from>")
        b.play(FadeIn(self.note[1]), pace=Pace.QUICK)
        b.at("<jump_to>")
        b.play(FadeIn(self.note[2]), Create(marks[1]), pace=Pace.QUICK)
        b.at("<ratio>")
        b.play(FadeIn(self.note[3]), pace=Pace.QUICK)
        self.marks = marks

    @beat
    def judge(self, b):
        """The judge's probability of each subject along t, drawn as a picture beside it walks the path; the switch."""
        b.play(FadeOut(Group(self.grid, self.marks, self.note)))
        plot_slot, side = Slots.STAGE.columns(2.2, 1, gap=GAP * 3)
        pa, pb = self.array("prob_a"), self.array("prob_b")
        self.plot = HousePlot(plot_slot, [0, 1, 0.25], [0, 1, 0.25], "t along the path",
                              "the judge's probability", places=2)
        self.k.set_value(0)
        curves = VGroup(*[always_redraw(lambda p=p, c=c: self._partial_curve(p, c)) for p, c in
                          ((pa, A_COLOUR), (pb, B_COLOUR))])
        names = VGroup(text("butterfly", size=Type.CAPTION, color=A_COLOUR),
                       text("snail", size=Type.CAPTION, color=B_COLOUR))
        names[0].next_to(self.plot.point(0, float(pa[0])), DOWN + RIGHT, buff=SMALL_GAP)
        names[1].next_to(self.plot.point(1, float(pb[-1])), DOWN + LEFT, buff=SMALL_GAP)  # the snail at the end
        start = self.plot.mark(0, float(pa[0]), f"{self.fact('judge.a_at_start')}", color=A_COLOUR)
        self.walker_panel = ImagePanel(self.images[0], side, label="the picture at t", color=PROMPT)
        b.play(*_arrive_without_caption(self.walker_panel, label=False))  # which animal is it?
        b.at("label judge")
        b.play(*self.plot.arrive())
        b.at("picture shows")
        b.play(FadeIn(self.walker_panel.label), pace=Pace.QUICK)
        b.at("butterfly")
        self.add(curves)
        self.walker_panel.play_frames(self.images, self.k)
        b.play(FadeIn(names[0]), pace=Pace.QUICK)
        b.fill(Indicate(names[0], color=A_COLOUR), until="<a_start>")
        b.play(FadeIn(start), pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(self.last), rate_func=linear, until="snail at the end")
        b.play(FadeIn(names[1]), pace=Pace.QUICK)
        self.walker_panel.image.clear_updaters()
        self.judge_group = VGroup(self.plot, curves, names, start)
        if self.fact("judge.switch_found"):
            at = self.fact("judge.switch_t")
            line = DashedLine(self.plot.point(at, 0), self.plot.point(at, 1), color=HIGHLIGHT)
            label = text(f"t = {at}", size=Type.LABEL, color=HIGHLIGHT)
            label.next_to(self.plot.point(at, 1), DOWN + RIGHT, buff=SMALL_GAP)
            self.judge_group.add(line, label)
            b.at("overtakes")
            self.walker_panel.show(self.images[self.fact("judge.switch_index")])
            b.play(*self.walker_panel.retitle(label="the snail overtakes", color=HIGHLIGHT))
            b.at("<switch>")
            b.play(Create(line), FadeIn(label))

    def _partial_curve(self, probs: np.ndarray, colour: str):
        """A probability curve drawn up to the tracker's stop (interpolated between stops)."""
        k = self.k.get_value()
        i = int(min(np.floor(k), self.last - 1))
        f = k - i
        xs = list(self.t[:i + 1]) + [self.t[i] * (1 - f) + self.t[i + 1] * f]
        ys = list(probs[:i + 1]) + [probs[i] * (1 - f) + probs[i + 1] * f]
        return self.plot.curve(xs, ys, color=colour)

    @beat
    def map(self, b):
        """The path on a 2D map of the neighbourhood, walked with the picture beside it."""
        b.play(FadeOut(Group(self.judge_group, self.walker_panel)))
        prompts, path = self.array("map_prompts"), self.array("map_path")
        names = self.fact("map.neighbourhood")
        plane_slot, side = Slots.STAGE.columns(2, 1, gap=GAP * 3)
        self.plane = DataPlane(plane_slot, np.vstack([prompts, path]))
        ends = (self.fact("run.prompt_a"), self.fact("run.prompt_b"))
        colours = [A_COLOUR if n == ends[0] else B_COLOUR if n == ends[1] else MUTED for n in names]
        dots = VGroup(*[Dot(p, radius=0.08, color=c) for p, c in zip(self.plane.to_scene(prompts), colours)])
        self.k.set_value(0)
        self.road = self.plane.path(path, color=PROMPT, width=4)
        labels = _labels_beside(dots, names, colours, self.plane[0], avoid=self.plane.to_scene(path))
        walker = Walker(self.plane.to_scene(path[0]), color=HIGHLIGHT, fade_after=None)
        walker.dot.add_updater(lambda m: m.move_to(self.plane.to_scene(_along(path, self.k.get_value()))))
        picture, words = side.rows(3, 2)
        self.map_panel = ImagePanel(self.images[0], picture, label="the picture", color=PROMPT)
        nearest = self.fact("map.nearest_prompt_per_point")
        pa, pb = self.array("prob_a"), self.array("prob_b")
        seen = [self.fact("run.prompt_a") if a >= b_ else self.fact("run.prompt_b") for a, b_ in zip(pa, pb)]
        kept = words.place(text(f"the map keeps {self.fact('map.explained_variance_pct')}% of how they differ",
                                size=Type.CAPTION, color=MUTED))
        self.reading = VGroup(text("nearest prompt in the full space", size=Type.CAPTION, color=MUTED),
                              text(nearest[0], size=Type.BODY, color=PROMPT),
                              text("the judge sees", size=Type.CAPTION, color=MUTED),
                              text(seen[0], size=Type.BODY, color=HIGHLIGHT)).arrange(DOWN, buff=SMALL_GAP)
        self.reading[2].shift(DOWN * GAP)
        self.reading[3].shift(DOWN * GAP)
        words.place(self.reading)
        turns = nearest.index(ends[1]) if self.fact("map.nearest_b_found") else None
        turn_mark = VGroup()
        if turns is not None:
            turn_dot = Dot(self.plane.to_scene(path[turns]), radius=0.06, color=PROMPT)
            turn_mark.add(turn_dot, *_labels_beside(VGroup(turn_dot), [f"t = {self.fact('map.nearest_b_from_t')}"],
                                                   [PROMPT], self.plane[0], avoid=self.plane.to_scene(path),
                                                   others=list(labels) + list(dots)))
        b.play(FadeIn(self.plane), Create(self.road))  # the path on a map
        b.at("related")
        b.play(LaggedStart(*[FadeIn(d, scale=0.5) for d in dots], lag_ratio=0.05),
               FadeIn(labels, lag_ratio=0.05), pace=Pace.SLOW)
        b.at("<kept>")
        b.play(FadeIn(kept), pace=Pace.QUICK)
        b.at("<walk>")
        self.add(walker)
        b.play(FadeOut(kept), FadeIn(self.reading), *_arrive_without_caption(self.map_panel, label=False),
               FadeIn(walker.dot))
        self.map_panel.play_frames(self.images, self.k)
        for value, names, colour in ((self.reading[1], nearest, PROMPT), (self.reading[3], seen, HIGHLIGHT)):
            value.add_updater(_reader(names, self.k, colour))
        if turns is not None:  # the words turn to the snail
            b.fill(self.k.animate.set_value(turns), rate_func=linear, until="<turn>")
            b.play(FadeIn(turn_mark), pace=Pace.QUICK)
        if self.fact("map.picture_turns_later"):  # the picture follows only later
            b.fill(self.k.animate.set_value(self.fact("judge.switch_index")), rate_func=linear,
                   until="picture follows")
        b.play(FadeIn(self.map_panel.label), pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(self.last), rate_func=linear, leave=Pace.NORMAL)
        self.reading[1].clear_updaters()
        self.reading[3].clear_updaters()
        self.map_panel.image.clear_updaters()
        walker.dot.clear_updaters()
        self.map_group = Group(self.plane, dots, labels, self.road, walker, self.map_panel, self.reading, turn_mark)

    @beat
    def closing(self, b):
        """The whole path as one strip: every point between the two prompts is a picture."""
        b.play(FadeOut(self.map_group))
        self.strip = ImageGrid(self.images, cols=len(self.images), slot=Slots.STAGE)
        left, right = (text(name, size=Type.CAPTION, color=PROMPT)
                       for name in (self.fact("run.prompt_a"), self.fact("run.prompt_b")))
        arrow = Arrow(LEFT, RIGHT, color=PROMPT, buff=0)
        arrow.set_width(self.strip.image.width - left.width - right.width - 4 * GAP)
        ends = VGroup(left, arrow, right).arrange(RIGHT, buff=GAP)
        Group(self.strip.image, ends).arrange(DOWN, buff=GAP * 2).move_to(Slots.STAGE.center)
        self.k.set_value(0)
        cursor = self.strip.highlight(0, 0, color=PROMPT)
        cursor.add_updater(lambda m: m.move_to(self.strip.cell_center(0, int(round(self.k.get_value())))))
        b.play(FadeIn(self.strip.image), FadeIn(left), GrowArrow(arrow), FadeIn(right), pace=Pace.SLOW)
        b.play(Create(cursor), pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(self.last), rate_func=linear, leave=Pace.SLOW)


def _arrive_without_caption(panel: ImagePanel, label: bool = True):
    """A panel's arrival without its caption (and without its label): those show when the voice names them."""
    return [FadeIn(panel.image), Create(panel.frame)] + ([FadeIn(panel.label)] if label else [])


def _along(path: np.ndarray, k: float) -> np.ndarray:
    """The position k stops along a path (interpolated between stops)."""
    i = int(min(max(k, 0), len(path) - 1.001))
    f = min(max(k - i, 0.0), 1.0)
    return path[i] * (1 - f) + path[i + 1] * f


def _reader(names, tracker, colour: str):
    """An updater that shows names[stop] as the tracker walks the stops (a new Text only when it changes)."""
    shown = [names[0]]

    def read(m):
        name = names[int(round(tracker.get_value()))]
        if name != shown[0]:
            shown[0] = name
            m.become(text(name, size=Type.BODY, color=colour).move_to(m))
    return read


def _labels_beside(dots: VGroup, names, colours, frame, avoid=(), others=()) -> VGroup:
    """A label beside each dot, on the first side where it covers no other label, dot (or ``others``) or
    ``avoid`` point (a drawn path) and stays in the frame."""
    placed, labels = list(others), VGroup()
    sides = (RIGHT, LEFT, UP, DOWN, UP + RIGHT, DOWN + RIGHT, UP + LEFT, DOWN + LEFT)
    for dot, name, colour in zip(dots, names, colours):
        label = text(name, size=Type.LABEL, color=colour)
        for side in sides:
            label.next_to(dot, side, buff=SMALL_GAP)
            if (_inside(label, frame) and not any(_touch(label, other) for other in placed + list(dots))
                    and not any(_covers(label, p) for p in avoid)):
                break
        placed.append(label)
        labels.add(label)
    return labels


def _touch(a, b) -> bool:
    return (min(a.get_right()[0], b.get_right()[0]) > max(a.get_left()[0], b.get_left()[0])
            and min(a.get_top()[1], b.get_top()[1]) > max(a.get_bottom()[1], b.get_bottom()[1]))


def _covers(mob, point) -> bool:
    return (mob.get_left()[0] <= point[0] <= mob.get_right()[0]
            and mob.get_bottom()[1] <= point[1] <= mob.get_top()[1])


def _inside(mob, frame) -> bool:
    return (mob.get_left()[0] >= frame.get_left()[0] and mob.get_right()[0] <= frame.get_right()[0]
            and mob.get_bottom()[1] >= frame.get_bottom()[1] and mob.get_top()[1] <= frame.get_top()[1])
