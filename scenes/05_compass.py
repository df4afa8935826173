"""Chapter 05 — Why walk instead of jump?

Storyboard: a 2D toy diffusion model and its three shapes (one per prompt) -> its real learned direction
field on a grid -> the field changing as the noise level falls -> walkers following it from random starts
-> the compass needle: the predicted direction at one walker, step by step -> the measured miss of a few
big steps, and of a jump on the cluster and on the ring -> guidance: the arrows with and without the prompt,
then the walk bent by it (pulled on, then pushed past the shape). Every arrow, path and number is from
build/data/05_compass (trained by the data stage).
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, ChangeDecimalToValue, Create, Dot, FadeIn, FadeOut, LaggedStart,
                   Succession, Transform, UpdateFromFunc, ValueTracker, VGroup, linear, smooth, squish_rate_func)

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass, Walker
from scenes.layout import unspoken
from scenes.pieces import DataPlane, HousePlot, LabelledCounter, counter, text
from scenes.style import (GAP, GUIDANCE, HIGHLIGHT, MUTED, PALETTE, PROMPT, SEED, SMALL_GAP, STEPS, TEXT, Pace,
                          Slots, Type)

SPIRAL = 1  # the field's class index of the spiral (0 is "no prompt")
NO_PROMPT = 0
FIRST_MOMENT = 0.15  # of a long animation: a fade that should land at its start
MODERATE = 3  # the guidance scale the narration calls moderate (its figure: guidance.outside_pct_s3)


class Compass2D(ChapterScene):
    @beat
    def shapes(self, b):
        """The toy model's world: a plane, and the three shapes it learned, one per prompt, each shown as
        the voice names it; under them, how long it trained, counted up to the figure as it is said."""
        names = self.fact("toy.shapes")
        panels = Slots.STAGE.columns(*[1] * len(names), gap=GAP * 3)
        data = [self.array("data_spiral"), self.array("data_ring"), self.array("data_cluster")]
        self.data_by_shape = dict(zip(names, data))
        planes, self.shapes_shown = VGroup(), []
        for i, (name, slot, points) in enumerate(zip(names, panels, data)):
            body, label = slot.rows(5, 1)
            plane = DataPlane(body, np.array([[-1.6, -1.6], [1.6, 1.6]]))
            planes.add(plane)
            self.shapes_shown.append((name, VGroup(plane.dots(points[::3], color=PALETTE[i], radius=0.03),
                                                   label.place(text(name, size=Type.BODY, color=PALETTE[i])))))
        self.trained = LabelledCounter("a tiny diffusion model, trained in", 0, places=1, color=HIGHLIGHT)
        unit = text("seconds", size=Type.BODY)
        self.trained.number.set_value(self.fact("toy.train_seconds"))  # placed at its final width
        self.trained.number.next_to(self.trained.label, RIGHT, buff=GAP)
        unit.next_to(self.trained.number, RIGHT, buff=GAP)
        Slots.BOTTOM_STRIP.place(VGroup(self.trained, unit))
        self.trained.number.set_value(0)
        unit.add_updater(lambda m: m.next_to(self.trained.number, RIGHT, buff=GAP))
        self.minis = VGroup(planes, *[shape for _, shape in self.shapes_shown], self.trained, unit)
        b.play(FadeIn(self.trained), pace=Pace.QUICK)
        b.fill(self.trained.count_to(self.fact("toy.train_seconds")), until="<train>")
        b.play(FadeIn(unit), pace=Pace.QUICK)
        b.at("flat plane")
        b.fill(LaggedStart(*[FadeIn(p) for p in planes], lag_ratio=0.5), until="spiral")
        shown = dict(self.shapes_shown)
        b.play(FadeIn(shown["spiral"]), pace=Pace.QUICK)
        b.at("ring")
        b.play(FadeIn(shown["ring"]), pace=Pace.QUICK)
        b.at("cluster")
        b.play(FadeIn(shown["cluster"]), pace=Pace.QUICK)

    @beat
    def field(self, b):
        """The model's real answer at every grid point: which way to the data (the spiral), at high noise."""
        self.field = self.array("field")
        grid = self.array("grid")
        # The plane shows the field's grid with a margin; the few walkers that start farther out are drawn
        # at its edge until they come in (their first steps), so the shapes stay large.
        self.reach = float(grid.max()) * 1.15
        plane_slot, self.side = Slots.STAGE.columns(2, 1)
        self.plane = DataPlane(plane_slot, np.array([[-self.reach, -self.reach], [self.reach, self.reach]]))
        self.spiral = self.plane.dots(self.array("data_spiral")[::2], color=PALETTE[0], radius=0.025, opacity=0.7)
        self.cells = np.stack(np.meshgrid(grid, grid), axis=-1)  # [i, j] -> (x = grid[j], y = grid[i])
        self.step = float(grid[1] - grid[0])
        self.arrows = self._arrows(0)
        b.play(FadeOut(self.minis), FadeIn(self.plane))
        b.at("answers")
        b.fill(LaggedStart(*[Create(a) for a in self.arrows], lag_ratio=0.005), until="real answers")
        b.at("spiral")
        b.play(FadeIn(self.spiral))

    def _at(self, path: np.ndarray, k: float) -> np.ndarray:
        """Where a walker is drawn k steps along its path: on the plane, or at its edge while still outside."""
        return self.plane.to_scene(np.clip(_along(path, k), -self.reach, self.reach))

    def _arrows(self, level: int, cls: int = SPIRAL, color: str = PROMPT) -> VGroup:
        """The field at one noise level as arrows of equal length (direction only), one per grid point."""
        directions = self.field[level, cls]
        arrows = VGroup()
        for (x, y), d in zip(self.cells.reshape(-1, 2), directions.reshape(-1, 2)):
            start = self.plane.to_scene([x, y])
            end = self.plane.to_scene([x + 0.8 * self.step * d[0], y + 0.8 * self.step * d[1]])
            arrows.add(Arrow(start, end, buff=0, color=color, stroke_width=2, max_tip_length_to_length_ratio=0.35,
                             stroke_opacity=0.8))
        return arrows

    @beat
    def levels(self, b):
        """As the noise falls, the arrows turn from 'the middle' to the spiral's arms; the noise level counts
        down with them."""
        levels = self.fact("field.timesteps")
        self.level = self.side.stack(3)[0].place(LabelledCounter("noise level t =", levels[0], color=MUTED,
                                                                 label_color=MUTED))
        b.at("noise")
        b.play(FadeIn(self.level))
        middle = Dot(self.plane.to_scene([0, 0]), radius=self.step * self.plane.unit / 3, color=HIGHLIGHT)
        b.at("arrows point")
        b.fill(FadeIn(middle, scale=4), until="middle")
        b.at("falls")
        # The arrows turn level by level; the counter passes each level's t as its arrows arrive.
        at = ValueTracker(0)
        reading = lambda m: m.set_value(np.interp(at.get_value(), range(len(levels)), levels))  # noqa: E731
        self.level.number.add_updater(reading)
        b.fill(FadeOut(middle), Succession(*[Transform(self.arrows, self._arrows(level)) for level in range(1, len(levels))]),
               at.animate(rate_func=linear).set_value(len(levels) - 1), until="arms")
        self.level.number.remove_updater(reading)

    @beat
    def walkers(self, b):
        """Walkers from random starts follow the arrows, a little at a time: counted, then stepped."""
        paths = self.array("paths")[0]  # the spiral's walkers [W, S+1, 2]
        self.k = ValueTracker(0)
        self.crowd = VGroup(*[Dot(self.plane.to_scene(p[0]), radius=0.05, color=SEED) for p in paths])
        for dot, path in zip(self.crowd, paths):
            dot.add_updater(lambda m, path=path: m.move_to(self._at(path, self.k.get_value())))
        walkers, steps = self.side.stack(3)[2].stack(2)
        self.walkers_count = walkers.place(LabelledCounter("walkers", 0, color=SEED))
        self.steps_count = steps.place(LabelledCounter("steps", 0, color=STEPS))
        self.steps_count.label.set_opacity(0)  # the number counts the walk; its word lands as it is said
        b.play(self.arrows.animate.set_opacity(0.25), pace=Pace.QUICK)
        self.walkers_count.label.set_opacity(0)  # the number counts from here; its word fades in with the walkers
        self.add(self.walkers_count)
        b.fill(FadeIn(self.crowd, lag_ratio=0.02), self.walkers_count.label.animate.set_opacity(1),
               self.walkers_count.count_to(len(paths)), until="<walkers>")
        self.walker_paths = paths
        b.at("follow")
        b.play(FadeIn(self.steps_count), pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(paths.shape[1] - 1), self.steps_count.count_to(paths.shape[1] - 1),
               rate_func=linear, until="<steps>")
        b.play(self.steps_count.label.animate.set_opacity(1), pace=Pace.QUICK)

    @beat
    def needle(self, b):
        """The compass at one walker: its needle is the model's predicted direction, step by step."""
        needle, path = self.array("needle"), self.walker_paths[0]
        for dot in self.crowd:
            dot.clear_updaters()
        self.k.set_value(0)
        b.play(self.crowd.animate.set_opacity(0.15), FadeOut(self.walkers_count), FadeOut(self.steps_count),
               pace=Pace.QUICK)
        self.walker = Walker(self._at(path, 0), color=HIGHLIGHT, fade_after=None)
        dial_slot = self.side.stack(3)[1]
        self.dial = Compass(radius=dial_slot.height / 3, label="the model's direction")
        dial_slot.place(self.dial)
        self.dial_label = self.dial.label
        self.dial.remove(self.dial_label)  # the label lands as the voice names the direction
        self.add(self.walker)
        b.at("compass")
        b.play(FadeIn(self.walker.dot), Create(self.dial))
        at_step = lambda: needle[min(int(self.k.get_value()), len(needle) - 1)]  # noqa: E731
        # The dial's angle tracker is not in the scene, so an updater on it would never run: both follow k
        # through animations of this beat only.
        follow = lambda: (UpdateFromFunc(self.walker.dot, lambda m: m.move_to(self._at(path, self.k.get_value()))),  # noqa: E731
                          UpdateFromFunc(self.dial.angle, lambda m: m.set_value(_angle(at_step()))))
        b.at("model's")
        b.fill(self.k.animate(rate_func=linear).set_value(len(needle)), *follow(),
               FadeIn(self.dial_label, rate_func=squish_rate_func(smooth, 0, FIRST_MOMENT)))

    @beat
    def jump(self, b):
        """Fewer, bigger steps land off the shape: the measured miss against the number of steps; a jump on
        the cluster and on the ring."""
        b.play(FadeOut(VGroup(self.plane, self.spiral, self.arrows, self.crowd, self.walker, self.dial,
                              self.dial_label, self.level)))
        steps, miss = self.fact("miss.steps"), self.array("miss_by_steps")
        plot_slot, side = Slots.STAGE.columns(2, 1, gap=GAP * 3)
        top = float(np.ceil(miss.max() * 1.2 * 10) / 10)
        self.plot = HousePlot(plot_slot, [0, len(steps) - 1, 1], [0, top, top / 4], "number of steps",
                              "how far walkers land from the shape", x_numbers=False, places=2)
        ticks = unspoken(VGroup(*[text(str(s), size=Type.LABEL, color=MUTED).next_to(self.plot.point(i, 0), DOWN)
                                  for i, s in enumerate(steps)]))  # tick numbers, read off the axis
        self.curve = self.plot.curve(range(len(steps)), miss, color=STEPS)
        few = self.fact("miss.few_steps_miss")
        usual = steps.index(self.fact("walk.steps"))
        first = self.plot.mark(0, float(miss[0]), f"{self.fact('miss.miss_1_step')}")
        x = ValueTracker(0)
        on_curve = lambda: self.plot.point(x.get_value(), float(np.interp(x.get_value(), range(len(steps)), miss)))  # noqa: E731
        mover = Dot(on_curve(), color=HIGHLIGHT).add_updater(lambda m: m.move_to(on_curve()))
        if few:
            note = text(f"{self.fact('miss.miss_ratio')} times farther\nthan with {self.fact('walk.steps')} steps",
                        size=Type.CAPTION, color=HIGHLIGHT)
        else:
            note = text(f"{self.fact('miss.miss_default_steps')}\nwith {self.fact('walk.steps')} steps",
                        size=Type.CAPTION, color=HIGHLIGHT)
        # Over the usual number of steps, clear of the curve (low there), in two lines.
        note.next_to(self.plot.point(usual, float(miss[usual])), UP, buff=GAP * 3).align_to(
            self.plot.point(len(steps) - 1, 0), RIGHT)
        self.jump_group = VGroup(self.plot, ticks, self.curve, first, mover, note)
        b.play(*self.plot.arrive(), FadeIn(ticks))
        b.fill(Create(self.curve), until="<miss1>")
        b.play(FadeIn(first), FadeIn(mover), pace=Pace.QUICK)
        # The dot walks down the curve to the usual number of steps as the voice gets to the comparison.
        b.fill(x.animate.set_value(usual), until="<usual>")
        mover.clear_updaters()
        b.play(FadeIn(note, shift=DOWN * SMALL_GAP), pace=Pace.QUICK)
        # The cluster and the ring, each with how far one big step lands from it; the ring's average marked.
        minis = self._jump_minis(side)
        self.jump_group.add(*minis.values())
        b.at("<cluster>")
        b.play(FadeIn(minis["cluster"]), pace=Pace.QUICK)
        b.at("<ring>")
        b.play(FadeIn(minis["ring"]), pace=Pace.QUICK)
        b.at("<average>")
        b.play(FadeIn(minis["ring"].average, scale=3), pace=Pace.QUICK)
        self.jump_group.add(minis["ring"].average)

    def _jump_minis(self, side) -> dict:
        """The cluster and the ring on small planes, each captioned with how far one jump lands from it, and
        the ring's average (its empty middle) as a dot to show."""
        minis = {}
        jump = {"cluster": self.fact("miss.miss_1_step_cluster"), "ring": self.fact("miss.miss_1_step_ring")}
        for slot, name in zip(side.stack(2, gap=GAP * 2), ("cluster", "ring")):
            body, label = slot.rows(4, 1)
            points = self.data_by_shape[name]
            plane = DataPlane(body, np.array([[-1.6, -1.6], [1.6, 1.6]]))
            color = PALETTE[self.fact("toy.shapes").index(name)]
            words = label.place(text(f"{name}: one jump lands {jump[name]} from it", size=Type.CAPTION, color=color))
            minis[name] = VGroup(plane, plane.dots(points[::3], color=color, radius=0.03), words)
            minis[name].average = Dot(plane.to_scene(points.mean(axis=0)), color=GUIDANCE)
        return minis

    @beat
    def guidance(self, b):
        """Guidance stretches the difference between the arrows with and without the prompt; the walkers'
        endpoints at each scale, pulled onto the spiral and then past it, and the share that lands off it."""
        guided, scales = self.array("guided_paths"), self.fact("walk.guidance_scales")
        outside = self.array("spread_by_guidance")[0]
        all_scales = self.fact("guidance.scales")
        readout = self.side.stack(3)[1]
        self.scale_count = LabelledCounter("guidance", scales[0], color=GUIDANCE)
        self.off_count = counter(self.fact("guidance.outside_pct_s3"), color=GUIDANCE)
        off_words = text("% land off the spiral", size=Type.CAPTION, color=GUIDANCE)
        off_words.add_updater(lambda m: m.next_to(self.off_count, RIGHT, buff=SMALL_GAP))
        widest = max(float(outside.max()) * 100, self.fact("guidance.outside_pct_s15"))
        self.off_count.set_value(widest)  # placed at its widest, so that the words after it stay in the frame
        off_words.next_to(self.off_count, RIGHT, buff=SMALL_GAP)
        readout.place(VGroup(self.scale_count, VGroup(self.off_count, off_words)).arrange(DOWN, aligned_edge=LEFT,
                                                                                          buff=GAP * 2))
        self.off_count.set_value(self.fact("guidance.outside_pct_s3"))
        self.readout = VGroup(self.scale_count, self.off_count, off_words)
        # The field where the prompt changes it most: the spiral's arrows, and the arrows with no prompt.
        differ = np.abs(self.field[:, SPIRAL] - self.field[:, NO_PROMPT]).mean(axis=(1, 2, 3))
        level = int(np.argmax(differ))
        with_prompt = self._arrows(level, SPIRAL, PROMPT)
        without = self._arrows(level, NO_PROMPT, TEXT).set_opacity(0.5)
        self.add(self.plane, self.spiral)
        b.play(FadeOut(self.jump_group), FadeIn(self.plane), FadeIn(self.spiral), FadeIn(self.scale_count))
        b.at("with the prompt")
        b.play(FadeIn(with_prompt, lag_ratio=0.002))
        b.at("without it")
        b.play(FadeIn(without, lag_ratio=0.002))
        ends_at = lambda i: VGroup(*[Dot(self._at(p, len(p) - 1), radius=0.05, color=GUIDANCE)  # noqa: E731
                                     for p in guided[i]])
        self.ends = ends_at(0)
        moderate, strongest = scales.index(MODERATE), self.fact("guidance.strongest")
        pct = [float(outside[all_scales.index(x)] * 100) for x in scales]
        at = ValueTracker(0)  # where the walk's scales have got to (an index into them)
        walk = lambda a, b: [Succession(*[Transform(self.ends, ends_at(i)) for i in range(a, b)]),  # noqa: E731
                             at.animate(rate_func=linear).set_value(b - 1)]
        scale = lambda m: m.set_value(scales[int(round(at.get_value()))])  # noqa: E731 - the scale drawn
        share = lambda m: m.set_value(np.interp(at.get_value(), range(len(scales)), pct))  # noqa: E731
        b.play(FadeOut(with_prompt), FadeOut(without), FadeIn(self.ends))
        self.scale_count.number.add_updater(scale)
        # A little guidance: the endpoints pulled onto the spiral, scale by scale, up to the moderate one.
        b.fill(*walk(1, moderate + 1), until="moderate guidance")
        b.at("<s3>")
        b.play(FadeIn(self.off_count), FadeIn(off_words), pace=Pace.QUICK)
        # Too much: the largest scale walked, then the strongest measured (its endpoints are not drawn).
        b.at("<too_much>")
        self.off_count.add_updater(share)
        if moderate + 1 < len(scales):
            b.fill(*walk(moderate + 1, len(scales)), until="<s15>")
        self.scale_count.number.remove_updater(scale)
        self.off_count.remove_updater(share)
        b.at("<s15>")
        b.play(self.scale_count.count_to(strongest), self.ends.animate.set_opacity(0.3), pace=Pace.QUICK)
        b.at("<p15>")
        b.play(ChangeDecimalToValue(self.off_count, self.fact("guidance.outside_pct_s15")), pace=Pace.QUICK)

    @beat
    def closing(self, b):
        """Many small steps, each knowing only which way to go from here."""
        path = self.walker_paths[1]
        walker = Walker(self._at(path, 0), color=HIGHLIGHT, fade_after=None)
        self.add(walker)
        b.play(FadeOut(self.ends), FadeOut(self.readout), FadeIn(walker.dot))
        b.fill(walker.walk([self._at(path, i) for i in range(len(path))], smooth_path=False), leave=Pace.SLOW)


def _along(path: np.ndarray, k: float) -> np.ndarray:
    """The position k steps along a path (interpolated between steps)."""
    i = int(min(max(k, 0), len(path) - 1.001))
    f = min(max(k - i, 0.0), 1.0)
    return path[i] * (1 - f) + path[min(i + 1, len(path) - 1)] * f


def _angle(direction) -> float:
    return float(np.arctan2(direction[1], direction[0]))
