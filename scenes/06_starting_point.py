"""Chapter 06 — Why does the seed matter?

Storyboard: the seeds as starting noises, a grid of them -> every seed walks with the same prompt, all at
once -> the grid of endpoints, the judge's snails marked -> every walk on one shared PCA map, walkers from
their starts -> the measured spread of starts and of endpoints -> the seed is where you start.
Every image, path and figure is from build/data/06_starting_point.
"""

import numpy as np
from manim import UP, Create, FadeIn, FadeOut, Group, LaggedStart, ValueTracker, VGroup, linear

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass, Walker
from scenes.pieces import DataPlane, ImageGrid, ImagePanel, KnobLegend, LabelledCounter, pixel_image, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, SMALL_GAP, STEPS, Pace, Slots, Type

COLS = 4  # the seeds' grid is 4 x 4
THUMB = Slots.STAGE.height / 10  # endpoint thumbnails on the map: small enough to leave the walks visible


class StartingPoint(ChapterScene):
    def walk_frames(self) -> np.ndarray:
        """[steps + 1, seeds, 64, 64, 3]: every seed's x_t entering each step, then its endpoint."""
        return np.concatenate([self.array("xt_frames").swapaxes(0, 1), self.array("endpoints")[None]])

    @beat
    def seeds(self, b):
        """The seed picks the starting noise: one patch of noise per seed, filling a grid."""
        frames = self.walk_frames()
        grid_slot, self.side = Slots.STAGE.columns(3, 2, gap=GAP * 3)
        self.grid = ImageGrid(frames[0], cols=COLS, slot=grid_slot)
        shown = ValueTracker(0)
        self.grid.fill_in(frames[0], shown)
        self.seed_note = self.side.stack(3)[0].place(
            text(f"{self.fact('run.seeds')} seeds", size=Type.HEADING, color=SEED))
        b.play(FadeIn(self.grid), FadeIn(self.seed_note, shift=UP * GAP))
        b.fill(shown.animate.set_value(len(frames[0])), rate_func=linear)
        self.grid.image.clear_updaters()

    @beat
    def walks(self, b):
        """The same compass for all: every seed walks with the prompt, all at the same time."""
        frames = self.walk_frames()
        top, middle, bottom = self.side.stack(3)
        self.dial = middle.place(Compass(radius=middle.height / 2.6, label=f'"{self.fact("run.prompt")}"'))
        self.steps = bottom.place(LabelledCounter("step", 0, color=STEPS))
        b.play(FadeIn(self.dial), FadeIn(self.steps))
        k = ValueTracker(0)
        self.grid.play_frames(frames, k)
        b.fill(k.animate.set_value(len(frames) - 1), self.steps.count_to(self.fact("run.steps")), rate_func=linear)
        self.grid.image.clear_updaters()

    @beat
    def endpoints(self, b):
        """Where the walks end: same prompt, same steps, only the start changed; the judge's snails marked."""
        note = text("only the start changed", size=Type.BODY, color=SEED)
        b.play(FadeOut(self.dial), FadeOut(self.steps), FadeOut(self.seed_note))
        self.seed_note = self.side.stack(3)[0].place(note)
        b.play(FadeIn(self.seed_note, shift=UP * GAP))
        marks = VGroup(*[self.grid.highlight(*divmod(i, COLS)) for i in np.flatnonzero(self.array("is_subject"))])
        count = text(f"judge: a snail in {self.fact('judge.subject_count')} of {self.fact('judge.seeds')}",
                     size=Type.BODY, color=HIGHLIGHT)
        self.count = self.side.stack(3)[1].place(count)
        self.marks = marks
        b.fill(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.4), FadeIn(self.count))

    @beat
    def plane(self, b):
        """Every walk on one map (the plane where all their states differ most): walkers from their starts."""
        b.play(FadeOut(VGroup(self.seed_note, self.count, self.marks)), FadeOut(self.grid))
        paths = self.array("paths")
        self.map = DataPlane(Slots.STAGE, paths.reshape(-1, 2))
        self.starts = self.map.dots(paths[:, 0], color=SEED, radius=0.06)
        self.walkers = [Walker(self.map.to_scene(p[0]), color=SEED, trail_color=PROMPT, fade_after=None)
                        for p in paths]
        self.ends = self.map.dots(paths[:, -1], color=HIGHLIGHT, radius=0.07)
        share = text(f"the map holds {self.fact('plane.explained_variance_pct')}% of the motion",
                     size=Type.CAPTION, color=MUTED)
        self.map_note = Slots.BOTTOM_STRIP.place(share)
        b.play(FadeIn(self.map), FadeIn(self.starts, lag_ratio=0.1))
        self.add(*self.walkers)
        b.play(*[w.walk(self.map.to_scene(p), rate_func=linear) for w, p in zip(self.walkers, paths)],
               FadeIn(self.map_note), share=0.6)
        self.thumbs = Group(*[pixel_image(im, THUMB).next_to(self.map.to_scene(p[-1]), UP, buff=SMALL_GAP)
                              for im, p in zip(self.array("endpoints"), paths)])
        b.fill(FadeIn(self.ends), FadeIn(self.thumbs, lag_ratio=0.1), leave=Pace.STILL_WARNING / 2)

    @beat
    def spread(self, b):
        """The measured spread: two starting noises, two endpoints, and how far apart each pair is."""
        b.play(FadeOut(Group(self.map, self.starts, self.ends, self.thumbs, self.map_note, *self.walkers)))
        starts, ends = self.walk_frames()[0], self.array("endpoints")
        rows = Slots.STAGE.stack(2, gap=GAP * 2)
        self.pairs, self.counters = [], []
        for row, (a, c), label, pct in ((rows[0], starts[:2], "two starting noises", self.fact("spread.start_pct")),
                                        (rows[1], ends[:2], "where they end", self.fact("spread.end_pct"))):
            first, second, number = row.columns(1, 1, 2, gap=GAP * 2)
            pair = [ImagePanel(a, first, color=SEED), ImagePanel(c, second, color=SEED)]
            counter = number.place(LabelledCounter(label, 0, color=HIGHLIGHT))
            self.pairs += pair
            self.counters.append((counter, pct))
        for i, (counter, value) in enumerate(self.counters):
            b.play(*self.pairs[2 * i].arrive(), *self.pairs[2 * i + 1].arrive(), FadeIn(counter))
            b.play(counter.count_to(value), pace=Pace.SLOW)
        unit = text("% of the colour range, per pixel", size=Type.CAPTION, color=MUTED)
        self.unit = Slots.BOTTOM_STRIP.place(unit)
        b.fill(FadeIn(self.unit))

    @beat
    def closing(self, b):
        """The seed is where you start: the knobs, and the same seed walking twice to the same picture."""
        b.play(FadeOut(Group(*self.pairs, *[c for c, _ in self.counters], self.unit)))
        legend_slot, walk_slot = Slots.STAGE.columns(2, 3, gap=GAP * 3)
        self.legend = legend_slot.place(KnobLegend(active="seed", with_meaning=True, size=Type.BODY))
        frames = self.walk_frames()[:, 0]
        k = ValueTracker(0)
        seed = self.array("seeds")[0]
        self.again = [ImagePanel(frames[0], slot, label=f"seed {seed}", color=SEED, label_color=SEED)
                      for slot in walk_slot.split(2, gap=GAP * 3)]
        for panel in self.again:
            panel.play_frames(frames, k)
        b.play(FadeIn(self.legend), *[a for panel in self.again for a in panel.arrive()])
        b.fill(k.animate.set_value(len(frames) - 1), rate_func=linear)

