"""Chapter 02 — What happens after I type a prompt?

Storyboard: the prompt and model named -> x_T, pure noise from the seed -> the walk, step counter ->
x̂0 beside x_t ("where the model thinks it is heading") -> "why not jump?": the first x̂0 against the
final image -> the measured error of x̂0 per step as a curve -> the final picture.
Every image is a real frame of build/data/02_noise_to_image; every figure is read from its facts.
"""

from manim import (DOWN, UP, Create, FadeIn, FadeOut, Rectangle, RoundedRectangle, ValueTracker, VGroup, Write,
                   always_redraw, linear)

from scenes.beats import ChapterScene, beat
from scenes.pieces import HousePlot, ImagePanel, KnobLegend, empty_canvas, math, pixel_image, text
from scenes.style import GAP, NUDGE, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, Pace, Slots, Type


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
        b.play(Create(box), Write(words), pace=Pace.SLOW)
        b.play(FadeIn(self.model_line, shift=UP * NUDGE))
        # The empty canvas, pixel by pixel: what the model will paint on.
        w, h = self.fact("model.width"), self.fact("model.height")
        self.slots = Slots.STAGE.below(self.model_line.get_bottom()[1]).split(2, gap=1.2)
        self.canvas = ImagePanel(empty_canvas(w, h), self.slots[0], label=f"{w} \u00d7 {h} pixels")
        b.fill(*self.canvas.arrive(), leave=Pace.NORMAL)

    @beat
    def start(self, b):
        """x_T: pure noise drawn from the seed."""
        self.xt, self.x0 = self.array("xt_frames"), self.array("x0_frames")
        self.steps = len(self.xt)
        self.k = ValueTracker(0)
        panels = self.slots
        self.left = ImagePanel(self.xt[0], panels[0], label="what the model sees",
                               caption=f"seed {self.fact('run.seed')}", color=SEED)
        b.play(FadeOut(self.canvas), *self.left.arrive())
        self.left.play_frames(self.xt, self.k)
        self.right_slot = panels[1]

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
        b.play(FadeOut(self.left.caption), FadeIn(self.counter), FadeIn(self.track), FadeIn(self.bar),
               pace=Pace.QUICK)
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
        b.play(*self.right.arrive())
        b.fill(self.k.animate.set_value(self.steps - 1), rate_func=linear)

    @beat
    def jump(self, b):
        """Why not jump? The first guess is a smear, far from the final picture."""
        for panel in (self.left, self.right):
            panel.image.clear_updaters()
        self.left.show(self.x0[0])
        self.right.show(self.array("final"))
        self.miss = text(f"off by {self.fact('xhat.error_first')} levels per colour", size=Type.CAPTION,
                         color=HIGHLIGHT).move_to(self.left.caption)
        b.play(FadeOut(self.counter), *self.left.retitle(label="first guess (step 1)", color=PROMPT),
               *self.right.retitle(label="final image", color=STEPS))
        b.at("off by")
        b.play(FadeIn(self.miss, shift=UP * NUDGE))

    @beat
    def graph(self, b):
        """The error of the guess, step by step, with the figures the narration reads out."""
        b.play(FadeOut(self.left), FadeOut(self.right), FadeOut(self.miss))
        error = self.array("x0_error")
        steps, top = self.steps, float(-(-error.max() * 1.15 // 10) * 10)  # headroom for the marks
        thumb_slot, plot_slot = Slots.STAGE.below(self.model_line.get_bottom()[1]).columns(1, 2)
        self.plot = HousePlot(plot_slot, [1, steps, max(1, steps // 6)], [0, top, top / 5], "step",
                              "error of the guess (levels per colour)")
        self.thumb = ImagePanel(self.x0[0], thumb_slot, label="the guess", color=PROMPT)
        b.play(*self.plot.arrive(), *self.thumb.arrive())
        k = self.k
        k.set_value(0)
        self.thumb.play_frames(self.x0, k)
        # The curve is drawn as far as the walk has got, so the dot and the guess reach a step together.
        reached = lambda: max(2, int(round(k.get_value())) + 1)  # noqa: E731 - steps drawn (a line needs two)
        self.curve = always_redraw(lambda: self.plot.curve(range(1, reached() + 1), error[:reached()]))
        self.dot = always_redraw(lambda: self.plot.mark(k.get_value() + 1,
                                                        float(error[int(round(k.get_value()))]), "")[0])
        self.add(self.curve, self.dot)
        quarter, half = self.fact("xhat.quarter_step"), self.fact("xhat.half_step")
        self.marks = VGroup(*[self.plot.mark(s, float(error[s - 1]), f"{error[s - 1]:.0f}") for s in (1, quarter, half)])
        b.play(FadeIn(self.marks[0]), pace=Pace.QUICK)
        # Each figure the voice reads lands on its word; the walk gets to that step as it is said.
        b.fill(k.animate.set_value(quarter - 1), until="<quarter>", rate_func=linear)
        b.play(FadeIn(self.marks[1]), pace=Pace.QUICK)
        b.fill(k.animate.set_value(half - 1), until="<half>", rate_func=linear)
        b.play(FadeIn(self.marks[2]), pace=Pace.QUICK)
        b.fill(k.animate.set_value(steps - 1), rate_func=linear)

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
        b.fill(FadeIn(knobs, lag_ratio=0.4), leave=Pace.NORMAL)

