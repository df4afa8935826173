"""Chapter 01 — How many possible images?

Storyboard: the model's canvas (real seeded noise, pixels visible) -> one pixel's three channels ->
the count as a real formula, counted up -> 10^80 atoms -> universes nested inside atoms, layer counter
-> noise flickering, one new image per frame -> the time it would take -> a walker finding its way.
Every figure is read from build/data/01_possible_images/facts.json.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Brace, Group, ChangeDecimalToValue, Circle,
                   Create, Dot, FadeIn, FadeOut, GrowFromCenter, LaggedStart, MoveAlongPath, ReplacementTransform,
                   Square, TracedPath, VGroup, VMobject, Write, linear, smooth)

from scenes.house_style import (GUIDANCE, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, TEXT, counter,
                                frame_around, math, pixel_image, set_pixels, tex_thousands, text,
                                title_card)
from scenes.voiced import VoicedScene


class PossibleImages(VoicedScene):
    cues = ("canvas", "channels", "formula", "atoms", "nesting", "noise", "heat", "closing")

    def construct(self):
        f = self.facts
        width, height = f["model"]["width"], f["model"]["height"]
        frames = self.data.array("noise_frames")

        # The question holds the screen while the opening sentences are spoken.
        self.header = title_card(self, number=self.chapter.number, question=self.timeline["title"],
                                 hold=max(0.5, self.time_until("canvas") - 2.6))

        # --- the canvas: one real noise image at the model's resolution, pixels visible ------------
        self.wait_until("canvas")
        canvas = pixel_image(frames[0], height=5.2).shift(LEFT * 3.3 + DOWN * 0.3)
        border = frame_around(canvas)
        model_name = text(f["model"]["name"], size=26, color=PROMPT).next_to(border, UP, buff=0.15)
        brace_w = Brace(border, DOWN, color=MUTED)
        brace_h = Brace(border, LEFT, color=MUTED)
        w_count, h_count = counter(0, size=36), counter(0, size=36)
        w_count.next_to(brace_w, DOWN, buff=0.1)
        h_count.next_to(brace_h, LEFT, buff=0.1)
        self.play(FadeIn(canvas), Create(border), FadeIn(model_name), run_time=1.0)
        self.play(GrowFromCenter(brace_w), GrowFromCenter(brace_h), FadeIn(w_count), FadeIn(h_count),
                  run_time=0.5)
        self.play(ChangeDecimalToValue(w_count, width), ChangeDecimalToValue(h_count, height),
                  run_time=min(2.0, self.time_until("channels")))

        # --- one pixel: three channels of 256 levels ----------------------------------------------
        self.wait_until("channels")
        px_row, px_col = height // 3, width // 4
        cell = canvas.height / height
        pixel_box = Square(cell, color=HIGHLIGHT, stroke_width=3).move_to(
            canvas.get_corner(UP + LEFT) + RIGHT * cell * (px_col + 0.5) + DOWN * cell * (px_row + 0.5))
        rgb = frames[0][px_row, px_col]
        swatch = Square(1.3, fill_opacity=1, fill_color=_hex(rgb), stroke_color=HIGHLIGHT).shift(RIGHT * 2.8 + UP * 1.7)
        bars = VGroup()
        for value, colour, name in zip(rgb, ("#ff5c5c", "#5cff7a", "#5c8cff"), "RGB"):
            track = VMobject().set_points_as_corners([LEFT * 1.3, RIGHT * 1.3]).set_stroke(MUTED, 8)
            fill = VMobject().set_points_as_corners([LEFT * 1.3, LEFT * 1.3 + RIGHT * 2.6 * (value / 255 + 1e-3)])
            fill.set_stroke(colour, 8)
            label = text(name, size=26, color=colour).next_to(track, LEFT, buff=0.25)
            number = text(f"{int(value)} / {f['possible_images']['levels'] - 1}", size=24).next_to(track, RIGHT, buff=0.25)
            bars.add(VGroup(track, fill, label, number))
        bars.arrange(DOWN, buff=0.35).next_to(swatch, DOWN, buff=0.4)
        self.play(Create(pixel_box), run_time=0.6)
        self.play(ReplacementTransform(pixel_box.copy(), swatch), run_time=0.9)
        self.play(LaggedStart(*[FadeIn(b, shift=RIGHT * 0.2) for b in bars], lag_ratio=0.3), run_time=1.2)
        values_eq = math(rf"{width} \times {height} \times 3 = ", tex_thousands(f["possible_images"]["values"]),
                         size=44).next_to(bars, DOWN, buff=0.5).set_x(swatch.get_x())
        values_eq[1].set_color(HIGHLIGHT)
        self.play(Write(values_eq), run_time=min(1.5, self.time_until("formula")))

        # --- the count, as a real formula ----------------------------------------------------------
        self.wait_until("formula")
        values_tex = tex_thousands(f["possible_images"]["values"])
        levels = f["possible_images"]["levels"]
        exponent = f["possible_images"]["exponent"]
        self.play(FadeOut(Group(canvas, border, model_name, brace_w, brace_h, w_count, h_count, pixel_box,
                                 swatch, bars)), values_eq.animate.to_edge(UP, buff=1.0).set_x(0), run_time=1.0)
        step1 = math(rf"{levels}", rf"^{{{values_tex}}}", size=84)
        step2 = math(rf"= 10^{{\,{values_tex} \cdot \log_{{10}} {levels}}}", size=60)
        step3 = math(r"\approx 10^{", tex_thousands(exponent), "}", size=84)
        step3[1].set_color(HIGHLIGHT)
        VGroup(step1, step2, step3).arrange(DOWN, buff=0.45).shift(DOWN * 0.4)
        self.play(Write(step1), run_time=1.2)
        self.play(FadeIn(step2, shift=DOWN * 0.3), run_time=1.0)
        self.play(FadeIn(step3, shift=DOWN * 0.3), run_time=1.0)
        zeros_label = text("zeros after the 1:", size=30, color=MUTED)
        zeros = counter(0, size=44)
        zeros_row = VGroup(zeros_label, zeros).arrange(RIGHT, buff=0.3).to_edge(DOWN, buff=0.6)
        zeros.add_updater(lambda m: m.next_to(zeros_label, RIGHT, buff=0.3))
        self.play(FadeIn(zeros_label), FadeIn(zeros), run_time=0.4)
        self.play(ChangeDecimalToValue(zeros, exponent, rate_func=smooth),
                  run_time=max(1.5, self.time_until("atoms") - 1.0))
        zeros.clear_updaters()

        # --- 10^80 atoms -------------------------------------------------------------------------
        self.wait_until("atoms")
        self.play(FadeOut(VGroup(values_eq, step1, step2, zeros_row)),
                  step3.animate.scale(0.55).to_corner(UP + RIGHT, buff=0.5), run_time=1.0)
        universe = _universe(radius=2.4, n_atoms=140, seed=80).shift(LEFT * 2.2 + DOWN * 0.4)
        atoms_label = math(r"\approx 10^{", str(f["atoms"]["exponent"]), r"}\ \text{atoms}", size=48)
        atoms_label.next_to(universe, RIGHT, buff=0.8)
        self.play(Create(universe[0]), LaggedStart(*[FadeIn(d, scale=0.5) for d in universe[1]], lag_ratio=0.01),
                  run_time=1.6)
        self.play(Write(atoms_label), run_time=1.0)

        # --- universes nested inside atoms --------------------------------------------------------
        self.wait_until("nesting")
        layers_target = f["atoms"]["layers"]
        layer_label = text("layers:", size=34, color=MUTED)
        layer_count = counter(1, size=48)
        layer_row = VGroup(layer_label, layer_count).arrange(RIGHT, buff=0.25).next_to(atoms_label, DOWN, buff=0.9)
        layer_count.add_updater(lambda m: m.next_to(layer_label, RIGHT, buff=0.25))
        atoms_power = math(rf"10^{{{f['atoms']['exponent']} \times L}}", size=40, color=TEXT).next_to(layer_row, DOWN, buff=0.5)
        atoms_power.add_updater(lambda m: m.next_to(layer_row, DOWN, buff=0.5))
        self.play(FadeIn(layer_row), FadeIn(atoms_power), run_time=0.6)
        # Zoom into one atom three times: the atom grows into a new universe full of atoms.
        current, home = universe, universe.get_center()
        for depth in range(3):
            atom = current[1][7 + depth]
            inner = _universe(radius=2.4, n_atoms=140, seed=81 + depth)
            inner.scale(atom.width / inner.width).move_to(atom)
            self.play(atom.animate.set_color(HIGHLIGHT).scale(1.8), run_time=0.35)
            self.play(current.animate.scale(18, about_point=atom.get_center()).set_opacity(0),
                      inner.animate.scale(2 * 2.4 / inner.width).move_to(home),
                      ChangeDecimalToValue(layer_count, depth + 2), run_time=1.1)
            self.remove(current)
            current = inner
        # Then count the remaining layers fast, rings drawn inward.
        rings = VGroup(*[Circle(radius=2.4 * (0.93 ** k), color=PROMPT, stroke_width=1.5,
                                stroke_opacity=0.9 - 0.6 * k / 40) for k in range(40)]).move_to(current)
        self.play(LaggedStart(*[Create(r) for r in rings], lag_ratio=0.05),
                  ChangeDecimalToValue(layer_count, layers_target, rate_func=linear),
                  run_time=max(1.5, self.time_until("noise") - 0.3))
        layer_count.clear_updaters()
        atoms_power.clear_updaters()

        # --- noise: a new random image every frame -----------------------------------------------
        self.wait_until("noise")
        self.play(FadeOut(VGroup(current, rings, atoms_label, layer_row, atoms_power)), run_time=0.6)
        flicker = pixel_image(frames[0], height=5.6).shift(DOWN * 0.3)
        flicker_border = frame_around(flicker)
        state = {"i": 0}

        def next_frame(mob, dt):
            state["i"] = (state["i"] + 1) % len(frames)
            set_pixels(mob, frames[state["i"]])

        self.add(flicker, flicker_border)
        flicker.add_updater(next_frame)
        caption = text("a new random image every frame", size=28, color=MUTED).next_to(flicker_border, DOWN, buff=0.2)
        self.play(FadeIn(caption), run_time=0.5)
        self.wait(max(0.1, self.time_until("heat")))

        # --- how long it would take ------------------------------------------------------------------
        self.wait_until("heat")
        self.play(VGroup(flicker_border, caption).animate.shift(LEFT * 3.2).scale(0.7),
                  flicker.animate.shift(LEFT * 3.2).scale(0.7), run_time=0.8)
        v = f["viewing"]
        years = math(rf"{v['images_per_second']}\ \text{{images/s}}:", size=38)
        years_val = math(r"\approx 10^{", tex_thousands(v["years_exponent"]), r"}\ \text{years}", size=52)
        years_val[1].set_color(HIGHLIGHT)
        heat = math(r"\text{heat death of the universe}:", size=34, color=MUTED)
        heat_val = math(r"\approx 10^{", str(v["heat_death_exponent"]), r"}\ \text{years}", size=44, color=MUTED)
        col = VGroup(years, years_val, heat, heat_val).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
        col.next_to(flicker_border, RIGHT, buff=0.8)
        self.play(Write(years), FadeIn(years_val, shift=UP * 0.2), run_time=1.4)
        self.play(FadeIn(heat), FadeIn(heat_val), run_time=1.0)
        self.wait(max(0.1, self.time_until("closing") - 0.7))
        flicker.clear_updaters()

        # --- the journey: from a random start to one of the rare pictures that fit -----------------
        self.wait_until("closing")
        self.play(FadeOut(VGroup(flicker_border, caption, col, step3)), FadeOut(flicker), run_time=0.6)
        rng = np.random.default_rng(3)
        cloud = VGroup(*[Dot(np.array([x, y, 0]), radius=0.025, color=MUTED, fill_opacity=0.6)
                         for x, y in zip(rng.uniform(-6.5, 6.5, 500), rng.uniform(-3.3, 3.0, 500))])
        goal = Dot(RIGHT * 4 + UP * 1.5, radius=0.12, color=STEPS)
        goal_label = text("a picture that fits the words", size=26, color=STEPS).next_to(goal, UP, buff=0.2)
        walker = Dot(LEFT * 5 + DOWN * 2.5, radius=0.1, color=SEED)
        start_label = text("random start", size=26, color=SEED).next_to(walker, DOWN, buff=0.2)
        path = TracedPath(walker.get_center, stroke_color=PROMPT, stroke_width=4)
        self.play(FadeIn(cloud, lag_ratio=0.002), run_time=1.0)
        self.play(FadeIn(walker), FadeIn(start_label), FadeIn(goal), FadeIn(goal_label), run_time=0.6)
        self.add(path)
        route = VMobject().set_points_smoothly([walker.get_center(), LEFT * 2.5 + DOWN * 0.8, LEFT * 0.5 + DOWN * 1.6,
                                                RIGHT * 1.5 + UP * 0.2, RIGHT * 3.2 + UP * 0.9, goal.get_center()])
        self.play(MoveAlongPath(walker, route), run_time=max(2.0, self.time_until_end() - 1.0),
                  rate_func=smooth)
        self.play(walker.animate.set_color(GUIDANCE).scale(1.3), run_time=0.5)


def _universe(radius: float, n_atoms: int, seed: int) -> VGroup:
    """A circle of 'atoms' (seeded positions, uniform in the disc)."""
    rng = np.random.default_rng(seed)
    r = radius * 0.92 * np.sqrt(rng.uniform(0, 1, n_atoms))
    a = rng.uniform(0, 2 * np.pi, n_atoms)
    dots = VGroup(*[Dot(np.array([x, y, 0]), radius=0.035, color=TEXT) for x, y in zip(r * np.cos(a), r * np.sin(a))])
    return VGroup(Circle(radius=radius, color=PROMPT, stroke_width=3), dots)


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))
