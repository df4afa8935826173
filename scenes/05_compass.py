"""Chapter 05 — Why walk instead of jump?

Storyboard: a 2D toy diffusion model and its three shapes (one per prompt) -> its real learned direction
field on a grid -> the field changing as the noise level falls -> walkers following it from random starts
-> the compass needle: the predicted direction at one walker, step by step -> the measured miss of a few
big steps -> guidance bending the walk (pulled on, then pushed past the shape). Every arrow, path and number
is from build/data/05_compass (trained by the data stage).
"""

import numpy as np
from manim import (DOWN, UP, Arrow, Create, Dot, FadeIn, FadeOut, LaggedStart, Transform, UpdateFromFunc,
                   ValueTracker, VGroup, linear)

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass, Walker
from scenes.pieces import DataPlane, HousePlot, text
from scenes.style import GAP, GUIDANCE, HIGHLIGHT, MUTED, PALETTE, PROMPT, SEED, STEPS, Pace, Slots, Type

SPIRAL = 1  # the field's class index of the spiral (0 is "no prompt")


class Compass2D(ChapterScene):
    @beat
    def shapes(self, b):
        """The toy model's world: a plane, and the three shapes it learned, one per prompt."""
        names = self.fact("toy.shapes")
        panels = Slots.STAGE.columns(*[1] * len(names), gap=GAP * 3)
        data = [self.array("data_spiral"), self.array("data_ring"), self.array("data_cluster")]
        self.minis = VGroup()
        for i, (name, slot, points) in enumerate(zip(names, panels, data)):
            body, label = slot.rows(5, 1)
            plane = DataPlane(body, np.array([[-1.6, -1.6], [1.6, 1.6]]))
            self.minis.add(VGroup(plane, plane.dots(points[::3], color=PALETTE[i], radius=0.03),
                                  label.place(text(name, size=Type.BODY, color=PALETTE[i]))))
        b.fill(LaggedStart(*[FadeIn(m) for m in self.minis], lag_ratio=0.5), leave=Pace.NORMAL)

    @beat
    def field(self, b):
        """The model's real answer at every grid point: which way to the data (the spiral), at high noise."""
        b.play(FadeOut(self.minis))
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
        levels = self.fact("field.timesteps")
        self.level_label = text(f"noise level t = {levels[0]}", size=Type.CAPTION, color=MUTED)
        self.side.stack(3)[0].place(self.level_label)
        b.play(FadeIn(self.plane), FadeIn(self.spiral))
        b.fill(LaggedStart(*[Create(a) for a in self.arrows], lag_ratio=0.005), FadeIn(self.level_label))

    def _at(self, path: np.ndarray, k: float) -> np.ndarray:
        """Where a walker is drawn k steps along its path: on the plane, or at its edge while still outside."""
        return self.plane.to_scene(np.clip(_along(path, k), -self.reach, self.reach))

    def _arrows(self, level: int, cls: int = SPIRAL) -> VGroup:
        """The field at one noise level as arrows of equal length (direction only), one per grid point."""
        directions = self.field[level, cls]
        arrows = VGroup()
        for (x, y), d in zip(self.cells.reshape(-1, 2), directions.reshape(-1, 2)):
            start = self.plane.to_scene([x, y])
            end = self.plane.to_scene([x + 0.8 * self.step * d[0], y + 0.8 * self.step * d[1]])
            arrows.add(Arrow(start, end, buff=0, color=PROMPT, stroke_width=2, max_tip_length_to_length_ratio=0.35,
                             stroke_opacity=0.8))
        return arrows

    @beat
    def levels(self, b):
        """As the noise falls, the arrows turn from 'the middle' to the spiral's arms."""
        levels = self.fact("field.timesteps")
        for level in range(1, len(levels)):
            new_label = text(f"noise level t = {levels[level]}", size=Type.CAPTION, color=MUTED).move_to(self.level_label)
            b.play(Transform(self.arrows, self._arrows(level)), Transform(self.level_label, new_label),
                   share=1 / len(levels))

    @beat
    def walkers(self, b):
        """Walkers from random starts follow the arrows, a little at a time."""
        paths = self.array("paths")[0]  # the spiral's walkers [W, S+1, 2]
        self.k = ValueTracker(0)
        self.crowd = VGroup(*[Dot(self.plane.to_scene(p[0]), radius=0.05, color=SEED) for p in paths])
        for dot, path in zip(self.crowd, paths):
            dot.add_updater(lambda m, path=path: m.move_to(self._at(path, self.k.get_value())))
        b.play(self.arrows.animate.set_opacity(0.25), FadeIn(self.crowd))
        self.walker_paths = paths
        b.fill(self.k.animate.set_value(paths.shape[1] - 1), rate_func=linear)

    @beat
    def needle(self, b):
        """The compass at one walker: its needle is the model's predicted direction, step by step."""
        needle, path = self.array("needle"), self.walker_paths[0]
        for dot in self.crowd:
            dot.clear_updaters()
        self.k.set_value(0)
        b.play(self.crowd.animate.set_opacity(0.15))
        self.walker = Walker(self._at(path, 0), color=HIGHLIGHT, fade_after=None)
        dial_slot = self.side.stack(3)[1]
        self.dial = Compass(radius=dial_slot.height / 3, label="the model's direction")
        dial_slot.place(self.dial)
        self.add(self.walker)
        b.play(FadeIn(self.walker.dot), Create(self.dial))
        at_step = lambda: needle[min(int(self.k.get_value()), len(needle) - 1)]  # noqa: E731
        # The dial's angle tracker is not in the scene, so an updater on it would never run: both follow k
        # through animations of this beat only.
        b.fill(self.k.animate.set_value(len(needle)),
               UpdateFromFunc(self.walker.dot, lambda m: m.move_to(self._at(path, self.k.get_value()))),
               UpdateFromFunc(self.dial.angle, lambda m: m.set_value(_angle(at_step()))), rate_func=linear)

    @beat
    def jump(self, b):
        """Fewer, bigger steps land off the shape: the measured miss against the number of steps."""
        b.play(FadeOut(VGroup(self.plane, self.spiral, self.arrows, self.crowd, self.walker, self.dial,
                              self.level_label)))
        steps, miss = self.fact("miss.steps"), self.array("miss_by_steps")
        top = float(np.ceil(miss.max() * 1.2 * 10) / 10)
        self.plot = HousePlot(Slots.STAGE, [0, len(steps) - 1, 1], [0, top, top / 4], "number of steps",
                              "how far walkers land from the shape", x_numbers=False, places=2)
        ticks = VGroup(*[text(str(s), size=Type.LABEL, color=MUTED).next_to(self.plot.point(i, 0), DOWN)
                         for i, s in enumerate(steps)])
        self.curve = self.plot.curve(range(len(steps)), miss, color=STEPS)
        marks = VGroup(self.plot.mark(0, float(miss[0]), f"{miss[0]:.2f}"),
                       self.plot.mark(len(steps) - 1, float(miss[-1]), f"{miss[-1]:.2f}", direction=UP))
        self.jump_group = VGroup(self.plot, ticks, self.curve, marks)
        b.play(*self.plot.arrive(), FadeIn(ticks))
        b.fill(Create(self.curve), FadeIn(marks, lag_ratio=0.5))

    @beat
    def guidance(self, b):
        """Guidance bends the walk: endpoints at each scale, pulled onto the spiral and then past it."""
        b.play(FadeOut(self.jump_group))
        guided, scales = self.array("guided_paths"), self.fact("walk.guidance_scales")
        outside = self.array("spread_by_guidance")[0]
        all_scales = self.fact("guidance.scales")
        self.add(self.plane, self.spiral)
        b.play(FadeIn(self.plane), FadeIn(self.spiral))
        ends = VGroup(*[Dot(self._at(p, len(p) - 1), radius=0.05, color=GUIDANCE) for p in guided[0]])
        label = text(f"guidance {scales[0]}: {outside[all_scales.index(scales[0])] * 100:.0f}% off the shape",
                     size=Type.CAPTION, color=GUIDANCE)
        self.side.stack(3)[1].place(label)
        b.play(FadeIn(ends), FadeIn(label))
        for i in range(1, len(scales)):
            new_ends = VGroup(*[Dot(self._at(p, len(p) - 1), radius=0.05, color=GUIDANCE) for p in guided[i]])
            new_label = text(f"guidance {scales[i]}: {outside[all_scales.index(scales[i])] * 100:.0f}% off the shape",
                             size=Type.CAPTION, color=GUIDANCE).move_to(label)
            b.play(Transform(ends, new_ends), Transform(label, new_label), share=1 / len(scales))
        self.ends, self.guidance_label = ends, label

    @beat
    def closing(self, b):
        """Many small steps, each knowing only which way to go from here."""
        path = self.walker_paths[1]
        walker = Walker(self._at(path, 0), color=HIGHLIGHT, fade_after=None)
        self.add(walker)
        b.play(FadeOut(self.ends), FadeOut(self.guidance_label), FadeIn(walker.dot))
        b.fill(walker.walk([self._at(path, i) for i in range(len(path))], smooth_path=False), leave=Pace.SLOW)


def _along(path: np.ndarray, k: float) -> np.ndarray:
    """The position k steps along a path (interpolated between steps)."""
    i = int(min(max(k, 0), len(path) - 1.001))
    f = min(max(k - i, 0.0), 1.0)
    return path[i] * (1 - f) + path[min(i + 1, len(path) - 1)] * f


def _angle(direction) -> float:
    return float(np.arctan2(direction[1], direction[0]))
