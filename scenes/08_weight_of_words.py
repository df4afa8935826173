"""Chapter 08 — Does detail help?

Storyboard: one subject at four levels of detail, a row of seeds each: the vaguest and the most detailed
prompts as they are read -> the measured spread per level, and how much of it the seed keeps -> what the judge
reads for each word of the most detailed prompt, against guessing, each figure as it is said -> the prompt
grown word by word from one noise -> word order and binding: the same words in different orders, several
seeds each, and the measured changes -> every word nudges the compass, as far as the model listens. Every
image and figure is from build/data/08_weight_of_words.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Brace, Create, FadeIn, FadeOut, Group, GrowFromEdge,
                   LaggedStart, Line, Succession, Underline, ValueTracker, VGroup, linear)

from scenes.beats import ChapterScene, beat
from scenes.compass import Compass
from scenes.pieces import HousePlot, ImageGrid, ImagePanel, LabelledCounter, MeterRows, WordLines, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PROMPT, SEED, SMALL_GAP, Pace, Slots, Type

NUDGE_DEGREES = 300  # the compass turns this many degrees per unit of image change a word causes (RMSE, 0..1)
DIM = 0.15  # a word of the prompt not grown yet


class WeightOfWords(ChapterScene):
    @beat
    def levels(self, b):
        """Four levels of detail, one row of seeds each: the vaguest row fills as its prompt is read, then the
        others as the most detailed prompt is; how many seeds a row holds, as it is said."""
        grids = self.array("level_grids")
        levels, seeds = grids.shape[:2]
        note_slot, grid_slot = Slots.STAGE.rows(1, 5)
        tiles = grids.reshape(-1, *grids.shape[2:])
        self.grid = ImageGrid(tiles, cols=seeds, slot=grid_slot, row_labels=[f"{i + 1}" for i in range(levels)])
        rows = [ValueTracker(0) for _ in range(levels)]  # how many tiles of each row are shown
        blank, column = np.zeros_like(grids), np.arange(seeds)[None, :, None, None, None]
        filled = lambda: np.where(column < np.array([r.get_value() for r in rows])[:, None, None, None, None],  # noqa: E731
                                  grids, blank)
        self.grid.image.add_updater(lambda m: self.grid.show(filled().reshape(tiles.shape)))
        prompts = self.fact("detail.prompts")
        vague = text(f'"{prompts[0]}"', size=Type.CAPTION, color=PROMPT)
        detailed = text(f'to "{prompts[-1]}"', size=Type.CAPTION, color=PROMPT)
        self.prompt = Slots.BOTTOM_STRIP.place(VGroup(vague, detailed).arrange(RIGHT, buff=GAP * 2))
        self.seeds_note = note_slot.place(text(f"{self.fact('detail.seeds')} seeds per row", size=Type.CAPTION,
                                               color=SEED))
        b.play(FadeIn(self.grid.image))
        b.at("<levels>")
        b.play(LaggedStart(*[FadeIn(m) for m in self.grid.row_labels]))
        b.at("a snail")
        b.fill(rows[0].animate.set_value(seeds), FadeIn(vague), rate_func=linear, until="glossy")
        # The detailed prompt as it is read; the rows in between fill on the way to it.
        b.play(FadeIn(detailed), pace=Pace.QUICK)
        b.fill(Succession(*[r.animate(run_time=Pace.QUICK if i < levels - 1 else Pace.SLOW,
                                                         rate_func=linear).set_value(seeds)
                                              for i, r in enumerate(rows[1:], start=1)]), until="background")
        b.at("<seeds>")
        b.play(FadeIn(self.seeds_note, shift=DOWN * SMALL_GAP), pace=Pace.QUICK)
        self.grid.image.clear_updaters()
        self.grid.show(tiles)

    @beat
    def spread(self, b):
        """How different the pictures of each row are: the measured spread per level of detail, how much it
        shrinks, and how much of it is left to the seed."""
        b.play(FadeOut(Group(self.grid, self.prompt, self.seeds_note)))
        spread = np.asarray(self.fact("detail.spread")) * 100
        levels = np.arange(1, len(spread) + 1)
        top = 50
        self.plot = HousePlot(Slots.STAGE, [0, len(spread) + 1, 1], [0, top, 10], "level of detail",
                              "how different the pictures of a row are (% of the colour range)")
        self.line = self.plot.curve(levels, spread, color=SEED)
        self.marks = VGroup(*[self.plot.mark(x, y, f"{y:.1f}") for x, y in zip(levels, spread)])
        rows = text("first row to last:", size=Type.CAPTION, color=SEED)
        shrink = text(f"the spread shrinks {self.fact('detail.spread_shrink_pct'):g}% "
                      f"({self.fact('detail.spread_ratio'):g}\u00d7)", size=Type.CAPTION, color=SEED)
        corner = self.plot.point(len(spread) + 1, top)
        VGroup(rows, shrink).arrange(RIGHT, buff=SMALL_GAP).next_to(corner, DOWN, buff=GAP).align_to(corner, RIGHT)
        # What is left at the most detailed level: the seed's share of the spread.
        left = Line(self.plot.point(levels[-1], 0), self.plot.point(levels[-1], spread[-1]))
        self.seed_brace = Brace(left, RIGHT, color=SEED)
        seed_label = text("the seed", size=Type.CAPTION, color=SEED).next_to(self.seed_brace, RIGHT, buff=SMALL_GAP)
        self.notes = VGroup(rows, shrink, self.seed_brace, seed_label)
        b.play(*self.plot.arrive())
        b.fill(Create(self.line), LaggedStart(*[FadeIn(m) for m in self.marks], lag_ratio=0.5), rate_func=linear,
               until="<rows>")
        b.play(FadeIn(rows, shift=DOWN * SMALL_GAP), pace=Pace.QUICK)
        b.at("<spread>")
        b.play(FadeIn(shrink, shift=DOWN * SMALL_GAP), pace=Pace.QUICK)
        b.at("<seed>")
        b.fill(GrowFromEdge(self.seed_brace, DOWN), FadeIn(seed_label))

    @beat
    def obeyed(self, b):
        """What the judge reads for the words of the last prompt, each against guessing: each row as its
        attribute is named, each figure as it is said."""
        b.play(FadeOut(VGroup(self.plot, self.line, self.marks, self.notes)))
        rows = [(f"size: {self.fact('obeyed.size_word')}", self.fact("obeyed.size_pct") / 100,
                 self.fact("obeyed.size_chance_pct") / 100),
                (f"background: {self.fact('obeyed.background_word')}", self.fact("obeyed.background_pct") / 100,
                 self.fact("obeyed.background_chance_pct") / 100),
                (f"place: {self.fact('obeyed.position_word')}", self.fact("obeyed.position_pct") / 100,
                 self.fact("obeyed.position_chance_pct") / 100)]  # each named by the voice's word for it
        prompt_slot, body, note = Slots.STAGE.rows(1, 5, 1)
        self.asked = prompt_slot.place(text(f'"{self.fact("detail.prompts")[-1]}"', size=Type.CAPTION,
                                            color=PROMPT))
        self.meters = m = MeterRows(body, rows, color=PROMPT)
        self.chance = VGroup(*[text(f"guessing {round(chance * 100)}%", size=Type.CAPTION, color=MUTED).next_to(
            value, RIGHT, buff=GAP * 2) for (_, _, chance), value in zip(rows, m.values)])
        self.note = note.place(text("dashed: what guessing would score", size=Type.CAPTION, color=MUTED))
        label = lambda i: [FadeIn(m.labels[i]), Create(m.ticks[i])]  # noqa: E731
        b.at("last prompt")
        b.play(FadeIn(self.asked))
        b.at("size")
        b.play(*label(0), pace=Pace.QUICK)
        b.at("<size>")
        b.play(GrowFromEdge(m.bars[0], LEFT), FadeIn(m.values[0]), pace=Pace.QUICK)
        b.at("<size_chance>")
        b.play(FadeIn(self.chance[0]), pace=Pace.QUICK)
        b.at("guessing")
        b.play(FadeIn(self.note), pace=Pace.QUICK)
        b.at("background")
        b.play(*label(1), pace=Pace.QUICK)
        b.at("place")
        b.play(*label(2), pace=Pace.QUICK)
        # Each bar grows as its word is said and reaches its figure as the voice reads it out.
        b.at("purple")
        b.fill(GrowFromEdge(m.bars[1], LEFT), until="<background>")
        b.play(FadeIn(m.values[1]), pace=Pace.QUICK)
        b.at("top left")
        b.fill(GrowFromEdge(m.bars[2], LEFT), until="<position>")
        b.play(FadeIn(m.values[2]), pace=Pace.QUICK)
        b.at("<background_chance>")
        b.play(FadeIn(self.chance[1]), pace=Pace.QUICK)
        b.at("<position_chance>")
        b.play(FadeIn(self.chance[2]), pace=Pace.QUICK)

    @beat
    def grow(self, b):
        """The prompt grown one word at a time from one noise: the picture and the words, side by side; the
        change each word makes, counted; the least and the biggest as they are said."""
        b.play(FadeOut(VGroup(self.asked, self.meters, self.chance, self.note)), pace=Pace.QUICK)
        images, words = self.array("grow_images"), self.fact("grow.prompt").split()
        left, right = Slots.STAGE.columns(2, 3, gap=GAP * 3)
        self.panel = ImagePanel(images[0], left, color=PROMPT)
        words_slot, change_slot = right.rows(3, 1)
        self.words = words_slot.place(WordLines(words, words_slot.width, size=Type.HEADING, color=PROMPT))
        biggest = self.fact("grow.biggest_change_index")
        change = np.concatenate([[0.0], self.array("grow_change")]) * 100  # word i changed the picture this much
        least = int(np.argmin(change[1:])) + 1
        k = ValueTracker(0)  # words grown so far (the last one shown is word round(k))
        grown = lambda: int(round(k.get_value()))  # noqa: E731
        def light(_):
            for i, w in enumerate(self.words.words):
                w.set_opacity(1 if i <= grown() else DIM).set_color(HIGHLIGHT if i == biggest <= grown() else PROMPT)
        light(self.words)
        self.words.add_updater(light)  # the words' groups are not in the scene themselves: their lines are
        self.panel.play_frames(images, k)
        self.change = LabelledCounter("changes the picture by", 0, places=1, color=HIGHLIGHT)
        percent = text("%", size=Type.BODY, color=HIGHLIGHT)
        self.change.number.set_value(change.max())  # placed at its widest
        self.change.number.next_to(self.change.label, RIGHT, buff=GAP)
        percent.next_to(self.change.number, RIGHT, buff=SMALL_GAP)
        change_slot.place(VGroup(self.change, percent))
        percent.add_updater(lambda m: m.next_to(self.change.number, RIGHT, buff=SMALL_GAP))
        self.change.add(percent)
        b.at("prompt")
        b.play(*self.panel.arrive(), FadeIn(self.words))
        to = lambda i: k.animate(rate_func=linear).set_value(max(i, k.get_value()))  # noqa: E731 - grow to word i
        b.fill(to(self.fact("grow.subject_word_index")), until="changes the picture")
        self.change.number.set_value(change[grown()])
        b.play(FadeIn(self.change), pace=Pace.QUICK)
        self.change.number.add_updater(lambda m: m.set_value(change[grown()]))  # each word's change, as it lands
        b.fill(to(least - 1), until="the word")
        b.fill(to(least), until="<least>")
        b.fill(to(biggest - 1), until="biggest change")
        b.fill(to(biggest), until="<biggest>")
        b.fill(to(len(words) - 1), until="<biggest_word>")
        self.underline = Underline(self.words.words[biggest], color=HIGHLIGHT)
        b.play(Create(self.underline), pace=Pace.QUICK)
        self.words.clear_updaters()
        self.panel.image.clear_updaters()
        self.change.number.clear_updaters()

    @beat
    def order(self, b):
        """The same words in different orders, a row each, a column per seed: each order as it is said; the
        columns barely change; the measured changes and the judge's reading, each as it is said."""
        b.play(FadeOut(Group(self.panel, self.words, self.change, self.underline)))
        images = self.array("binding_images")
        prompts = [row["prompt"] for row in self.fact("binding.prompts")]
        self.binding = ImageGrid(images.reshape(-1, *images.shape[2:]), cols=images.shape[1], slot=Slots.STAGE,
                                 row_labels=[f'"{p}"' for p in prompts], label_color=PROMPT)
        rows = ValueTracker(0)  # how many rows (orders) are shown
        blank = np.zeros_like(images)
        order = np.arange(len(images))[:, None, None, None, None]
        self.binding.image.add_updater(lambda m: self.binding.show(
            np.where(order < rows.get_value(), images, blank).reshape(-1, *images.shape[2:])))
        labels = self.binding.row_labels
        b.at("ask for")
        b.play(FadeIn(self.binding.image), FadeIn(labels[0]), rows.animate.set_value(1))
        swapped = len(prompts) - 1  # the last order is the shuffled one; the ones between swap the words
        b.at("swap the words")
        b.play(*[FadeIn(m) for m in labels[1:swapped]], rows.animate.set_value(swapped))
        b.at("shuffle")
        b.play(FadeIn(labels[-1]), rows.animate.set_value(len(prompts)))
        self.binding.image.clear_updaters()
        column = self.binding.highlight(0, 0, color=SEED).stretch_to_fit_height(self.binding.image.height + GAP)
        column.move_to([self.binding.cell_center(0, 0)[0], self.binding.image.get_center()[1], 0])
        self.column = column
        first = column.get_center()
        last = [self.binding.cell_center(0, images.shape[1] - 1)[0], first[1], 0]
        # Each column starts from the same noise: the column walks along the seeds, as alike in every order.
        b.at("<columns>")
        b.play(Create(column), pace=Pace.QUICK)
        b.fill(column.animate.move_to(last), rate_func=linear, until="<order_change>")
        reorder, reseed, judged, guessing = [text(s, size=Type.CAPTION, color=c) for s, c in (
            (f"reordering the words: {self.fact('binding.order_change_pct'):g}% change", PROMPT),
            (f"a new seed: {self.fact('binding.seed_change_pct'):g}%", SEED),
            (f"judge: right object, side and size in {self.fact('binding.binding_pct')}%", HIGHLIGHT),
            (f"guessing: {self.fact('binding.binding_chance_pct')}%", MUTED))]
        strip = Slots.BOTTOM_STRIP.split(2, gap=GAP * 4)
        self.figures = VGroup(strip[0].place(reorder), strip[1].place(reseed))
        self.judged = VGroup(strip[0].place(judged), strip[1].place(guessing))
        b.play(FadeIn(reorder, shift=UP * SMALL_GAP), pace=Pace.QUICK)
        b.at("<seed_change>")
        b.play(FadeIn(reseed, shift=UP * SMALL_GAP), pace=Pace.QUICK)
        b.at("the judge finds")
        b.play(FadeOut(self.figures), pace=Pace.QUICK)
        b.at("<binding>")
        b.play(FadeIn(judged, shift=UP * SMALL_GAP), pace=Pace.QUICK)
        b.at("<binding_chance>")
        b.play(FadeIn(guessing, shift=UP * SMALL_GAP), pace=Pace.QUICK)
        # Which word goes with which: the column walks back, the same picture in every order.
        b.fill(column.animate.move_to(first), rate_func=linear)

    @beat
    def closing(self, b):
        """Every word nudges the compass, as far as the model learned to listen: turns sized by the measured
        change each word caused."""
        b.play(FadeOut(Group(self.binding, self.column, self.judged)))
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
