"""Chapter 08 — Does detail help?

Storyboard: one subject at four levels of detail, a row of seeds each -> the measured spread per level ->
what the judge reads for each word of the most detailed prompt, against guessing -> the prompt grown word by
word from one noise -> word order and binding: the same words in different orders, several seeds each ->
every word nudges the compass, as far as the model listens. Every image and figure is from
build/data/08_weight_of_words.
"""

import numpy as np
from manim import AnimationGroup, Create, FadeIn, FadeOut, Group, LaggedStart, Succession, Underline, ValueTracker, VGroup, linear

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass
from scenes.pieces import HousePlot, ImageGrid, ImagePanel, LabelledCounter, MeterRows, WordLines, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, Pace, Slots, Type

NUDGE_DEGREES = 300  # the compass turns this many degrees per unit of image change a word causes (RMSE, 0..1)


class WeightOfWords(ChapterScene):
    @beat
    def levels(self, b):
        """Four levels of detail, one row of seeds each; the row's prompt written below as it fills."""
        grids = self.array("level_grids")
        levels, seeds = grids.shape[:2]
        self.grid = ImageGrid(grids.reshape(-1, *grids.shape[2:]), cols=seeds, slot=Slots.STAGE,
                              row_labels=[f"{i + 1}" for i in range(levels)])
        shown = ValueTracker(0)
        self.grid.fill_in(grids.reshape(-1, *grids.shape[2:]), shown)
        b.play(FadeIn(self.grid), pace=Pace.QUICK)
        self.prompt = VGroup()
        for i, prompt in enumerate(self.fact("detail.prompts")):
            words = Slots.BOTTOM_STRIP.place(text(f'{i + 1}: "{prompt}"', size=Type.CAPTION, color=PROMPT))
            b.play(shown.animate.set_value((i + 1) * seeds), FadeOut(self.prompt), FadeIn(words),
                   rate_func=linear, share=0.9 / levels)
            self.prompt = words
        self.grid.image.clear_updaters()

    @beat
    def spread(self, b):
        """How different the pictures of each row are: the measured spread per level of detail."""
        b.play(FadeOut(Group(self.grid, self.prompt)))
        spread = np.asarray(self.fact("detail.spread")) * 100
        levels = np.arange(1, len(spread) + 1)
        self.plot = HousePlot(Slots.STAGE, [0, len(spread) + 1, 1], [0, 50, 10], "level of detail",
                              "how different the pictures of a row are (% of the colour range)")
        self.line = self.plot.curve(levels, spread, color=SEED)
        self.marks = VGroup(*[self.plot.mark(x, y, f"{y:.1f}") for x, y in zip(levels, spread)])
        b.play(*self.plot.arrive())
        b.fill(Create(self.line), LaggedStart(*[FadeIn(m) for m in self.marks], lag_ratio=0.5), rate_func=linear)

    @beat
    def obeyed(self, b):
        """What the judge reads for the words of the last prompt, each against guessing."""
        b.play(FadeOut(VGroup(self.plot, self.line, self.marks)))
        rows = [(f"{self.fact('obeyed.size_word')}", self.fact("obeyed.size_pct") / 100,
                 self.fact("obeyed.size_chance_pct") / 100),
                (f"{self.fact('obeyed.background_word')} background", self.fact("obeyed.background_pct") / 100,
                 self.fact("obeyed.background_chance_pct") / 100),
                (f"{self.fact('obeyed.position_word')}", self.fact("obeyed.position_pct") / 100,
                 self.fact("obeyed.position_chance_pct") / 100)]
        body, note = Slots.STAGE.rows(5, 1)
        self.meters = MeterRows(body, rows, color=PROMPT)
        self.note = note.place(text("dashed: what guessing would score", size=Type.CAPTION, color=MUTED))
        b.play(FadeIn(self.meters.labels, lag_ratio=0.3))
        b.fill(*self.meters.grow(), FadeIn(self.note))

    @beat
    def grow(self, b):
        """The prompt grown one word at a time from one noise: the picture and the words, side by side."""
        b.play(FadeOut(VGroup(self.meters, self.note)))
        images, words = self.array("grow_images"), self.fact("grow.prompt").split()
        left, right = Slots.STAGE.columns(2, 3, gap=GAP * 3)
        self.panel = ImagePanel(images[0], left, color=PROMPT)
        words_slot, change_slot = right.rows(3, 1)
        self.words = words_slot.place(WordLines(words, words_slot.width, size=Type.HEADING, color=PROMPT))
        for w in self.words.words:
            w.set_opacity(0.15)
        b.play(*self.panel.arrive(), FadeIn(self.words))
        biggest = self.fact("grow.biggest_change_index")
        change = np.concatenate([[0.0], self.array("grow_change")]) * 100  # word i changed the picture this much
        self.change = change_slot.place(LabelledCounter("change (%)", 0, places=1, color=HIGHLIGHT))
        b.play(FadeIn(self.change), pace=Pace.QUICK)
        for i, word in enumerate(self.words.words):
            self.panel.show(images[i])
            b.play(word.animate.set_opacity(1).set_color(HIGHLIGHT if i == biggest else PROMPT),
                   self.change.count_to(change[i]), share=0.7 / len(words))
        self.underline = Underline(self.words.words[biggest], color=HIGHLIGHT)
        b.fill(Create(self.underline))

    @beat
    def order(self, b):
        """The same words in different orders, a row each, a column per seed: the columns barely change."""
        b.play(FadeOut(Group(self.panel, self.words, self.change, self.underline)))
        images = self.array("binding_images")
        prompts = [row["prompt"] for row in self.fact("binding.prompts")]
        self.binding = ImageGrid(images.reshape(-1, *images.shape[2:]), cols=images.shape[1], slot=Slots.STAGE,
                                 row_labels=[f'"{p}"' for p in prompts], label_color=PROMPT)
        b.play(FadeIn(self.binding.image), FadeIn(self.binding.row_labels, lag_ratio=0.3), pace=Pace.SLOW)
        column = self.binding.highlight(0, 0, color=SEED).stretch_to_fit_height(self.binding.image.height + GAP)
        column.move_to([self.binding.cell_center(0, 0)[0], self.binding.image.get_center()[1], 0])
        self.column = column
        b.play(Create(column), pace=Pace.QUICK)
        right = [self.binding.cell_center(0, images.shape[1] - 1)[0], column.get_center()[1], 0]
        b.fill(column.animate.move_to(right), rate_func=linear)

    @beat
    def closing(self, b):
        """Every word nudges the compass, as far as the model learned to listen: turns sized by the measured
        change each word caused."""
        b.play(FadeOut(Group(self.binding, self.column)))
        words, change = self.fact("grow.prompt").split(), self.array("grow_change")
        dial_slot, word_slot = Slots.STAGE.rows(4, 1)
        self.dial = dial_slot.place(Compass(radius=dial_slot.height / 2.4))
        b.play(FadeIn(self.dial))
        steps, angle, shown = [], self.dial.angle.get_value(), VGroup()
        for i, amount in enumerate(change):
            word = word_slot.place(text(words[i + 1], size=Type.HEADING, color=PROMPT))
            angle += np.radians(NUDGE_DEGREES * float(amount)) * (1 if i % 2 else -1)
            steps.append(AnimationGroup(FadeOut(shown), FadeIn(word), self.dial.angle.animate.set_value(angle)))
            shown = word
        b.fill(Succession(*steps))
