"""Chapter 06 — Why does the seed matter?

Storyboard: the seeds as starting noises, a grid of them -> every seed walks with the same prompt, all at
once -> the grid of endpoints, the judge's snails marked, the walks replayed from their starts -> every walk
on one shared PCA map, walkers from their starts -> the measured spread of starts and of endpoints -> the
seed is where you start: two seeds walk to two pictures, then the same seed twice to the same picture.
Every image, path and figure is from build/data/06_starting_point.
"""

import numpy as np
from manim import (UP, Create, FadeIn, FadeOut, Group, Indicate, LaggedStart, ValueTracker, VGroup, linear,
                   smooth, squish_rate_func)

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass, Walker
from scenes.pieces import DataPlane, ImageGrid, ImagePanel, KnobLegend, LabelledCounter, pixel_image, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, SMALL_GAP, STEPS, Pace, Slots, Type

COLS = 4  # the seeds' grid is 4 x 4
THUMB = Slots.STAGE.height / 10  # endpoint thumbnails on the map: small enough to leave the walks visible
RECEDED = 0.3  # the opacity of what recedes behind the pictures
FIRST_MOMENT = 0.3  # of a long animation: a fade that should land at its start


class StartingPoint(ChapterScene):
    def walk_frames(self) -> np.ndarray:
        """[steps + 1, seeds, 64, 64, 3]: every seed's x_t entering each step, then its endpoint."""
        return np.concatenate([self.array("xt_frames").swapaxes(0, 1), self.array("endpoints")[None]])

    @beat
    def seeds(self, b):
        """The seed picks the starting noise: one seed, its patch of noise, then a grid of them filling in."""
        frames = self.walk_frames()
        grid_slot, self.side = Slots.STAGE.columns(3, 2, gap=GAP * 3)
        self.grid = ImageGrid(frames[0], cols=COLS, slot=grid_slot)
        shown = ValueTracker(0)
        self.grid.fill_in(frames[0], shown)
        top = self.side.stack(3)[0]
        one = top.place(text(f"seed {self.array('seeds')[0]}", size=Type.HEADING, color=SEED))
        self.seed_note = top.place(text(f"{self.fact('run.seeds')} seeds", size=Type.HEADING, color=SEED))
        b.play(FadeIn(one, shift=UP * GAP))
        b.at("random noise")
        b.play(FadeIn(self.grid), shown.animate.set_value(1))  # the first seed's patch of noise
        b.at("here are")
        b.play(FadeOut(one), FadeIn(self.seed_note, shift=UP * GAP), pace=Pace.QUICK)
        b.fill(shown.animate.set_value(len(frames[0])), rate_func=linear, until="different patches")
        self.grid.image.clear_updaters()

    @beat
    def walks(self, b):
        """The same compass for all: every seed walks with the prompt, all at the same time."""
        frames = self.walk_frames()
        top, middle, bottom = self.side.stack(3)
        self.dial = middle.place(Compass(radius=middle.height / 2.6, label=f'"{self.fact("run.prompt")}"'))
        self.dial_label = self.dial.label
        self.dial.remove(self.dial_label)  # the prompt's words land as they are said
        self.steps = bottom.place(LabelledCounter("step", 0, color=STEPS))
        b.at("compass")
        b.play(FadeIn(self.dial))
        b.at("prompt")
        b.play(FadeIn(self.dial_label), FadeIn(self.steps))
        k = ValueTracker(0)
        self.grid.play_frames(frames, k)
        b.fill(k.animate.set_value(len(frames) - 1), self.steps.count_to(self.fact("run.steps")), rate_func=linear,
               until="<steps>")
        self.grid.image.clear_updaters()

    @beat
    def endpoints(self, b):
        """Where the walks end: same prompt, same steps, only the start changed; the judge's snails marked;
        then the walks again from their starts, which decide each picture."""
        b.play(FadeOut(self.dial), FadeOut(self.dial_label), FadeOut(self.steps))
        note = self.side.stack(3)[0].place(text("only the starting point changed", size=Type.BODY, color=SEED))
        b.at("only the starting point")
        b.play(FadeOut(self.seed_note), FadeIn(note, shift=UP * GAP))
        self.seed_note = note
        marks = VGroup(*[self.grid.highlight(*divmod(i, COLS)) for i in np.flatnonzero(self.array("is_subject"))])
        count = text(f"judge: a snail in {self.fact('judge.subject_count')} of {self.fact('judge.seeds')}",
                     size=Type.BODY, color=HIGHLIGHT)
        self.count = self.side.stack(3)[1].place(count)
        self.marks = marks
        # The judge looks tile by tile: its snails are marked one after another, the last as the count is said.
        b.at("judge")
        b.fill(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.4), until="<count>")
        b.play(FadeIn(self.count), pace=Pace.QUICK)
        frames = self.walk_frames()
        k = ValueTracker(0)
        self.grid.play_frames(frames, k)
        b.fill(k.animate.set_value(len(frames) - 1), rate_func=linear)
        self.grid.image.clear_updaters()

    @beat
    def plane(self, b):
        """Every walk on one map (the plane where all their states differ most): walkers from their starts,
        each to its own picture; then the map recedes (it holds only part of the motion)."""
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
        b.fill(Create(self.map), until="differ most")
        b.at("each dot")
        b.play(FadeIn(self.starts, lag_ratio=0.1))
        b.at("each line")
        self.add(*self.walkers)
        walks = [w.walk(self.map.to_scene(p), rate_func=linear) for w, p in zip(self.walkers, paths)]
        b.fill(*walks, until="<fanned>")  # as they fan out (or, the claim's other wording, do not meet)
        self.thumbs = Group(*[pixel_image(im, THUMB).next_to(self.map.to_scene(p[-1]), UP, buff=SMALL_GAP)
                              for im, p in zip(self.array("endpoints"), paths)])
        b.play(FadeIn(self.ends), FadeIn(self.thumbs, lag_ratio=0.1))
        b.at("<pct>")
        b.play(FadeIn(self.map_note), pace=Pace.QUICK)
        # "the rest happens in directions we cannot draw": the flat map and its lines recede; the pictures stay.
        b.fill(self.map.animate.set_stroke(opacity=RECEDED), *[m.animate.set_opacity(RECEDED) for m in (
            self.starts, self.ends, *[w.dot for w in self.walkers])],
            *[w.trail.animate.set_stroke(opacity=RECEDED) for w in self.walkers])

    @beat
    def spread(self, b):
        """The measured spread: two starting noises, two endpoints, and how far apart each pair is; each row
        arrives as it is named and its figure counts up to the word."""
        b.play(FadeOut(Group(self.map, self.starts, self.ends, self.thumbs, self.map_note, *self.walkers)))
        starts, ends = self.walk_frames()[0], self.array("endpoints")
        rows = Slots.STAGE.stack(2, gap=GAP * 2)
        self.pairs, self.counters, notes = [], [], []
        for row, (a, c), label, pct in ((rows[0], starts[:2], "two starting noises", self.fact("spread.start_pct")),
                                        (rows[1], ends[:2], "the finished pictures", self.fact("spread.end_pct"))):
            first, second, number = row.columns(1, 1, 2, gap=GAP * 2)
            count_slot, note_slot = number.rows(2, 1)
            pair = [ImagePanel(a, first, color=SEED), ImagePanel(c, second, color=SEED)]
            counter = count_slot.place(LabelledCounter(label, 0, color=HIGHLIGHT))
            self.pairs += pair
            self.counters.append((counter, pct))
            notes.append(note_slot)
        unit = text("% of the colour range, per pixel", size=Type.CAPTION, color=MUTED)
        self.unit = Slots.BOTTOM_STRIP.place(unit)
        self.closer = VGroup()
        arrive = lambda i: [*self.pairs[2 * i].arrive(), *self.pairs[2 * i + 1].arrive(), FadeIn(self.counters[i][0])]  # noqa: E731
        count = lambda i: self.counters[i][0].count_to(self.counters[i][1])  # noqa: E731
        b.at("two starting noises")
        b.play(*arrive(0))
        b.fill(count(0), until="<start>")
        b.at("colour range")
        b.play(FadeIn(self.unit), pace=Pace.QUICK)
        b.at("finished pictures")
        b.play(*arrive(1))
        b.fill(count(1), until="<end>")
        self.closer = notes[1].place(text(f"{self.fact('spread.start_to_end_ratio')} times closer",
                                          size=Type.BODY, color=HIGHLIGHT))
        b.at("<ratio>")  # each wording of the claim places it: where it says how much closer the walk brings them
        b.play(FadeIn(self.closer, shift=UP * GAP), pace=Pace.QUICK)

    @beat
    def closing(self, b):
        """The seed is where you start: the knobs; two seeds walk to two pictures, then the same seed twice
        walks to the same picture."""
        b.play(FadeOut(Group(*self.pairs, *[c for c, _ in self.counters], self.unit, self.closer)), pace=Pace.QUICK)
        legend_slot, walk_slot = Slots.STAGE.columns(2, 3, gap=GAP * 3)
        self.legend = legend_slot.place(KnobLegend(active="seed", with_meaning=True, size=Type.BODY))
        rows = self.legend.rows
        frames = self.walk_frames()
        seeds = self.array("seeds")
        k = ValueTracker(0)
        self.again = [ImagePanel(frames[0, i], slot, label=f"seed {seeds[i]}", color=SEED, label_color=SEED)
                      for i, slot in enumerate(walk_slot.split(2, gap=GAP * 3))]
        for i, panel in enumerate(self.again):
            panel.play_frames(frames[:, i], k)
        others = [row for name, row in rows.items() if name != "prompt"]
        b.play(*[FadeIn(row) for row in others], *[a for panel in self.again for a in panel.arrive()])
        # The prompt's row: its meaning as the compass is said, its name as the prompt is.
        dot, name, meaning = rows["prompt"]
        b.at("same compass")
        b.play(FadeIn(dot), FadeIn(meaning))
        b.at("followed")
        b.fill(k.animate.set_value(len(frames) - 1), rate_func=linear, until="different pictures")
        # Keep the seed: the right panel takes the left one's seed, and both walk again, step for step.
        b.at("keep the seed")
        right = self.again[1]
        right.image.clear_updaters()
        right.play_frames(frames[:, 0], k)
        b.play(*right.retitle(label=f"seed {seeds[0]}"), k.animate.set_value(0), Indicate(rows["seed"]))
        b.at("prompt")
        b.fill(k.animate(rate_func=linear).set_value(len(frames) - 1),
               FadeIn(name, rate_func=squish_rate_func(smooth, 0, FIRST_MOMENT)))
