"""Chapter 01 — How many possible images?

Storyboard: the model's canvas (real seeded noise, pixels visible) -> one pixel's three channels ->
the count as a real formula, counted up -> 10^80 atoms -> universes nested inside atoms, layer counter
-> noise flickering, one new image per frame -> the time it would take -> a walker finding its way.
Every figure is read from build/data/01_possible_images/facts.json.
"""

import numpy as np
from manim import (DOWN, LEFT, PI, RIGHT, UP, Brace, ChangeDecimalToValue, Circle, Create, Dot, FadeIn, FadeOut,
                   Group, GrowFromCenter, Indicate, LaggedStart, ReplacementTransform, Rotate, Square, VGroup, VMobject,
                   Write, linear)

from scenes.beats import ChapterScene, beat
from scenes.compass import Walker, wander
from scenes.layout import unspoken
from scenes.pieces import ImagePanel, LabelledCounter, counter, math, set_pixels, tex_thousands, text
from scenes.style import (GAP, NUDGE, GUIDANCE, HIGHLIGHT, MUTED, PROMPT, RGB_CHANNELS, SEED, STEPS, TEXT, Pace, Slots,
                          Type)

ZOOMS = 3  # atoms opened into universes one by one (as the voice opens each) before the rings count the rest


class PossibleImages(ChapterScene):
    @beat
    def canvas(self, b):
        """The model's canvas: one real noise image, its width and height counted up."""
        self.frames = self.array("noise_frames")
        self.panel = ImagePanel(self.frames[0], Slots.LEFT_PANEL, label=self.fact("model.name"), label_color=PROMPT)
        frame = self.panel.frame
        self.braces = VGroup(Brace(frame, DOWN, color=MUTED), Brace(frame, LEFT, color=MUTED))
        self.sides = VGroup(counter(0, size=Type.HEADING), counter(0, size=Type.HEADING))
        self.sides[0].next_to(self.braces[0], DOWN, buff=0.1)
        self.sides[1].next_to(self.braces[1], LEFT, buff=0.1)
        b.play(FadeIn(self.panel.image), Create(frame))
        b.play(*[GrowFromCenter(x) for x in self.braces], FadeIn(self.sides), pace=Pace.QUICK)
        b.at("<name>")
        b.play(FadeIn(self.panel.label), pace=Pace.QUICK)
        # Each side counts up to its figure as the voice says it: the width, then the height.
        b.fill(ChangeDecimalToValue(self.sides[0], self.fact("model.width")), until="<width>")
        b.fill(ChangeDecimalToValue(self.sides[1], self.fact("model.height")), until="<height>")

    @beat
    def channels(self, b):
        """One pixel: three channels of 256 levels, so one image is a list of numbers."""
        height, width = self.fact("model.height"), self.fact("model.width")
        row, col = height // 3, width // 4
        cell = self.panel.image.height / height
        self.pixel_box = Square(cell, color=HIGHLIGHT, stroke_width=3).move_to(
            self.panel.image.get_corner(UP + LEFT) + RIGHT * cell * (col + 0.5) + DOWN * cell * (row + 0.5))
        rgb = self.frames[0][row, col]
        top, middle, bottom = Slots.RIGHT_PANEL.stack(3)
        self.swatch = Square(top.height, fill_opacity=1, fill_color=_hex(rgb), stroke_color=HIGHLIGHT).move_to(top.center)
        levels, values = self.fact("possible_images.levels"), self.fact("possible_images.values")
        self.bars = _channel_bars(rgb, levels, middle)
        # width x height x 3 = the count of numbers, which counts up to its figure as the voice says it
        self.values_eq = VGroup(math(rf"{width} \times {height} \times 3 =", size=Type.NUMBER),
                                counter(values, size=Type.NUMBER)).arrange(RIGHT, buff=GAP)
        bottom.place(self.values_eq)
        self.values_eq[1].set_value(0)
        b.play(Create(self.pixel_box), pace=Pace.QUICK)
        b.play(ReplacementTransform(self.pixel_box.copy(), self.swatch), pace=Pace.QUICK)
        b.at("red")  # each bar as its colour is named
        b.play(FadeIn(self.bars[0], shift=RIGHT * NUDGE), pace=Pace.QUICK)
        b.at("green")
        b.play(FadeIn(self.bars[1], shift=RIGHT * NUDGE), pace=Pace.QUICK)
        b.at("blue")
        b.play(FadeIn(self.bars[2], shift=RIGHT * NUDGE), pace=Pace.QUICK)
        b.at("three")
        b.play(Write(self.values_eq[0]))
        b.at("levels")
        b.play(FadeIn(self.bars[3], shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("so one image")
        b.play(FadeIn(self.values_eq[1]), pace=Pace.QUICK)
        b.fill(ChangeDecimalToValue(self.values_eq[1], values), until="<values>")
        self.values_eq[1].clear_updaters()

    @beat
    def formula(self, b):
        """levels ^ values = 10^exponent, and the zeros counted."""
        values_tex = tex_thousands(self.fact("possible_images.values"))
        levels, exponent = self.fact("possible_images.levels"), self.fact("possible_images.exponent")
        b.play(FadeOut(Group(self.panel, self.braces, self.sides, self.pixel_box, self.swatch, self.bars)),
               self.values_eq.animate.move_to(Slots.STAGE.stack(4)[0].center))
        self.steps = VGroup(math(rf"{levels}", rf"^{{{values_tex}}}", size=Type.DISPLAY),
                            math(rf"= 10^{{\,{values_tex} \cdot \log_{{10}} {levels}}}", size=Type.TITLE),
                            math(r"\approx 10^{", tex_thousands(exponent), "}", size=Type.DISPLAY))
        self.steps[2][1].set_color(HIGHLIGHT)
        self.steps.arrange(DOWN, buff=GAP * 2)
        Slots.STAGE.below(Slots.STAGE.stack(4)[0].bottom).place(self.steps)
        # Each step of the chain lands as the voice says it.
        unspoken(self.steps[1])  # the worked step between the two figures the voice says
        b.fill(Indicate(self.values_eq[1], color=HIGHLIGHT), until="<power>")
        b.play(Write(self.steps[0]))
        b.fill(Indicate(self.steps[0], color=HIGHLIGHT), until="that is about")
        b.play(FadeIn(self.steps[1], shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("ten to the power")
        b.play(FadeIn(self.steps[2], shift=DOWN * NUDGE))
        # "a 1 followed by 29,592 zeros", built as it is said: the count lands on the figure as the voice names it
        self.zeros = VGroup(LabelledCounter("1 followed by", exponent, label_color=MUTED),
                            text("zeros", color=MUTED)).arrange(RIGHT, buff=GAP)
        Slots.BOTTOM_STRIP.place(self.zeros)
        counted = self.zeros[0]
        counted.number.set_value(0)
        b.at("followed by")
        b.play(FadeIn(counted), pace=Pace.QUICK)
        b.fill(counted.count_to(exponent), until="<zeros>")
        counted.number.clear_updaters()
        b.fill(Indicate(counted.number, color=HIGHLIGHT), until="zeros")
        b.play(FadeIn(self.zeros[1], shift=LEFT * NUDGE), pace=Pace.QUICK)

    @beat
    def atoms(self, b):
        """For scale: about 10^80 atoms in the observable universe."""
        self.power = self.steps[2]
        b.play(FadeOut(VGroup(self.values_eq, self.steps[0], self.steps[1], self.zeros)),
               self.power.animate.scale(0.5).move_to(Slots.HEADER.center).align_to(Slots.HEADER.right * RIGHT, RIGHT))
        self.universe = _universe(Slots.LEFT_PANEL, n_atoms=140, seed=80)
        self.atoms_label = math(r"\approx 10^{", str(self.fact("atoms.exponent")), r"}\ \text{atoms}",
                                size=Type.NUMBER)
        self.atoms_label.move_to(Slots.RIGHT_PANEL.stack(3)[0].center)
        b.fill(Create(self.universe[0]),
               LaggedStart(*[FadeIn(d, scale=0.5) for d in self.universe[1]], lag_ratio=0.01), until="ten to the power")
        b.play(Write(self.atoms_label))

    @beat
    def nesting(self, b):
        """Every atom a universe of its own, layer after layer: the layer count climbs to the figure."""
        layers = self.fact("atoms.layers")
        # "370 layers", in the order the voice says it: the count lands on the figure, then the word
        self.layers = VGroup(counter(layers), text("layers", color=TEXT)).arrange(RIGHT, buff=GAP)
        self.layers.move_to(Slots.RIGHT_PANEL.stack(3)[1].center)
        self.layers[0].set_value(ZOOMS + 1)  # the layer the zooms below have reached
        self.layer_power = math(rf"10^{{{self.fact('atoms.exponent')} \times L}}", size=Type.HEADING)
        self.layer_power.move_to(Slots.RIGHT_PANEL.stack(3)[2].center)
        home = self.universe.get_center()
        # an atom lights up and grows into a new universe full of atoms, each time the voice opens one
        b.fill(self._atom(0).animate.set_color(HIGHLIGHT).scale(1.8), until="holds a universe")
        self._zoom_into(b, 0, home)
        b.fill(self._atom(1).animate.set_color(HIGHLIGHT).scale(1.8), until="holds another")
        self._zoom_into(b, 1, home)
        b.fill(self._atom(2).animate.set_color(HIGHLIGHT).scale(1.8), until="and so on")
        self._zoom_into(b, 2, home)
        radius = self.universe[0].width / 2
        self.rings = VGroup(*[Circle(radius=radius * (0.93 ** k), color=PROMPT, stroke_width=1.5,
                                     stroke_opacity=0.9 - 0.6 * k / 40) for k in range(40)]).move_to(home)
        b.at("layer inside layer")
        b.play(FadeIn(self.layers[0]), Create(self.rings[0]), pace=Pace.QUICK)
        b.fill(LaggedStart(*[Create(r) for r in self.rings[1:]], lag_ratio=0.05),
               ChangeDecimalToValue(self.layers[0], layers, rate_func=linear), until="<layers>")
        b.at("layers")
        b.play(FadeIn(self.layers[1], shift=LEFT * NUDGE), pace=Pace.QUICK)
        b.fill(Rotate(self.universe[1], angle=PI / 6, about_point=home), until="to reach")
        b.play(FadeIn(self.layer_power, shift=DOWN * NUDGE))
        b.at("possible images")
        b.play(Indicate(self.power, color=HIGHLIGHT), pace=Pace.SLOW)

    def _atom(self, depth: int):
        return self.universe[1][7 + depth]

    def _zoom_into(self, b, depth: int, home) -> None:
        """The lit atom grows into a universe of its own, which takes the old one's place."""
        atom = self._atom(depth)
        inner = _universe(Slots.LEFT_PANEL, n_atoms=140, seed=81 + depth)
        full = inner.width
        inner.scale(atom.width / full).move_to(atom)
        b.play(self.universe.animate.scale(18, about_point=atom.get_center()).set_opacity(0),
               inner.animate.scale(full / inner.width).move_to(home))
        self.remove(self.universe)
        self.universe = inner

    @beat
    def noise(self, b):
        """Almost every image is noise: a new random one every frame."""
        b.play(FadeOut(VGroup(self.universe, self.rings, self.atoms_label, self.layers, self.layer_power)))
        self.flicker = ImagePanel(self.frames[0], Slots.STAGE, caption="a new random image every frame",
                                  caption_color=MUTED)
        b.at("look like this")  # the noise shows as the voice points at it
        shown_from = self.now

        def next_frame(mob):  # by the clock since it appeared, not by a count of calls: a beat reached by
            # skipping shows the same frames, and earlier beats' lengths do not change them
            frame = int(round((self.now - shown_from) * self.camera.frame_rate))
            set_pixels(mob, self.frames[frame % len(self.frames)])

        self.add(self.flicker.image)
        self.flicker.image.add_updater(next_frame)
        b.play(Create(self.flicker.frame), pace=Pace.QUICK)
        b.at("a new random")
        b.play(FadeIn(self.flicker.caption), pace=Pace.QUICK)

    @beat
    def heat(self, b):
        """Looking at all of them would outlast the universe."""
        left = Slots.LEFT_PANEL
        b.play(self.flicker.animate.scale(left.height * 0.75 / self.flicker.height).move_to(left.center))
        years = math(rf"{self.fact('viewing.images_per_second')}\ \text{{images/s}}:", size=Type.HEADING)
        years_val = math(r"\approx 10^{", tex_thousands(self.fact("viewing.years_exponent")), r"}\ \text{years}",
                         size=Type.TITLE)
        years_val[1].set_color(HIGHLIGHT)
        heat = math(r"\text{heat death of the universe}:", size=Type.BODY, color=MUTED)
        heat_val = math(r"\approx 10^{", str(self.fact("viewing.heat_death_exponent")), r"}\ \text{years}",
                        size=Type.NUMBER, color=MUTED)
        self.column = VGroup(years, years_val, heat, heat_val).arrange(DOWN, buff=GAP * 2, aligned_edge=LEFT)
        Slots.RIGHT_PANEL.place(self.column)
        b.play(Write(years), pace=Pace.SLOW)
        b.at("<years>")
        b.play(FadeIn(years_val, shift=UP * NUDGE))
        b.at("the universe itself")
        b.play(FadeIn(heat))
        b.at("<heat_death>")
        b.play(FadeIn(heat_val))

    @beat
    def closing(self, b):
        """From a random start to one of the rare pictures that fit the words."""
        self.flicker.image.clear_updaters()
        b.play(FadeOut(self.flicker), FadeOut(self.column), FadeOut(self.power), pace=Pace.QUICK)
        stage = Slots.STAGE
        rng = np.random.default_rng(3)
        cloud = VGroup(*[Dot([x, y, 0], radius=0.025, color=MUTED, fill_opacity=0.6) for x, y in
                         zip(rng.uniform(stage.left, stage.right, 500), rng.uniform(stage.bottom, stage.top, 500))])
        start = np.array([stage.left + stage.width * 0.12, stage.bottom + stage.height * 0.15, 0])
        goal = Dot([stage.right - stage.width * 0.2, stage.top - stage.height * 0.3, 0], radius=0.12, color=STEPS)
        goal_label = text("a picture that fits the words", size=Type.CAPTION, color=STEPS).next_to(goal, UP)
        walker = Walker(start, color=SEED, fade_after=None)
        start_label = text("random start", size=Type.CAPTION, color=SEED).next_to(walker.dot, DOWN)
        b.play(FadeIn(cloud, lag_ratio=0.002))
        self.add(walker)
        b.at("finds its way")
        b.play(FadeIn(walker.dot), FadeIn(start_label), pace=Pace.QUICK)
        # the walk hesitates halfway; the picture it is heading for shows as the voice names it
        path = wander(start, goal.get_center(), seed=3)
        halfway = len(path) // 2
        b.fill(walker.walk(path[:halfway + 1]), until="a few words")
        b.play(FadeIn(goal), FadeIn(goal_label), pace=Pace.QUICK)
        b.fill(walker.walk(path[halfway:]), leave=Pace.NORMAL)
        b.play(walker.dot.animate.set_color(GUIDANCE).scale(1.3), pace=Pace.QUICK)


def _channel_bars(rgb, levels: int, slot) -> VGroup:
    """Three bars, one per colour channel, filled to the pixel's value out of the levels; under them, the levels."""
    bars = VGroup()
    length = slot.width * 0.5
    for value, colour, name in zip(rgb, RGB_CHANNELS, "RGB"):
        track = VMobject().set_points_as_corners([LEFT * length / 2, RIGHT * length / 2]).set_stroke(MUTED, 8)
        fill = VMobject().set_points_as_corners([LEFT * length / 2, LEFT * length / 2 + RIGHT * length * (value / 255 + 1e-3)])
        fill.set_stroke(colour, 8)
        label = text(name, size=Type.CAPTION, color=colour).next_to(track, LEFT, buff=GAP)
        number = text(f"{int(value)} / {levels - 1}", size=Type.CAPTION).next_to(track, RIGHT, buff=GAP)
        bars.add(VGroup(track, fill, label, number))
    bars.add(text(f"{levels} levels each", size=Type.CAPTION, color=MUTED))
    bars.arrange(DOWN, buff=GAP)
    return slot.place(bars)


def _universe(slot, n_atoms: int, seed: int) -> VGroup:
    """A circle of 'atoms' (seeded positions, uniform in the disc), as large as the slot allows."""
    radius = min(slot.width, slot.height) / 2
    rng = np.random.default_rng(seed)
    r = radius * 0.92 * np.sqrt(rng.uniform(0, 1, n_atoms))
    a = rng.uniform(0, 2 * np.pi, n_atoms)
    dots = VGroup(*[Dot([x, y, 0], radius=0.035, color=TEXT) for x, y in zip(r * np.cos(a), r * np.sin(a))])
    return VGroup(Circle(radius=radius, color=PROMPT, stroke_width=3), dots).move_to(slot.center)


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))
