"""Chapter 10 — What is guidance?

Storyboard: the model's two noise predictions at one step, without and with the prompt (the real ε_u and
ε_c as images) -> their faint difference, amplified by a stated gain -> ε̂ = ε_u + s·(ε_c − ε_u) as an
equation of image panels, s stepping up, with the picture each ε̂ points to -> the compass needle pulled
harder as s grows -> the sweep s = 0…15 at the fixed seed, the picture changing with the needle -> the label
judge's adherence per s -> saturation, contrast and burnt-out values per s, beside the pictures at the
usual and the largest s -> low, best and largest s side by side. From build/data/10_pull_of_the_prompt.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Create, DashedLine, Dot, FadeIn, FadeOut, Group, Indicate, ValueTracker,
                   VGroup, Write, linear, there_and_back)

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass
from scenes.layout import unspoken
from scenes.pieces import HousePlot, ImagePanel, LabelledCounter, math, text, text_parts
from scenes.style import GAP, GUIDANCE, HIGHLIGHT, MUTED, PALETTE, PROMPT, SMALL_GAP, TEXT, Pace, Slots, Type

SATURATION, CONTRAST, CLIPPED = PALETTE[0], PALETTE[2], PALETTE[1]
MID_GREY = 127.5  # the grey a signed ε image shows for zero
AMPLIFY_FRAMES = 24  # steps of the gain from 1x to the chapter's display gain


def eps(symbol: str, color: str = TEXT):
    """A panel label in math: ε with a subscript, or any formula."""
    return math(symbol, size=Type.HEADING, color=color)


def s_ticks(plot: HousePlot, scales, every: int = 3) -> VGroup:
    """Whole-number ticks under the s axis (the house axes would print every number with the y axis' places)."""
    return unspoken(VGroup(*[text(f"{s:g}", size=Type.LABEL, color=MUTED).next_to(plot.point(float(s), 0), DOWN)
                             for s in scales[::every]]))


def nice_top(peak: float, step: float, headroom: float = 1.15) -> float:
    """The axis' top: the peak with some headroom, rounded up to a whole number of steps."""
    return float(np.ceil(peak * headroom / step) * step)


def without_caption(panel: ImagePanel, label: bool = True):
    """A panel's arrival without its caption (and without its label): those show when the voice names them."""
    return [FadeIn(panel.image), Create(panel.frame)] + ([FadeIn(panel.label)] if label else [])


def end_mark(plot: HousePlot, x: float, y: float, words, color: str, direction) -> VGroup:
    """A dot at a curve's end and the words beside it (a Text, or text_parts that show one at a time)."""
    dot = Dot(plot.point(x, y), color=color)
    return VGroup(dot, words.next_to(dot, direction, buff=SMALL_GAP))


class PullOfThePrompt(ChapterScene):
    @beat
    def two_guesses(self, b):
        """The two noise predictions at one step: without the prompt, and with it."""
        row = Slots.STAGE.columns(1, 0.3, 1, 0.3, 1, gap=GAP * 2)
        self.row = row
        step = f"step {self.fact('arithmetic.step')} of {self.fact('run.steps')}"
        self.cond = ImagePanel(self.array("eps_cond"), row[0], label=eps(r"\varepsilon_c", PROMPT),
                               caption=f"with \u201c{self.fact('run.prompt')}\u201d", color=PROMPT)
        self.uncond = ImagePanel(self.array("eps_uncond"), row[2], label=eps(r"\varepsilon_u"),
                                 caption="without the prompt", color=MUTED)
        self.step_note = text(step, size=Type.CAPTION, color=MUTED)
        self.step_note.next_to(Group(self.cond, self.uncond), DOWN, buff=GAP * 3)
        b.play(*without_caption(self.uncond))  # the model predicts the noise...
        b.at("twice")
        b.play(*without_caption(self.cond))
        b.at("without")
        b.play(FadeIn(self.uncond.caption), pace=Pace.QUICK)
        b.at("with it")
        b.fill(Indicate(self.cond.frame, color=PROMPT), until="snail")
        b.play(FadeIn(self.cond.caption), pace=Pace.QUICK)
        b.at("step")
        b.play(FadeIn(self.step_note, shift=UP * GAP))

    @beat
    def difference(self, b):
        """Their difference, a few percent of ε_u: faint at the ε's own scale, then amplified up to the stated
        gain until it can be seen."""
        minus = math("-", size=Type.DISPLAY).move_to(self.row[1].center)
        equals = math("=", size=Type.DISPLAY).move_to(self.row[3].center)
        full_gain = self.fact("arithmetic.diff_display_gain")
        gains = np.geomspace(1, full_gain, AMPLIFY_FRAMES)
        shown = self.array("eps_diff").astype(float) - MID_GREY  # at the full gain; 1x is the ε panels' scale
        frames = np.stack([np.clip(MID_GREY + shown * g / full_gain, 0, 255) for g in gains]).round().astype(np.uint8)
        self.diff = ImagePanel(frames[0], self.row[4], label=eps(r"\varepsilon_c - \varepsilon_u", PROMPT),
                               caption=" ", color=HIGHLIGHT)
        self.diff.shift(UP * (self.cond.image.get_y() - self.diff.image.get_y()))  # level with the ε panels
        gain = LabelledCounter("amplified \u00d7", 1, places=1, size=Type.CAPTION, number_size=Type.BODY,
                               label_color=HIGHLIGHT)
        gain.next_to(self.diff.frame, DOWN, buff=SMALL_GAP)
        share = VGroup(text(f"{self.fact('arithmetic.diff_to_uncond_pct')}% of the size of", size=Type.BODY,
                            color=HIGHLIGHT), eps(r"\varepsilon_u", HIGHLIGHT)).arrange(RIGHT, buff=GAP)
        share.move_to(self.step_note)
        b.play(FadeIn(minus), FadeIn(equals), FadeOut(self.step_note), pace=Pace.QUICK)
        b.at("difference")
        b.play(*self.diff.arrive())
        b.at("<share>")
        b.play(FadeIn(share, shift=UP * GAP))
        i = ValueTracker(0)
        self.diff.play_frames(frames, i)
        gain.number.add_updater(lambda m: m.set_value(gains[int(round(i.get_value()))]))
        b.at("to see it")
        b.play(FadeIn(gain), pace=Pace.QUICK)
        b.fill(i.animate.set_value(len(gains) - 1), rate_func=linear, until="<gain>")  # lands on the gain said
        b.at("faint")  # faint again at the ε's own scale, then amplified once more
        b.fill(i.animate.set_value(0), rate_func=there_and_back, leave=Pace.SLOW)
        self.diff.image.clear_updaters()
        gain.number.clear_updaters()
        self.difference_group = Group(self.cond, self.uncond, self.diff, gain, minus, equals, share)

    @beat
    def formula(self, b):
        """ε̂ = ε_u + s·(ε_c − ε_u) as image panels, s stepping up; the picture each ε̂ points to."""
        b.play(FadeOut(self.difference_group), pace=Pace.QUICK)
        top, panels = Slots.STAGE.rows(1, 4)
        self.equation = math(r"\hat\varepsilon", "=", r"\varepsilon_u", "+", "s", r"\,(\varepsilon_c - \varepsilon_u)",
                             size=Type.HEADING)
        self.equation[4].set_color(GUIDANCE)
        top.place(self.equation)
        cols = panels.columns(1, 0.3, 0.75, 1, 0.3, 1, 0.3, 1, gap=GAP)  # ε_u + s× diff = ε̂ → picture
        scales = self.fact("arithmetic.display_scales")
        guided, x0 = self.array("eps_guided"), self.array("x0_guided")
        self.parts = [
            ImagePanel(self.array("eps_uncond"), cols[0], label=eps(r"\varepsilon_u"), caption="no prompt",
                       color=MUTED),
            ImagePanel(self.array("eps_diff"), cols[3], label=eps(r"\varepsilon_c - \varepsilon_u", PROMPT),
                       caption=f"shown {self.fact('arithmetic.diff_display_gain')}\u00d7", color=HIGHLIGHT),
            ImagePanel(guided[0], cols[5], label=eps(r"\hat\varepsilon", GUIDANCE), caption="guided",
                       color=GUIDANCE),
            ImagePanel(x0[0], cols[7], label="its picture", caption="at this step", color=GUIDANCE),
        ]
        self.i = ValueTracker(0)
        s_value = LabelledCounter("s =", scales[0], color=GUIDANCE, size=Type.BODY, number_size=Type.HEADING,
                                  label_color=GUIDANCE)
        s_value.number.add_updater(lambda m: m.set_value(scales[int(round(self.i.get_value()))]))
        times = math(r"\times", size=Type.HEADING)
        operator = cols[2].place(VGroup(s_value, times).arrange(DOWN, buff=SMALL_GAP))
        arrow = math(r"\rightarrow", size=Type.HEADING, color=MUTED).move_to(cols[6].center)
        ops = VGroup(math("+", size=Type.HEADING).move_to(cols[1].center), operator,
                     math("=", size=Type.HEADING).move_to(cols[4].center), arrow)
        uncond, diff, hat, picture = self.parts
        b.play(Write(self.equation), pace=Pace.SLOW)
        b.at("adds it back")
        b.play(*without_caption(uncond), *diff.arrive(), *without_caption(hat), FadeIn(ops[0]), FadeIn(times),
               FadeIn(ops[2]))
        self.parts[2].play_frames(guided, self.i)
        self.parts[3].play_frames(x0, self.i)
        b.at("s =")
        b.play(FadeIn(s_value), pace=Pace.QUICK)  # s = 0
        b.at("prompt is ignored")
        b.play(FadeIn(uncond.caption), pace=Pace.QUICK)
        b.at("s = 1")
        b.play(self.i.animate.set_value(1), pace=Pace.QUICK)
        b.at("above")
        b.fill(self.i.animate.set_value(len(scales) - 1), rate_func=linear, until="exaggerated")
        b.at("picture")  # on the right, the picture it points to
        b.play(*without_caption(picture), FadeIn(arrow))
        b.at("step")
        b.play(FadeIn(picture.caption), pace=Pace.QUICK)
        b.at("guided")
        b.play(FadeIn(hat.caption), pace=Pace.QUICK)
        b.fill(self.i.animate.set_value(0), rate_func=linear, until="s = 0")  # even at s = 0...
        b.fill(Indicate(picture.frame, color=GUIDANCE), leave=Pace.SLOW)  # ...the picture shows the earlier steps
        for p in self.parts[2:]:
            p.image.clear_updaters()
        s_value.number.clear_updaters()
        self.formula_group = Group(self.equation, *self.parts, ops)

    @beat
    def needle(self, b):
        """The compass: its needle pulled harder as s grows (the size of s·(ε_c − ε_u), measured)."""
        b.play(FadeOut(self.formula_group), pace=Pace.QUICK)
        self.scales, needle = self.array("scales"), self.array("needle")
        dial_slot, self.side = Slots.STAGE.columns(1, 1, gap=GAP * 3)
        ring, goal = dial_slot.rows(5, 1)
        self.compass = Compass(radius=ring.height / 2)
        ring.place(self.compass)
        self.compass.strength.set_value(0)
        self.goal = text(f"toward \u201c{self.fact('run.prompt')}\u201d", size=Type.CAPTION, color=PROMPT)
        goal.place(self.goal)
        self.s = ValueTracker(0)
        readouts = self.side.stack(2)
        self.s_counter = LabelledCounter("guidance scale s =", 0, color=GUIDANCE, label_color=GUIDANCE)
        places = len(str(self.fact("needle.at_default")).split(".")[-1])  # the push as the voice says it
        self.push = LabelledCounter("push", 0, places=places, color=HIGHLIGHT, size=Type.CAPTION,
                                    number_size=Type.BODY, label_color=MUTED)
        self.push_meaning = math(r"\text{size of }", "s", r"\,(\varepsilon_c - \varepsilon_u)", size=Type.BODY,
                                 color=MUTED)
        self.push_meaning[1].set_color(GUIDANCE)
        readouts[0].place(self.s_counter)
        default = self.fact("run.default_scale")
        self.stronger = text(f"{self.fact('needle.max_to_default_ratio')}\u00d7 stronger than at s = {default:g}",
                             size=Type.CAPTION, color=HIGHLIGHT)
        readouts[1].place(VGroup(self.push, self.push_meaning, self.stronger).arrange(DOWN, buff=GAP))
        last = len(self.scales) - 1
        usual = int(np.argmin(np.abs(self.scales - default)))
        self.s_counter.number.add_updater(lambda m: m.set_value(self.scales[int(round(self.s.get_value()))]))
        self.push.number.add_updater(lambda m: m.set_value(needle[int(round(self.s.get_value()))]))
        # The needle reaches the ring at the largest scale: its length is the measured push.
        self.compass.strength.add_updater(lambda m: m.set_value(float(np.interp(self.s.get_value(), range(last + 1),
                                                                                   needle / needle.max()))))
        self.add(self.compass.strength)  # a tracker runs its updater only while in the scene
        b.play(Create(self.compass), FadeIn(self.goal), FadeIn(self.s_counter))
        b.fill(self.s.animate.set_value(usual), rate_func=linear, until="<n_usual>")  # s: how hard it pulls
        b.at("push")
        b.play(FadeIn(self.push.label), FadeIn(self.push_meaning), pace=Pace.QUICK)
        b.at("<n_push>")
        b.play(FadeIn(self.push.number), pace=Pace.QUICK)
        b.fill(self.s.animate.set_value(last), rate_func=linear, until="<n_max>")
        b.at("<n_ratio>")
        b.play(FadeIn(self.stronger), pace=Pace.QUICK)

    @beat
    def sweep(self, b):
        """The sweep s = 0…15 at the fixed seed: the picture changes as the needle grows."""
        images = self.array("images")[:, 0]
        counter_slot, panel_slot = self.side.rows(1, 4)
        self.picture = ImagePanel(images[0], panel_slot, caption=f"seed {self.fact('run.fixed_seed')}",
                                  color=GUIDANCE)
        b.play(FadeOut(self.push), FadeOut(self.push_meaning), FadeOut(self.stronger),
               self.s_counter.animate.move_to(counter_slot.center))
        b.play(*self.picture.arrive(), self.s.animate.set_value(0))
        self.picture.play_frames(images, self.s)
        b.fill(self.s.animate.set_value(len(self.scales) - 1), rate_func=linear)
        self.picture.image.clear_updaters()
        self.s_counter.number.clear_updaters()
        self.compass.strength.clear_updaters()

    @beat
    def adherence(self, b):
        """The judge's probability of the prompted subject per s, averaged over seeds; its peak marked."""
        b.play(FadeOut(Group(self.compass, self.goal, self.s_counter, self.picture)), pace=Pace.QUICK)
        prob, scales = self.array("adherence_prob"), self.scales
        step = 0.1
        top = nice_top(float(prob.max()), step, headroom=1.3)
        self.plot = HousePlot(Slots.STAGE, [0, float(scales[-1]), 1], [0, top, step], "guidance scale s",
                              f"the judge's probability of \u201c{self.fact('run.prompt')}\u201d "
                              f"(mean of {self.fact('run.seeds')} seeds)", x_numbers=False, places=1)
        ticks = s_ticks(self.plot, scales)
        default = self.fact("run.default_scale")
        # The curve in three pieces, each drawn until the voice reaches the figure where it ends.
        last = len(scales) - 1
        at_default = int(np.argmin(np.abs(scales - default)))
        at_peak = min(max(int(np.argmin(np.abs(scales - self.fact("adherence.peak_scale")))), at_default + 1), last - 1)
        curve = VGroup(*[self.plot.curve(scales[lo:hi + 1], prob[lo:hi + 1], color=GUIDANCE)
                         for lo, hi in ((0, at_default), (at_default, at_peak), (at_peak, last))])
        usual = DashedLine(self.plot.point(default, 0), self.plot.point(default, top), color=MUTED)
        usual_label = text(f"usual, s = {default:g}", size=Type.LABEL, color=MUTED)
        usual_label.next_to(self.plot.point(default, top), DOWN + LEFT, buff=SMALL_GAP)
        peak_s, peak = self.fact("adherence.peak_scale"), self.fact("adherence.peak")
        marks = VGroup(self.plot.mark(0, self.fact("adherence.at_zero"), f"{self.fact('adherence.at_zero')}"),
                       self.plot.mark(default, self.fact("adherence.at_default"),
                                      f"{self.fact('adherence.at_default')}", direction=DOWN + RIGHT),
                       self.plot.mark(peak_s, peak, f"peak {peak} at s = {peak_s:g}", direction=UP),
                       self.plot.mark(float(scales[-1]), self.fact("adherence.at_max"),
                                      f"{self.fact('adherence.at_max')}", direction=DOWN))
        b.at("label judge")
        b.play(Create(self.plot.axes), FadeIn(self.plot.y_label))
        b.at("without guidance")
        b.play(FadeIn(self.plot.x_label), FadeIn(ticks), pace=Pace.QUICK)
        b.at("<a_zero>")
        b.play(FadeIn(marks[0]), pace=Pace.QUICK)
        b.fill(Create(curve[0], rate_func=linear), until="<a_usual>")
        b.play(Create(usual), FadeIn(usual_label), pace=Pace.QUICK)
        b.at("<a_default>")
        b.play(FadeIn(marks[1]), pace=Pace.QUICK)
        b.fill(Create(curve[1], rate_func=linear), until="<a_peak>")
        b.play(FadeIn(marks[2]), pace=Pace.QUICK)
        b.fill(Create(curve[2], rate_func=linear), until="<a_max>")
        b.play(FadeIn(marks[3]), pace=Pace.QUICK)
        self.adherence_group = VGroup(self.plot, ticks, curve, usual, usual_label, marks)

    @beat
    def colour(self, b):
        """Saturation, contrast and burnt-out values per s (all seeds), beside the pictures at the usual and the
        largest s."""
        b.play(FadeOut(self.adherence_group), pace=Pace.QUICK)
        scales = self.scales
        plot_slot, side = Slots.STAGE.columns(1.8, 1, gap=GAP * 3)
        series = [(self.array("saturation"), SATURATION, "saturation", UP),
                  (self.array("contrast"), CONTRAST, "contrast", DOWN + RIGHT),
                  (self.array("clipped"), CLIPPED, "burnt-out values", UP + LEFT)]
        step = 0.2
        top = nice_top(max(float(s.max()) for s, *_ in series), step)
        self.colour_plot = HousePlot(plot_slot, [0, float(scales[-1]), 1], [0, top, step], "guidance scale s",
                                     f"0 to 1, mean of {self.fact('run.seeds')} seeds' pictures", x_numbers=False,
                                     places=1)
        ticks = s_ticks(self.colour_plot, scales)
        curves = VGroup(*[self.colour_plot.curve(scales, v, color=c) for v, c, *_ in series])
        at = (len(scales) - 1) * 2 // 3  # labels two thirds along, where the curves have parted
        labels = VGroup(*[text(name, size=Type.LABEL, color=c).next_to(self.colour_plot.point(scales[at], v[at]),
                                                                      side, buff=SMALL_GAP)
                          for v, c, name, side in series])
        images = self.array("images")[:, 0]
        default = self.fact("run.default_scale")
        i_default = int(np.argmin(np.abs(scales - default)))
        upper, lower = side.stack(2, gap=GAP * 2)
        self.usual = ImagePanel(images[i_default], upper, label=f"s = {default:g}", color=MUTED)
        self.strong = ImagePanel(images[-1], lower, label=f"s = {scales[-1]:g}", color=GUIDANCE,
                                 label_color=GUIDANCE)
        end = float(scales[-1])
        ratio = [f"{r}\u00d7" for r in (self.fact("colour.guidance_saturation_ratio"),
                                         self.fact("colour.guidance_contrast_ratio"),
                                         self.fact("colour.guidance_clipped_ratio"))]
        ends = VGroup(*[end_mark(self.colour_plot, end, float(v[-1]), words, c, side) for (v, c, *_), words, side in
                        zip(series, [text(ratio[0], size=Type.LABEL, color=SATURATION),
                                     text(ratio[1], size=Type.LABEL, color=CONTRAST),
                                     text_parts([ratio[2], f" ({self.fact('colour.clipped_pct_at_max')}%)"],
                                                size=Type.LABEL, color=CLIPPED)],
                            (UP + LEFT, DOWN + LEFT, UP + LEFT))])
        b.play(*self.colour_plot.arrive(), FadeIn(ticks), *self.strong.arrive())  # too much guidance?
        b.at("<c_sat>")
        b.play(FadeIn(labels[0]), pace=Pace.QUICK)
        b.fill(Create(curves[0]), until="<c_sat_ratio>")
        b.play(FadeIn(ends[0]), pace=Pace.QUICK)
        b.at("<c_usual>")
        b.play(*self.usual.arrive(), pace=Pace.QUICK)
        b.fill(Create(curves[1]), until="<c_contrast>")
        b.play(FadeIn(labels[1]), pace=Pace.QUICK)
        b.at("<c_con_ratio>")
        b.play(FadeIn(ends[1]), pace=Pace.QUICK)
        b.fill(Create(curves[2]), until="<c_clip_ratio>")
        b.play(FadeIn(ends[2][0]), FadeIn(ends[2][1][0]), pace=Pace.QUICK)
        b.at("<c_values>")
        b.play(FadeIn(labels[2]), pace=Pace.QUICK)
        b.at("<c_clip_pct>")
        b.play(FadeIn(ends[2][1][1]), pace=Pace.QUICK)
        self.colour_group = Group(self.colour_plot, ticks, curves, labels, ends, self.usual, self.strong)

    @beat
    def closing(self, b):
        """No guidance, the judge's best, the largest: the same seed side by side."""
        b.play(FadeOut(self.colour_group), pace=Pace.QUICK)
        images, scales = self.array("images")[:, 0], self.scales
        chosen = [0.0, self.fact("adherence.peak_scale"), float(scales[-1])]
        names = ["no guidance", "the judge's best s", "the largest s"]
        slots = Slots.STAGE.split(3, gap=GAP * 4)
        panels = [ImagePanel(images[int(np.argmin(np.abs(scales - s)))], slot, label=f"s = {s:g}", caption=name,
                             color=GUIDANCE, label_color=GUIDANCE)
                  for s, name, slot in zip(chosen, names, slots)]
        b.play(FadeIn(panels[0], shift=RIGHT * GAP))  # no guidance
        b.at("<little>")
        b.play(FadeIn(panels[1], shift=RIGHT * GAP))  # a little
        b.at("<much>")
        b.play(FadeIn(panels[2], shift=RIGHT * GAP))  # too much
