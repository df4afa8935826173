"""Chapter 02 — What happens after I type a prompt?

Storyboard: the prompt and model named -> x_T, pure noise from the seed -> the walk, step counter ->
x̂0 beside x_t ("where the model thinks it is heading") -> "why not jump?": the first x̂0 against the
final image -> the measured error of x̂0 per step as a curve -> the final picture.
Every image is a real frame of build/data/02_noise_to_image; every figure is read from its facts.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, Dot, FadeIn, FadeOut, Group, Rectangle, RoundedRectangle,
                   Transform, ValueTracker, VGroup, VMobject, Write, always_redraw, linear)

from scenes.house_style import (GUIDANCE, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, TEXT, frame_around, math,
                                pixel_image, set_pixels, text, title_card)
from scenes.voiced import VoicedScene

PANEL = 4.0  # height of the two image panels


class NoiseToImage(VoicedScene):
    cues = ("prompt", "start", "walk", "xhat", "jump", "graph", "closing")

    def construct(self):
        f = self.facts
        xt, x0, final = self.data.array("xt_frames"), self.data.array("x0_frames"), self.data.array("final")
        error = self.data.array("x0_error")
        steps = len(xt)

        title_card(self, number=self.chapter.number, question=self.timeline["title"],
                   hold=max(0.5, self.time_until("prompt") - 2.6))

        # --- the prompt and the model ------------------------------------------------------------
        self.wait_until("prompt")
        prompt = text(f"\u201c{f['run']['prompt']}\u201d", size=30, color=PROMPT)
        box = RoundedRectangle(corner_radius=0.15, width=prompt.width + 0.6, height=prompt.height + 0.4,
                               color=PROMPT, stroke_width=2).move_to(prompt)
        prompt_group = VGroup(box, prompt).to_edge(UP, buff=0.9)
        model_line = text(f"{f['model']['name']}  \u00b7  {f['model']['width']}\u00d7{f['model']['height']} pixels  "
                          f"\u00b7  {steps} steps  \u00b7  guidance {f['run']['guidance']:g}  \u00b7  "
                          f"{f['run']['scheduler']}", size=22, color=MUTED).next_to(prompt_group, DOWN, buff=0.2)
        self.play(Create(box), Write(prompt), run_time=1.5)
        self.play(FadeIn(model_line, shift=UP * 0.1), run_time=0.8)

        # --- x_T: noise from the seed ------------------------------------------------------------
        self.wait_until("start")
        k = ValueTracker(0)
        left = pixel_image(xt[0], PANEL).move_to(LEFT * 3.3 + DOWN * 0.9)
        left_frame = frame_around(left, color=SEED)
        left_label = text("what the model sees", size=24, color=TEXT).next_to(left_frame, UP, buff=0.12)
        seed_label = text(f"seed {f['run']['seed']}", size=24, color=SEED).next_to(left_frame, DOWN, buff=0.15)
        self.play(FadeIn(left), Create(left_frame), FadeIn(left_label), FadeIn(seed_label), run_time=1.0)

        def show(image_mob, frames):
            image_mob.add_updater(lambda m: set_pixels(m, frames[int(round(k.get_value()))]))

        show(left, xt)
        counter = always_redraw(lambda: text(f"step {int(round(k.get_value())) + 1} / {steps}", size=26,
                                             color=STEPS).next_to(left_frame, DOWN, buff=0.15))
        bar_track = Rectangle(width=11, height=0.08, stroke_width=0, fill_color=MUTED, fill_opacity=0.4)
        bar_track.to_edge(DOWN, buff=0.35)
        bar = always_redraw(lambda: Rectangle(width=max(0.01, 11 * (k.get_value() + 1) / steps), height=0.08,
                                              stroke_width=0, fill_color=STEPS, fill_opacity=1)
                            .align_to(bar_track, LEFT).align_to(bar_track, DOWN))

        # --- the walk ----------------------------------------------------------------------------
        self.wait_until("walk")
        self.play(FadeOut(seed_label), FadeIn(counter), FadeIn(bar_track), FadeIn(bar), run_time=0.5)
        self.play(k.animate.set_value(steps - 1), run_time=max(3.0, self.time_until("xhat") - 1.5), rate_func=linear)
        self.wait(0.5)

        # --- x̂0 beside x_t: replay the walk with the model's guess --------------------------------
        self.wait_until("xhat")
        right = pixel_image(x0[0], PANEL).move_to(RIGHT * 3.3 + DOWN * 0.9)
        right_frame = frame_around(right, color=PROMPT)
        right_label = math(r"\hat{x}_0", size=34, color=PROMPT)
        right_caption = text("where it thinks it is heading", size=24)
        VGroup(right_label, right_caption).arrange(RIGHT, buff=0.2).next_to(right_frame, UP, buff=0.12)
        self.play(k.animate.set_value(0), run_time=0.8)
        show(right, x0)
        self.play(FadeIn(right), Create(right_frame), FadeIn(right_label), FadeIn(right_caption), run_time=1.0)
        self.play(k.animate.set_value(steps - 1), run_time=max(3.0, self.time_until("jump") - 0.5), rate_func=linear)

        # --- why not jump? the first guess against the final picture ------------------------------
        self.wait_until("jump")
        for mob in (left, right):
            mob.clear_updaters()
        first = pixel_image(x0[0], PANEL).move_to(left)
        last = pixel_image(final, PANEL).move_to(right)
        first_label = text("first guess (step 1)", size=24, color=PROMPT).move_to(left_label)
        last_label = text("final image", size=24, color=STEPS).move_to(right_caption).align_to(right_frame, LEFT)
        self.play(FadeOut(left), FadeIn(first), FadeOut(right), FadeIn(last), FadeOut(counter),
                  Transform(left_label, first_label), FadeOut(right_label), Transform(right_caption, last_label),
                  left_frame.animate.set_color(PROMPT), right_frame.animate.set_color(STEPS), run_time=1.2)
        miss = text(f"off by {f['xhat']['error_first']} levels per colour", size=28, color=HIGHLIGHT)
        miss.next_to(left_frame, DOWN, buff=0.15)
        self.play(FadeIn(miss, shift=UP * 0.2), run_time=0.8)

        # --- the error of the guess, step by step -------------------------------------------------
        self.wait_until("graph")
        self.play(FadeOut(Group(first, last, left_frame, right_frame, left_label, right_caption, miss)),
                  run_time=0.7)
        top = float(np.ceil(error.max() / 20) * 20)
        axes = Axes(x_range=[1, steps, max(1, steps // 6)], y_range=[0, top, top / 4], x_length=8.5, y_length=3.6,
                    tips=False, axis_config={"color": MUTED, "include_numbers": True, "font_size": 22,
                                             "decimal_number_config": {"num_decimal_places": 0}})
        axes.move_to(DOWN * 0.9 + RIGHT * 1.2)
        x_label = text("step", size=22, color=MUTED).next_to(axes.x_axis, DOWN, buff=0.35)
        y_label = text("error of the guess (levels per colour)", size=22, color=MUTED).rotate(np.pi / 2)
        y_label.next_to(axes.y_axis, LEFT, buff=0.75)
        curve = VMobject(color=PROMPT, stroke_width=4).set_points_as_corners(
            [axes.c2p(i + 1, float(e)) for i, e in enumerate(error)])
        thumb = pixel_image(x0[0], 1.6).move_to(axes.c2p(steps * 0.78, top * 0.7))  # the guess, above its curve
        self.play(Create(axes), FadeIn(x_label), FadeIn(y_label), run_time=1.0)
        dot = Dot(axes.c2p(1, float(error[0])), color=HIGHLIGHT)
        self.add(thumb)
        k.set_value(0)
        thumb.add_updater(lambda m: set_pixels(m, x0[int(round(k.get_value()))]))
        dot.add_updater(lambda m: m.move_to(axes.c2p(k.get_value() + 1, float(error[int(round(k.get_value()))]))))
        self.add(dot)
        marks = VGroup()
        for step_no in (1, f["xhat"]["quarter_step"], f["xhat"]["half_step"]):
            value = float(error[step_no - 1])
            marks.add(text(f"{value:.0f}", size=24, color=HIGHLIGHT).next_to(axes.c2p(step_no, value), UP + RIGHT,
                                                                              buff=0.08))
        self.play(Create(curve), k.animate.set_value(steps - 1), run_time=max(3.0, self.time_until("closing") - 2.0),
                  rate_func=linear)
        self.play(FadeIn(marks, lag_ratio=0.3), run_time=1.0)
        thumb.clear_updaters()
        dot.clear_updaters()

        # --- the picture -------------------------------------------------------------------------------
        self.wait_until("closing")
        self.play(FadeOut(VGroup(axes, x_label, y_label, curve, dot, marks, bar, bar_track)), FadeOut(thumb),
                  run_time=0.7)
        big = pixel_image(final, 4.6).move_to(DOWN * 0.9)
        knobs = VGroup(text("seed", size=26, color=SEED), text("prompt", size=26, color=PROMPT),
                       text("steps", size=26, color=STEPS), text("guidance", size=26, color=GUIDANCE))
        knobs.arrange(DOWN, buff=0.35, aligned_edge=LEFT).next_to(big, RIGHT, buff=1.0)
        self.play(FadeIn(big), Create(frame_around(big, color=STEPS)), run_time=1.2)
        self.play(FadeIn(knobs, lag_ratio=0.4), run_time=max(1.0, min(3.0, self.time_until_end() - 1.0)))
