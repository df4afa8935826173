"""Chapter 07 — How many steps?

Storyboard: one seed walked in 1, 2, 3 ... 50 steps, the pictures side by side -> a long, careful walk as the
reference -> the measured distance of each picture from it, a curve -> where more steps stop mattering
("after about N steps, less than x %") -> why a big step misses: the big-step and small-step walks on one
map -> the sweet spot. Every image, path and figure is from build/data/07_dividing_the_path.
"""

import numpy as np
from manim import DOWN, RIGHT, UP, Create, DashedLine, FadeIn, FadeOut, Group, ValueTracker, VGroup, linear

from scenes.beats import ChapterScene, beat
from scenes.compass import Walker
from scenes.pieces import DataPlane, HousePlot, ImageGrid, ImagePanel, LabelledCounter, text
from scenes.style import GAP, HIGHLIGHT, MUTED, SEED, STEPS, Slots, Type


class DividingThePath(ChapterScene):
    @beat
    def counts(self, b):
        """The same seed in 1, 2, 3 ... 50 steps: the row fills left to right, the newest picture shown large."""
        counts, images = self.array("step_counts"), self.array("images")
        top, self.bottom = Slots.STAGE.rows(1, 2, gap=GAP * 2)
        self.row = ImageGrid(images, cols=len(counts), slot=top, col_labels=[f"{k}" for k in counts])
        left, self.right = self.bottom.split(2, gap=GAP * 4)
        self.latest = ImagePanel(images[0], left, color=STEPS)
        self.steps = self.right.place(LabelledCounter("steps", counts[0], color=STEPS))
        shown = ValueTracker(1)
        self.row.fill_in(images, shown)
        self.latest.play_frames(np.concatenate([images[:1], images]), shown)  # tile k shows the k-th picture
        follow = lambda m: m.set_value(counts[int(round(shown.get_value())) - 1])  # noqa: E731
        self.steps.number.add_updater(follow)
        b.play(FadeIn(self.row.image), FadeIn(self.row.col_labels, lag_ratio=0.2), *self.latest.arrive(),
               FadeIn(self.steps))
        b.fill(shown.animate.set_value(len(counts)), rate_func=linear)
        self.row.image.clear_updaters()
        self.latest.image.clear_updaters()
        self.steps.number.remove_updater(follow)

    @beat
    def reference(self, b):
        """A long, careful walk: the reference, beside the picture of the most steps."""
        self.ref = ImagePanel(self.array("reference"), self.right, label="the reference",
                              caption=f"{self.fact('run.reference_steps')} small steps", color=STEPS)
        b.play(FadeOut(self.steps))
        b.fill(*self.ref.arrive())

    @beat
    def curve(self, b):
        """How far each picture lands from the reference: a falling curve."""
        b.play(FadeOut(Group(self.row, self.latest, self.ref)))
        counts, distance = self.array("step_counts"), self.array("distance") * 100
        top = float(-(-distance.max() * 1.2 // 10) * 10)
        self.plot = HousePlot(Slots.STAGE, [0, self.fact("run.most"), 10], [0, top, 10],
                              "number of steps", "distance from the reference (% of the colour range)")
        self.line = self.plot.curve(counts, distance, color=STEPS)
        self.marks = VGroup(*[self.plot.mark(k, d, f"{d:.0f}" if i in (0, len(counts) - 1) else "")
                              for i, (k, d) in enumerate(zip(counts, distance))])
        b.play(*self.plot.arrive())
        b.fill(Create(self.line), FadeIn(self.marks, lag_ratio=0.3), rate_func=linear)

    @beat
    def settle(self, b):
        """Where more steps stop mattering: the curve from N steps on, marked."""
        self.settled = VGroup()
        if not self.fact("settle.found"):
            b.fill(self.line.animate.set_stroke(width=8))
            return
        n, top = self.fact("settle.n"), self.plot.axes.y_range[1]
        line = DashedLine(self.plot.point(n, 0), self.plot.point(n, top), color=HIGHLIGHT)
        label = text(f"from {n} steps on: each change < {self.fact('settle.x_pct')}%", size=Type.CAPTION,
                     color=HIGHLIGHT).next_to(self.plot.point(n, top), DOWN + [1, 0, 0], buff=GAP)
        self.settled.add(line, label)
        b.play(Create(line))
        b.fill(FadeIn(label, shift=DOWN * GAP))

    @beat
    def overshoot(self, b):
        """The big-step walk on the map: straight along the first direction, off the small steps' curve."""
        b.play(FadeOut(VGroup(self.plot, self.line, self.marks, self.settled)))
        small, big = self.array("walk_small"), self.array("walk_big")
        plane_slot, side = Slots.STAGE.columns(2, 1, gap=GAP * 3)
        self.map = DataPlane(plane_slot, small.tolist() + big.tolist())
        self.small = Walker(self.map.to_scene(small[0]), color=SEED, trail_color=STEPS, fade_after=None)
        self.big = Walker(self.map.to_scene(big[0]), color=SEED, trail_color=HIGHLIGHT, fade_after=None)
        counts, images = list(self.array("step_counts")), self.array("images")
        top, bottom = side.stack(2, gap=GAP * 2)
        self.small_end = ImagePanel(images[counts.index(self.fact("walk.small_steps"))], top,
                                    label=f"{self.fact('walk.small_steps')} steps", color=STEPS)
        self.big_end = ImagePanel(images[counts.index(self.fact("walk.big_steps"))], bottom,
                                  label=f"{self.fact('walk.big_steps')} steps", color=HIGHLIGHT)
        self.start = self.map.dots(small[:1], color=SEED, radius=0.08)
        b.play(FadeIn(self.map), FadeIn(self.start))
        self.add(self.small, self.big)
        b.play(self.small.walk(self.map.to_scene(small), rate_func=linear), *self.small_end.arrive(), share=0.35)
        b.play(self.big.walk(self.map.to_scene(big), smooth_path=False, rate_func=linear), *self.big_end.arrive(),
               share=0.25)
        self.miss = VGroup()
        if self.fact("walk.big_end_miss") > self.fact("walk.small_end_miss"):
            landing = self.map.to_scene(big[self.fact("walk.landing_step_big")])
            on_curve = self.map.to_scene(small[self.fact("walk.landing_step_small")])
            line = DashedLine(landing, on_curve, color=MUTED)
            label = text(f"{self.fact('walk.landing_miss_pct')}% off", size=Type.CAPTION,
                         color=HIGHLIGHT).next_to(line, RIGHT, buff=GAP)
            self.miss.add(line, label)
            b.play(Create(line))
            b.fill(FadeIn(label, shift=RIGHT * GAP))

    @beat
    def closing(self, b):
        """The sweet spot: the row of pictures again, the settled ones framed."""
        b.play(FadeOut(Group(self.map, self.start, self.small, self.big, self.small_end, self.big_end, self.miss)))
        counts, images = self.array("step_counts"), self.array("images")
        self.row = ImageGrid(images, cols=len(counts), slot=Slots.STAGE, col_labels=[f"{k}" for k in counts])
        cost = Slots.BOTTOM_STRIP.place(text("every step is one more call to the model", size=Type.BODY, color=MUTED))
        b.play(FadeIn(self.row), FadeIn(cost, shift=UP * GAP))
        if self.fact("settle.found"):
            first = list(counts).index(self.fact("settle.n"))
            frames = VGroup(*[self.row.highlight(0, c, color=STEPS) for c in range(first, len(counts))])
            b.fill(Create(frames, lag_ratio=0.3))
        else:
            b.fill(self.row.animate.scale(1.05))
