"""Chapter 02 — What happens after I type a prompt?

Storyboard: the prompt and model named -> x_T, pure noise from the seed -> the walk, step counter ->
x̂0 beside x_t ("where the model thinks it is heading") -> "why not jump?": the first x̂0 against the
final image -> the measured error of x̂0 per step as a curve -> the final picture.
Every image is a real frame of build/data/02_noise_to_image; every figure is read from its facts.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Indicate, LaggedStart, Rectangle, RoundedRectangle,
                   Square, ValueTracker, VGroup, Write, always_redraw, linear, there_and_back)

from scenes.beats import ChapterScene, beat
from scenes.pieces import HousePlot, ImagePanel, KnobLegend, empty_canvas, math, pixel_image, text
from scenes.style import GAP, NUDGE, HIGHLIGHT, MUTED, PROMPT, SEED, SMALL_GAP, STEPS, Pace, Slots, Type


class NoiseToImage(ChapterScene):
    @beat
    def prompt(self, b):
        """The prompt in its box, and the model that will draw it."""
        words = text(f"\u201c{self.fact('run.prompt')}\u201d", size=Type.BODY, color=PROMPT)
        box = RoundedRectangle(corner_radius=0.15, width=words.width + 0.6, height=words.height + 0.4,
                               color=PROMPT, stroke_width=2).move_to(words)
        self.prompt_box = VGroup(box, words)
        self.model_line = text(f"{self.fact('model.name')}  \u00b7  {self.fact('model.width')}\u00d7"
                               f"{self.fact('model.height')} pixels  \u00b7  {self.fact('run.steps')} steps  \u00b7  "
                               f"guidance {self.fact('run.guidance'):g}  \u00b7  {self.fact('run.scheduler')}",
                               size=Type.LABEL, color=MUTED)
        top = VGroup(self.prompt_box, self.model_line).arrange(DOWN, buff=GAP)
        top.move_to(Slots.STAGE.center).align_to(Slots.STAGE.top * UP, UP)
        b.play(Create(box), pace=Pace.QUICK)
        b.at("<prompt>")
        b.play(Write(words))
        b.at("<model>")
        b.play(FadeIn(self.model_line, shift=UP * NUDGE))
        # The empty canvas, pixel by pixel: what the model will paint on, its size as the voice says it.
        w, h = self.fact("model.width"), self.fact("model.height")
        self.slots = Slots.STAGE.below(self.model_line.get_bottom()[1]).split(2, gap=1.2)
        self.canvas = ImagePanel(empty_canvas(w, h), self.slots[0], label=f"{w} \u00d7 {h} pixel canvas")
        b.fill(FadeIn(self.canvas.image), Create(self.canvas.frame), until="<size>")
        b.play(FadeIn(self.canvas.label), pace=Pace.QUICK)
        # "so we can watch every pixel": one pixel, outlined, crosses the canvas
        cell = self.canvas.image.height / h
        corner = self.canvas.image.get_corner(UP + LEFT)
        self.pixel = Square(cell, color=HIGHLIGHT, stroke_width=3).move_to(corner + (RIGHT + DOWN) * cell / 2)
        b.at("watch every pixel")
        b.play(Create(self.pixel), pace=Pace.QUICK)
        b.fill(self.pixel.animate.move_to(self.canvas.image.get_corner(DOWN + RIGHT) + (LEFT + UP) * cell / 2),
               leave=Pace.QUICK)

    @beat
    def start(self, b):
        """x_T: pure noise drawn from the seed."""
        self.xt, self.x0 = self.array("xt_frames"), self.array("x0_frames")
        self.steps = len(self.xt)
        self.k = ValueTracker(0)
        panels = self.slots
        self.left = ImagePanel(self.xt[0], panels[0], label="pure noise",
                               caption=f"seed {self.fact('run.seed')}", color=SEED)
        b.play(FadeOut(self.canvas), FadeOut(self.pixel), FadeIn(self.left.image), Create(self.left.frame),
               pace=Pace.QUICK)
        self.left.play_frames(self.xt, self.k)
        self.right_slot = panels[1]
        b.at("pure noise")
        b.play(FadeIn(self.left.label), pace=Pace.QUICK)
        b.at("<seed>")
        b.play(FadeIn(self.left.caption, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the prompt yet")  # nothing in the noise knows about the prompt
        b.play(Indicate(self.prompt_box, color=PROMPT), pace=Pace.SLOW)

    @beat
    def walk(self, b):
        """The walk: step after step, a little noise removed each time."""
        k, steps = self.k, self.steps
        self.counter = always_redraw(lambda: text(f"step {int(round(k.get_value())) + 1} / {steps}",
                                                  size=Type.CAPTION, color=STEPS).move_to(self.left.caption))
        strip = Slots.BOTTOM_STRIP
        self.track = Rectangle(width=strip.width, height=0.08, stroke_width=0, fill_color=MUTED, fill_opacity=0.4)
        self.track.move_to(strip.center)
        self.bar = always_redraw(lambda: Rectangle(width=max(0.01, strip.width * (k.get_value() + 1) / steps),
                                                   height=0.08, stroke_width=0, fill_color=STEPS, fill_opacity=1)
                                 .align_to(self.track, [-1, 0, 0]).align_to(self.track, DOWN))
        b.at("takes")
        b.play(FadeOut(self.left.caption), FadeIn(self.counter), FadeIn(self.track), FadeIn(self.bar),
               pace=Pace.QUICK)
        # One step told slowly, each part as the voice names it; then the rest of the walk.
        b.fill(k.animate.set_value(1), until="the noisy image", rate_func=linear)
        b.play(Indicate(self.left.frame, color=SEED))
        b.at("and the prompt")
        b.play(Indicate(self.prompt_box, color=PROMPT))
        b.at("what it sees")
        b.play(*self.left.retitle(label="what the model sees"), pace=Pace.QUICK)
        b.at("the sampler")
        b.fill(k.animate.set_value(steps - 1), rate_func=linear)

    @beat
    def xhat(self, b):
        """x̂0 beside x_t: the walk again, with the model's guess of the finished picture."""
        self.right = ImagePanel(self.x0[0], self.right_slot, label=VGroup(
            math(r"\hat{x}_0", size=Type.BODY, color=PROMPT), text("where it thinks it is heading",
                                                                      size=Type.CAPTION)).arrange(buff=GAP),
            color=PROMPT)
        b.play(self.k.animate.set_value(0), pace=Pace.NORMAL)
        self.right.play_frames(self.x0, self.k)
        b.play(FadeIn(self.right.image), Create(self.right.frame), FadeIn(self.right.label[0]))
        b.fill(self.k.animate.set_value(self.steps - 1), until="thinks", rate_func=linear)
        b.play(FadeIn(self.right.label[1]), pace=Pace.QUICK)

    @beat
    def jump(self, b):
        """Why not jump? The first guess is a smear, far from the final picture."""
        for panel in (self.left, self.right):
            panel.image.clear_updaters()
        self.left.show(self.x0[0])
        self.right.show(self.array("final"))
        levels = np.iinfo(self.array("final").dtype).max + 1  # the levels a colour of the image can take
        self.miss = VGroup(text(f"off by {self.fact('xhat.error_first')} levels per colour,", size=Type.CAPTION,
                                color=HIGHLIGHT), text(f"out of {levels}", size=Type.CAPTION, color=MUTED))
        self.miss.arrange(DOWN, buff=SMALL_GAP)
        self.miss.shift(self.left.caption.get_center() - self.miss[0].get_center())
        b.play(FadeOut(self.counter), *self.right.retitle(label="final image", color=STEPS))
        b.at("very first")
        b.play(*self.left.retitle(label="first guess (step 1)", color=PROMPT), pace=Pace.QUICK)
        # the frame of the smear swells and settles while the voice says why it is no answer yet
        b.fill(self.left.frame.animate(rate_func=there_and_back).set_stroke(width=8), until="off by")
        b.play(FadeIn(self.miss[0], shift=UP * NUDGE))
        b.at("out of")
        b.play(FadeIn(self.miss[1], shift=UP * NUDGE), pace=Pace.QUICK)

    @beat
    def graph(self, b):
        """The error of the guess, step by step, with the figures the narration reads out."""
        b.play(FadeOut(self.left), FadeOut(self.right), FadeOut(self.miss))
        error = self.array("x0_error")
        steps, top = self.steps, float(-(-error.max() * 1.15 // 10) * 10)  # headroom for the marks
        thumb_slot, plot_slot = Slots.STAGE.below(self.model_line.get_bottom()[1]).columns(1, 2)
        self.plot = HousePlot(plot_slot, [1, steps, max(1, steps // 6)], [0, top, top / 5], "step",
                              "error of the guess (levels per colour)")
        quarter, half = self.fact("xhat.quarter_step"), self.fact("xhat.half_step")
        # the caption's room holds the steps the voice reads out (the caption itself stays unseen)
        self.thumb = ImagePanel(self.x0[0], thumb_slot, label="the guess", caption=f"after {half} steps",
                                color=PROMPT)
        self.thumb.caption.set_opacity(0)
        b.play(*self.plot.arrive(), FadeIn(self.thumb.image), Create(self.thumb.frame), FadeIn(self.thumb.label))
        k = self.k
        k.set_value(0)
        self.thumb.play_frames(self.x0, k)
        # The curve is drawn as far as the walk has got, so the dot and the guess reach a step together.
        reached = lambda: max(2, int(round(k.get_value())) + 1)  # noqa: E731 - steps drawn (a line needs two)
        self.curve = always_redraw(lambda: self.plot.curve(range(1, reached() + 1), error[:reached()]))
        self.dot = always_redraw(lambda: self.plot.mark(k.get_value() + 1,
                                                        float(error[int(round(k.get_value()))]), "")[0])
        self.add(self.curve, self.dot)
        self.marks = VGroup(*[self.plot.mark(s, float(error[s - 1]), f"{error[s - 1]:.0f}") for s in (1, quarter, half)])
        self.after = [text(f"after {s} steps", size=Type.CAPTION, color=PROMPT).move_to(self.thumb.caption)
                      for s in (quarter, half)]
        b.play(FadeIn(self.marks[0]), pace=Pace.QUICK)
        # Each figure the voice reads lands on its word; the walk gets to that step as it is said.
        b.fill(k.animate.set_value(quarter - 1), until="<q_step>", rate_func=linear)
        b.play(FadeIn(self.after[0]), pace=Pace.QUICK)
        b.at("<quarter>")
        b.play(FadeIn(self.marks[1]), pace=Pace.QUICK)
        b.fill(k.animate.set_value(half - 1), until="<h_step>", rate_func=linear)
        b.play(FadeOut(self.after[0]), FadeIn(self.after[1]), pace=Pace.QUICK)
        b.at("<half>")
        b.play(FadeIn(self.marks[2]), pace=Pace.QUICK)
        b.fill(k.animate.set_value(steps - 1), FadeOut(self.after[1]), rate_func=linear)

    @beat
    def closing(self, b):
        """The picture, and the four knobs the rest of the video turns."""
        self.thumb.image.clear_updaters()
        b.play(FadeOut(VGroup(self.plot, self.curve, self.dot, self.marks, self.bar, self.track)),
               FadeOut(self.thumb))
        image_slot, legend_slot = Slots.STAGE.below(self.model_line.get_bottom()[1]).split(2)
        big = pixel_image(self.array("final"), image_slot.height)
        image_slot.place(big)
        frame = Rectangle(width=big.width, height=big.height, color=STEPS).move_to(big)
        knobs = KnobLegend(with_meaning=True)
        legend_slot.place(knobs)
        b.play(FadeIn(big), Create(frame), pace=Pace.SLOW)
        rows = knobs.rows
        # each knob as the voice names it; then each lights up in turn, as the video will take them
        b.at("where you start")
        b.play(FadeIn(rows["seed"], shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the prompt")
        b.play(FadeIn(rows["prompt"], shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("steps")
        b.play(FadeIn(rows["steps"], shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("how hard")
        b.play(FadeIn(rows["guidance"], shift=UP * NUDGE), pace=Pace.QUICK)
        b.fill(LaggedStart(*[Indicate(row, color=HIGHLIGHT) for row in knobs], lag_ratio=1.0), leave=Pace.NORMAL)

