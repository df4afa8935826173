"""Chapter 12 — The full journey (recap).

Storyboard: the compass and the four knobs -> each knob recalled with a pair of real pictures that differ
only in that knob, and the measured change -> the same prompt's walk from noise to image (x_t beside x̂0)
-> the four knobs once more. Every image and figure is from build/data/12_full_journey.
"""

import numpy as np
from manim import Create, FadeIn, FadeOut, Group, Indicate, ValueTracker, linear

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass
from scenes.pieces import ImageGrid, ImagePanel, KnobLegend, text
from scenes.style import GUIDANCE, HIGHLIGHT, PROMPT, SEED, STEPS, Pace, Slots, Type

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
        self.legend = bottom.place(KnobLegend(size=Type.BODY))
        self.pair = Group()
        b.play(Create(self.dial))
        b.fill(FadeIn(self.legend, lag_ratio=0.4), self.dial.turn_to(_unit(SWINGS["seed"] + 1)))

    @beat
    def seed(self, b):
        """Where you start: two seeds, the same everything else."""
        self._recall(b, "seed", self.fact("knobs.seed"), self.fact("knobs.change_levels.seed"))

    @beat
    def prompt(self, b):
        """The compass: two prompts, the same start."""
        self._recall(b, "prompt", self.fact("knobs.prompt"), self.fact("knobs.change_levels.prompt"))

    @beat
    def steps(self, b):
        """How often you check it: few steps against many."""
        self._recall(b, "steps", self.fact("knobs.steps"), self.fact("knobs.change_levels.steps"))

    @beat
    def guidance(self, b):
        """How hard you follow it: the needle pulls harder."""
        self._recall(b, "guidance", self.fact("knobs.guidance"), self.fact("knobs.change_levels.guidance"))

    def _recall(self, b, knob: str, values, change: float) -> None:
        """Light up one knob; two pictures that differ only in it, and how much the picture changed."""
        stills = self.array("knob_stills")[list(self.fact("knobs.order")).index(knob)]
        grid_slot, caption_slot = self.right.rows(5, 1)
        pair = ImageGrid(stills, cols=2, slot=grid_slot, col_labels=[f"{knob}: {v}" for v in values])
        caption = caption_slot.place(text(f"the picture changes by {change:g} levels per colour",
                                          size=Type.CAPTION, color=HIGHLIGHT))
        b.play(FadeOut(self.pair), FadeIn(pair), FadeIn(caption),
               Indicate(self.legend.rows[knob], color=KNOB_COLOURS[knob]))
        self.pair = Group(pair, caption)
        pull = [self.dial.pull(1.3)] if knob == "guidance" else []
        b.fill(self.dial.turn_to(_unit(SWINGS[knob])), *pull)

    @beat
    def walk(self, b):
        """The walk once more: what the model sees beside where it thinks it is heading."""
        b.play(FadeOut(self.pair), FadeOut(self.dial), FadeOut(self.legend))
        xt, x0 = self.array("xt_frames"), self.array("x0_frames")
        self.k = ValueTracker(0)
        left, right = Slots.STAGE.split(2, gap=1.2)
        self.seen = ImagePanel(xt[0], left, label="what the model sees", color=SEED)
        self.guess = ImagePanel(x0[0], right, label="where it thinks it is heading", color=PROMPT)
        b.play(*self.seen.arrive(), *self.guess.arrive())
        self.seen.play_frames(xt, self.k)
        self.guess.play_frames(x0, self.k)
        b.fill(self.k.animate.set_value(len(xt) - 1), rate_func=linear)

    @beat
    def closing(self, b):
        """The picture, and the four knobs once more."""
        for panel in (self.seen, self.guess):
            panel.image.clear_updaters()
        self.guess.show(self.array("final"))
        legend = Slots.RIGHT_PANEL.place(KnobLegend(with_meaning=True, size=Type.CAPTION))
        b.play(FadeOut(self.seen), self.guess.animate.move_to(Slots.LEFT_PANEL.center))
        b.play(*self.guess.retitle(label="the picture", color=STEPS), pace=Pace.QUICK)
        b.fill(FadeIn(legend, lag_ratio=0.5), leave=Pace.SLOW)


def _unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle), 0.0])
