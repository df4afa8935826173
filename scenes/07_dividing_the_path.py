"""Chapter 07 — How many steps?

Storyboard: one seed walked in 1, 2, 3 ... 50 steps, the pictures side by side, each count arriving as it is
said -> a long, careful walk as the reference -> the measured distance of each picture from it, a curve ->
where more steps stop mattering ("after about N steps, less than x %") -> why a big step misses: the
big-step and small-step walks on one map, and how far each ends from the reference -> the sweet spot.
Every image, path and figure is from build/data/07_dividing_the_path.
"""

import numpy as np
from manim import (DOWN, RIGHT, UP, Create, DashedLine, FadeIn, FadeOut, Group, LaggedStart, ValueTracker, VGroup,
                   linear)

from scenes.beats import ChapterScene, beat
from scenes.compass import Walker
from scenes.pieces import DataPlane, HousePlot, ImageGrid, ImagePanel, LabelledCounter, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, Pace, Slots, Type

SAID_COUNTS = ("two", "three", "five")  # the step counts the voice reads out before "up to" the most


class DividingThePath(ChapterScene):
    @beat
    def counts(self, b):
        """The same seed in 1, 2, 3 ... 50 steps: the row fills left to right as the counts are said, the
        newest picture shown large; then the row again, tile by tile (the same journey, divided differently)."""
        counts, images = self.array("step_counts"), self.array("images")
        top, self.bottom = Slots.STAGE.rows(1, 2, gap=GAP * 2)
        self.row = ImageGrid(images, cols=len(counts), slot=top, col_labels=[f"{k}" for k in counts])
        left, self.right = self.bottom.split(2, gap=GAP * 4)
        self.latest = ImagePanel(images[0], left, color=STEPS)
        seed_slot, prompt_slot, steps_slot = self.right.stack(3)
        self.seed = seed_slot.place(text(f"seed {self.fact('run.seed')}", size=Type.HEADING, color=SEED))
        self.prompt = prompt_slot.place(text(f'"{self.fact("run.prompt")}"', size=Type.HEADING, color=PROMPT))
        self.steps = steps_slot.place(LabelledCounter("steps", counts[0], color=STEPS))
        self.steps.label.set_opacity(0)  # the number counts along; its word lands as the voice says it
        shown = ValueTracker(0)
        self.row.fill_in(images, shown)
        tiles = np.concatenate([images[:1], images])  # tracker value k shows the k-th picture
        self.latest.play_frames(tiles, shown)
        follow = lambda m, t=shown: m.set_value(counts[max(int(round(t.get_value())), 1) - 1])  # noqa: E731
        self.steps.number.add_updater(follow)
        labels = self.row.col_labels
        b.play(FadeIn(self.seed, shift=UP * GAP))
        b.at("a snail")
        b.play(FadeIn(self.prompt, shift=UP * GAP))
        b.at("walk from")
        b.play(FadeIn(self.row.image))
        b.at("single step")
        b.play(shown.animate.set_value(1), FadeIn(labels[0]), *self.latest.arrive(), FadeIn(self.steps))
        b.at("two")
        said = len(SAID_COUNTS)
        b.fill(shown.animate.set_value(1 + said), LaggedStart(*[FadeIn(m) for m in labels[1:1 + said]]),
               rate_func=linear, until="five")
        b.fill(shown.animate.set_value(len(counts) - 1), LaggedStart(*[FadeIn(m) for m in labels[1 + said:-1]]),
               rate_func=linear, until="<most>")
        b.play(shown.animate.set_value(len(counts)), FadeIn(labels[-1]), pace=Pace.QUICK)
        self.row.image.clear_updaters()
        # The same journey each time: a frame walks the row, the large picture and the count follow it.
        sweep = ValueTracker(1)
        self.latest.image.clear_updaters()
        self.latest.play_frames(tiles, sweep)
        self.steps.number.remove_updater(follow)
        follow_sweep = lambda m: follow(m, sweep)  # noqa: E731
        self.steps.number.add_updater(follow_sweep)
        self.frame = self.row.highlight(0, 0, color=STEPS)
        self.frame.add_updater(lambda m: m.move_to(self.row.cell_center(0, int(round(sweep.get_value())) - 1)))
        b.at("same journey")
        b.play(Create(self.frame), pace=Pace.QUICK)
        b.fill(sweep.animate.set_value(len(counts)), rate_func=linear, until="number of steps")
        b.play(self.steps.label.animate.set_opacity(1), pace=Pace.QUICK)
        self.latest.image.clear_updaters()
        self.steps.number.remove_updater(follow_sweep)
        self.frame.clear_updaters()

    @beat
    def reference(self, b):
        """A long, careful walk: the reference, beside the picture of the most steps; its step count, then
        its name, as they are said."""
        self.ref = ImagePanel(self.array("reference"), self.right, label="the reference",
                              caption=f"{self.fact('run.reference_steps')} small steps", color=STEPS)
        b.play(FadeOut(VGroup(self.seed, self.prompt, self.steps)), pace=Pace.QUICK)
        b.at("walk it once more")
        b.play(FadeIn(self.ref.image), Create(self.ref.frame))
        b.at("<ref>")
        b.play(FadeIn(self.ref.caption), pace=Pace.QUICK)
        b.at("the reference")
        b.play(FadeIn(self.ref.label), pace=Pace.QUICK)

    @beat
    def curve(self, b):
        """How far each picture lands from the reference: a falling curve, its two ends read out."""
        b.play(FadeOut(Group(self.row, self.latest, self.ref, self.frame)))
        counts, distance = self.array("step_counts"), self.array("distance") * 100
        top = float(-(-distance.max() * 1.2 // 10) * 10)
        self.plot = HousePlot(Slots.STAGE, [0, self.fact("run.most"), 10], [0, top, 10],
                              "number of steps", "distance from the reference (% of the colour range)")
        self.line = self.plot.curve(counts, distance, color=STEPS)
        ends = (f"{self.fact('curve.distance_first_pct')}", f"{self.fact('curve.distance_last_pct')}")
        last = len(counts) - 1
        self.marks = VGroup(*[self.plot.mark(k, d, ends[0] if i == 0 else ends[1] if i == last else "",
                                             direction=UP if i == last else UP + RIGHT)
                              for i, (k, d) in enumerate(zip(counts, distance))])
        b.at("lands from")
        b.play(*self.plot.arrive())
        b.at("<first>")
        b.play(FadeIn(self.marks[0]), pace=Pace.QUICK)
        b.fill(Create(self.line), LaggedStart(*[FadeIn(m) for m in self.marks[1:-1]]), rate_func=linear,
               until="<last>")
        b.play(FadeIn(self.marks[-1]), pace=Pace.QUICK)

    @beat
    def settle(self, b):
        """Where more steps stop mattering: the curve from N steps on, marked; then by how little each
        further count changes the picture."""
        self.settled = VGroup()
        if not self.fact("settle.found"):
            b.fill(self.line.animate.set_stroke(width=8))
            return
        n, top = self.fact("settle.n"), self.plot.axes.y_range[1]
        line = DashedLine(self.plot.point(n, 0), self.plot.point(n, top), color=HIGHLIGHT)
        label = text(f"from {n} steps on:", size=Type.CAPTION,
                     color=HIGHLIGHT).next_to(self.plot.point(n, top), DOWN + RIGHT, buff=GAP)
        change = text(f"each change < {self.fact('settle.x_pct')}% of the first miss", size=Type.CAPTION,
                      color=HIGHLIGHT).next_to(label, DOWN, buff=GAP).align_to(label, [-1, 0, 0])
        self.settled.add(line, label, change)
        b.at("<n>")
        b.play(Create(line), FadeIn(label, shift=DOWN * GAP))
        b.at("<x>")
        b.play(FadeIn(change, shift=DOWN * GAP), pace=Pace.QUICK)

    @beat
    def overshoot(self, b):
        """The big-step walk on the map: straight along the first direction, off the small steps' curve; each
        walk and each figure as it is said, and how far each ends from the reference."""
        b.play(FadeOut(VGroup(self.plot, self.line, self.marks, self.settled)))
        small, big = self.array("walk_small"), self.array("walk_big")
        plane_slot, side = Slots.STAGE.columns(2, 1, gap=GAP * 3)
        self.map = DataPlane(plane_slot, small.tolist() + big.tolist())
        self.small = Walker(self.map.to_scene(small[0]), color=SEED, trail_color=STEPS, fade_after=None)
        self.big = Walker(self.map.to_scene(big[0]), color=SEED, trail_color=HIGHLIGHT, fade_after=None)
        counts, images = list(self.array("step_counts")), self.array("images")
        top, bottom = side.stack(2, gap=GAP * 2)
        self.small_end = ImagePanel(images[counts.index(self.fact("walk.small_steps"))], top,
                                    label=f"{self.fact('walk.small_steps')} steps",
                                    caption=f"{self.fact('walk.small_end_pct')}% from the reference", color=STEPS)
        self.big_end = ImagePanel(images[counts.index(self.fact("walk.big_steps"))], bottom,
                                  label=f"{self.fact('walk.big_steps')} steps",
                                  caption=f"{self.fact('walk.big_end_pct')}% from the reference", color=HIGHLIGHT)
        self.start = self.map.dots(small[:1], color=SEED, radius=0.08)
        share = text(f"the map holds {self.fact('walk.plane_explained_variance_pct'):g}% of the motion",
                     size=Type.CAPTION, color=MUTED)
        self.map_note = Slots.BOTTOM_STRIP.place(share)
        b.at("here is the walk")
        b.play(Create(self.map), FadeIn(self.start))
        b.at("<map>")
        b.play(FadeIn(self.map_note), pace=Pace.QUICK)
        self.add(self.small, self.big)
        b.at("<small>")
        without_caption = lambda panel: [FadeIn(panel.image), Create(panel.frame), FadeIn(panel.label)]  # noqa: E731
        b.fill(self.small.walk(self.map.to_scene(small), rate_func=linear), *without_caption(self.small_end),
               until="<big>")
        # The few big steps go straight along the direction at the start, and cut the corner.
        big_walk = [self.big.walk(self.map.to_scene(big), smooth_path=False, rate_func=linear),
                    *without_caption(self.big_end)]
        self.miss = VGroup()
        b.fill(*big_walk, until="<corner>")
        if self._big_misses():  # halfway, the big steps are off the small steps' curve: how far, as it is said
            landing = self.map.to_scene(big[self.fact("walk.landing_step_big")])
            on_curve = self.map.to_scene(small[self.fact("walk.landing_step_small")])
            line = DashedLine(landing, on_curve, color=MUTED)
            label = text(f"{self.fact('walk.landing_miss_pct')}% off", size=Type.CAPTION,
                         color=HIGHLIGHT).next_to(line, RIGHT, buff=GAP)
            self.miss.add(line, label)
            b.at("<halfway>")
            b.play(Create(line))
            b.at("<miss>")
            b.play(FadeIn(label, shift=RIGHT * GAP), pace=Pace.QUICK)
        b.at("<big_end>")
        b.play(FadeIn(self.big_end.caption), pace=Pace.QUICK)
        b.at("<small_end>")
        b.play(FadeIn(self.small_end.caption), pace=Pace.QUICK)

    def _big_misses(self) -> bool:
        """The claim's data: whether the big steps end farther from the reference than the small ones."""
        return self.fact("walk.big_end_miss") > self.fact("walk.small_end_miss")

    @beat
    def closing(self, b):
        """The sweet spot: the row of pictures again, the settled ones framed as it is named."""
        b.play(FadeOut(Group(self.map, self.start, self.small, self.big, self.small_end, self.big_end, self.miss,
                             self.map_note)))
        counts, images = self.array("step_counts"), self.array("images")
        self.row = ImageGrid(images, cols=len(counts), slot=Slots.STAGE, col_labels=[f"{k}" for k in counts])
        cost = Slots.BOTTOM_STRIP.place(text("every step is one more call to the model", size=Type.BODY, color=MUTED))
        b.play(FadeIn(self.row), FadeIn(cost, shift=UP * GAP))
        b.at("sweet spot")
        if self.fact("settle.found"):
            first = list(counts).index(self.fact("settle.n"))
            frames = VGroup(*[self.row.highlight(0, c, color=STEPS) for c in range(first, len(counts))])
            b.fill(Create(frames, lag_ratio=0.3))
        else:
            b.fill(self.row.animate.scale(1.05))
