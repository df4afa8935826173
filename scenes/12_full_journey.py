"""Chapter 12 — The full journey (recap).

Storyboard: the compass and the four knobs -> each knob recalled with a pair of real pictures that differ
only in that knob, and the measured change -> the same prompt's walk from noise to image (x_t beside x̂0)
-> the four knobs once more. Every image and figure is from build/data/12_full_journey.
"""

import numpy as np
from manim import DOWN, LEFT, Create, FadeIn, FadeOut, Group, Indicate, LaggedStart, ValueTracker, VGroup, linear

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass
from scenes.pieces import ImageGrid, ImagePanel, KnobLegend, text
from scenes.style import GAP, GUIDANCE, HIGHLIGHT, KNOBS, MUTED, PROMPT, SEED, STEPS, Pace, Slots, Type

KNOB_COLOURS = {"seed": SEED, "prompt": PROMPT, "steps": STEPS, "guidance": GUIDANCE}
# Where the needle swings for each knob: only to keep the picture moving (this chapter measures no direction).
SWINGS = {"seed": 0.4, "prompt": 2.2, "steps": 1.1, "guidance": 0.7}


class FullJourney(ChapterScene):
    @beat
    def compass(self, b):
        """The compass and the four knobs that steer the walk."""
        left, self.right = Slots.STAGE.columns(1, 2)
        top, bottom = left.stack(2)
        self.dial = top.place(Compass(radius=min(top.width, top.height) / 2))
        self.legend = KnobLegend(size=Type.BODY)
        self.knobs_heading = text("four knobs", size=Type.CAPTION, color=MUTED)
        bottom.place(VGroup(self.knobs_heading, self.legend).arrange(DOWN, aligned_edge=LEFT, buff=GAP))
        self.pair = Group()
        b.play(Create(self.dial))
        b.fill(self.dial.turn_to(_unit(SWINGS["seed"] + 1)), until="four knobs")  # step by step, towards the words
        # Four knobs: their dots now; each name as the voice names it, in its own beat.
        b.play(FadeIn(self.knobs_heading),
               LaggedStart(*[FadeIn(row[0], scale=0.5) for row in self.legend.rows.values()], lag_ratio=0.3))

    @beat
    def seed(self, b):
        """Where you start: two seeds, the same everything else."""
        caption = self._recall(b, "seed", self.fact("knobs.seed"), self.fact("knobs.change_levels.seed"))
        b.fill(*self._swing("seed"), until="<seed_levels>")
        b.play(FadeIn(caption), pace=Pace.QUICK)

    @beat
    def prompt(self, b):
        """The compass: two prompts, the same start."""
        caption = self._recall(b, "prompt", self.fact("knobs.prompt"), self.fact("knobs.change_levels.prompt"))
        b.fill(*self._swing("prompt"), until="<prompt_levels>")
        b.play(FadeIn(caption), pace=Pace.QUICK)

    @beat
    def steps(self, b):
        """How often you check it: few steps against many."""
        caption = self._recall(b, "steps", self.fact("knobs.steps"), self.fact("knobs.change_levels.steps"))
        b.fill(*self._swing("steps"), until="<steps_levels>")
        b.play(FadeIn(caption), pace=Pace.QUICK)

    @beat
    def guidance(self, b):
        """How hard you follow it: the needle pulls harder; which single turn moved the picture most and least."""
        caption = self._recall(b, "guidance", self.fact("knobs.guidance"),
                               self.fact("knobs.change_levels.guidance"))
        b.fill(*self._swing("guidance"), self.dial.pull(1.3), until="<guidance_levels>")
        b.play(FadeIn(caption), pace=Pace.QUICK)
        if self.fact("knobs.every_knob_changes_image"):
            b.at("<most>")
            b.play(Indicate(self.legend.rows[self.fact("knobs.biggest_change")], color=HIGHLIGHT))
            b.at("<least>")
            b.play(Indicate(self.legend.rows[self.fact("knobs.smallest_change")], color=HIGHLIGHT))
        # One turn each ranks these turns, not the knobs: each knob once more, then the needle settles.
        b.fill(LaggedStart(*[Indicate(row, color=KNOB_COLOURS[k]) for k, row in self.legend.rows.items()],
                           lag_ratio=0.5), self.dial.turn_to(_unit(SWINGS["prompt"])))

    def _recall(self, b, knob: str, values, change: float):
        """Light up one knob (its name shows as the voice names it); two pictures that differ only in it. Returns
        the caption of how much the picture changed, for the beat to show when the voice says the figure."""
        stills = self.array("knob_stills")[list(self.fact("knobs.order")).index(knob)]
        grid_slot, caption_slot = self.right.rows(5, 1)
        pair = ImageGrid(stills, cols=2, slot=grid_slot, col_labels=[f"{knob}: {v}" for v in values])
        caption = caption_slot.place(text(f"the picture changes by {change:g} levels per colour",
                                          size=Type.CAPTION, color=HIGHLIGHT))
        b.play(FadeOut(self.pair), FadeIn(pair), FadeIn(self.legend.rows[knob][1]))
        self.pair = Group(pair, caption)
        return caption

    def _swing(self, knob: str) -> list:
        """While the voice talks about the knob: it lights up, and the needle swings (only to keep the picture
        moving)."""
        return [Indicate(self.legend.rows[knob], color=KNOB_COLOURS[knob]), self.dial.turn_to(_unit(SWINGS[knob]))]

    @beat
    def walk(self, b):
        """The walk once more: what the model sees beside where it thinks it is heading."""
        b.play(FadeOut(self.pair), FadeOut(self.dial), FadeOut(self.legend), FadeOut(self.knobs_heading))
        xt, x0 = self.array("xt_frames"), self.array("x0_frames")
        self.k = ValueTracker(0)
        left, right = Slots.STAGE.split(2, gap=1.2)
        self.seen = ImagePanel(xt[0], left, label="what the model sees", color=SEED)
        self.guess = ImagePanel(x0[0], right, label="where it thinks it is heading", color=PROMPT)
        b.play(*[FadeIn(p.image) for p in (self.seen, self.guess)], *[Create(p.frame) for p in (self.seen, self.guess)])
        self.seen.play_frames(xt, self.k)
        self.guess.play_frames(x0, self.k)
        steps = len(xt) - 1
        b.fill(self.k.animate.set_value(steps / 3), rate_func=linear, until="what the model sees")
        b.play(FadeIn(self.seen.label), self.k.animate.set_value(steps / 2), rate_func=linear, pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(steps * 2 / 3), rate_func=linear, until="where it thinks")
        b.play(FadeIn(self.guess.label), pace=Pace.QUICK)
        b.fill(self.k.animate.set_value(steps), rate_func=linear)

    @beat
    def closing(self, b):
        """The picture, and the four knobs once more."""
        for panel in (self.seen, self.guess):
            panel.image.clear_updaters()
        self.guess.show(self.array("final"))
        legend = Slots.RIGHT_PANEL.place(KnobLegend(with_meaning=True, size=Type.CAPTION))
        b.play(FadeOut(self.seen), self.guess.animate.move_to(Slots.LEFT_PANEL.center))
        b.play(*self.guess.retitle(label="the picture", color=STEPS), pace=Pace.QUICK)
        seed, prompt, steps, guidance = (legend.rows[k] for k, *_ in KNOBS)
        b.at("starting point")
        b.play(FadeIn(seed), pace=Pace.QUICK)
        b.at("compass")
        b.play(FadeIn(prompt), pace=Pace.QUICK)
        b.at("how often")
        b.play(FadeIn(steps), pace=Pace.QUICK)
        b.at("how hard")
        b.play(FadeIn(guidance), pace=Pace.QUICK)


def _unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle), 0.0])
