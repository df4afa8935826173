"""Chapter 04 — What is a prompt to the model?

Storyboard: a prompt becomes a list of numbers -> the map of ~200 real prompts (the text encoder's pooled
vectors, projected to 2D), coloured by family -> families labelled, the measured agreement of neighbours
-> the chapter's prompt lands, joined to its measured nearest neighbours -> different words for the same
thing land together -> this is the text encoder's space, not image space. From build/data/04_where_words_live.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Arrow, Create, Dot, FadeIn, FadeOut, Flash, GrowArrow,
                   Indicate, LaggedStart, Line, VGroup)

from scenes.beats import ChapterScene, beat
from scenes.pieces import Chip, DataPlane, text
from scenes.style import GAP, HIGHLIGHT, MUTED, NUDGE, PALETTE, PROMPT, SMALL_GAP, TEXT, Pace, Slots, Type


class WhereWordsLive(ChapterScene):
    @beat
    def vector(self, b):
        """A prompt becomes one list of numbers: a point in a space of that many dimensions."""
        words = Chip(f"\u201c{self.fact('prompt.text')}\u201d", "a prompt", color=PROMPT, size=Type.BODY)
        numbers = Chip(f"{self.fact('map.dimensions')} numbers", "one point in a space of "
                       f"{self.fact('map.dimensions')} dimensions", color=HIGHLIGHT, size=Type.BODY)
        row = VGroup(words, numbers).arrange(buff=GAP * 10)
        Slots.STAGE.place(row)
        arrow = Arrow(words.get_right(), numbers.get_left(), color=MUTED, buff=GAP)
        encoder = text("text encoder", size=Type.CAPTION, color=MUTED).next_to(arrow, UP, buff=SMALL_GAP)
        self.intro = VGroup(words, arrow, encoder, numbers)
        # the encoder, the prompt it is given and the list it gives back, each as the voice names it
        b.at("text encoder")
        b.play(FadeIn(encoder, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("prompt")
        b.play(FadeIn(words, shift=RIGHT * NUDGE), pace=Pace.QUICK)
        b.at("<dims>")
        b.play(GrowArrow(arrow), FadeIn(numbers, shift=LEFT * GAP))
        b.at("similar lists")
        b.play(Indicate(numbers, color=HIGHLIGHT))

    @beat
    def map(self, b):
        """The map: every prompt a dot, coloured by its family."""
        points, labels = self.array("points"), self.array("labels")
        self.families = self.fact("map.categories")
        plane_slot, self.side = Slots.STAGE.columns(2, 1)
        self.plane = DataPlane(plane_slot, np.vstack([points, self.array("prompt_point")[None]]))
        self.dots = VGroup(*[self.plane.dots(points[labels == i], color=PALETTE[i], radius=0.06)
                             for i in range(len(self.families))])
        count = text(f"{self.fact('map.prompts')} prompts", size=Type.BODY)
        squeezed = text(f"{self.fact('map.dimensions')} numbers \u2192 2 ({self.fact('map.method')})",
                        size=Type.CAPTION, color=MUTED)
        legend = VGroup(*[VGroup(Dot(color=PALETTE[i], radius=0.08), text(name, size=Type.CAPTION, color=PALETTE[i]))
                          .arrange(buff=GAP) for i, name in enumerate(self.families)])
        legend.arrange(DOWN, aligned_edge=LEFT, buff=GAP)
        self.about = self.side.place(VGroup(count, squeezed, legend).arrange(DOWN, aligned_edge=LEFT, buff=GAP * 2))
        self.legend = legend
        order = np.random.default_rng(0).permutation(len(points))  # the dots arrive all over the map at once
        everyone = [d for family in self.dots for d in family]
        arriving = [everyone[i] for i in order]
        half = len(arriving) // 2
        b.play(FadeOut(self.intro), FadeIn(self.plane), FadeIn(count, shift=DOWN * NUDGE))
        b.fill(LaggedStart(*[FadeIn(d, scale=0.5) for d in arriving[:half]], lag_ratio=0.02), until="<from>")
        b.play(FadeIn(squeezed, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.fill(LaggedStart(*[FadeIn(d, scale=0.5) for d in arriving[half:]], lag_ratio=0.02), until="each dot")
        b.play(Flash(arriving[0], color=TEXT))
        b.at("coloured by")
        b.play(LaggedStart(*[FadeIn(row, shift=LEFT * NUDGE) for row in legend], lag_ratio=0.3))

    @beat
    def clusters(self, b):
        """Families labelled where they gather, and how often neighbours share a family."""
        centres = self.fact("map.label_points")
        self.names = VGroup(*[text(name, size=Type.BODY, color=PALETTE[i]).move_to(self.plane.to_scene(c))
                              for i, (name, c) in enumerate(zip(self.families, centres))])
        agree, k, share, chance = (
            text(f"{self.fact('clusters.agreement_percent')}%", size=Type.NUMBER, color=HIGHLIGHT),
            text(f"of {self.fact('clusters.k')} nearest neighbours", size=Type.LABEL),
            text("share the family", size=Type.LABEL),
            text(f"chance: {self.fact('clusters.chance_percent')}%", size=Type.LABEL, color=MUTED))
        self.score = self.side.place(VGroup(agree, k, share, chance).arrange(DOWN, buff=GAP / 2))
        tightest = self.names[self.families.index(self.fact("clusters.tightest"))]
        loosest = self.names[self.families.index(self.fact("clusters.loosest"))]
        b.play(self.dots.animate.set_opacity(0.35), FadeOut(self.about))
        b.at("<together>")
        b.play(LaggedStart(*[FadeIn(n, scale=1.2) for n in self.names], lag_ratio=0.3))
        # the score line by line, each figure as it is said
        b.at("<agree>")
        b.play(FadeIn(agree, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<k>")
        b.play(FadeIn(k, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("share")
        b.play(FadeIn(share, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<chance>")
        b.play(FadeIn(chance, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<tightest>")
        b.play(Indicate(tightest, color=HIGHLIGHT))
        b.at("<loosest>")
        b.play(Indicate(loosest, color=HIGHLIGHT))

    @beat
    def prompt(self, b):
        """The chapter's prompt lands; lines to its measured nearest neighbours."""
        texts = self.fact("map.texts")
        points = self.array("points")
        home = self.plane.to_scene(self.array("prompt_point"))
        self.star = Dot(home, radius=0.12, color=HIGHLIGHT)
        neighbours = [texts.index(t) for t in self.fact("prompt.neighbours")]
        self.links = VGroup(*[Line(home, self.plane.to_scene(points[i]), color=HIGHLIGHT, stroke_width=2)
                              for i in neighbours])
        ours = text(f"\u201c{self.fact('prompt.text')}\u201d", size=Type.CAPTION, color=HIGHLIGHT)
        neighbours, similarities = self.fact("prompt.neighbours"), self.fact("prompt.similarities")
        # the nearest neighbour's similarity apart from its name, as it is said a moment later; the others in one line
        nearest = _line_in_two(neighbours[0], _said(similarities[0]))
        others = [text(f"{t}  {_said(sim)}", size=Type.CAPTION) for t, sim in zip(neighbours[1:], similarities[1:])]
        self.list = self.side.place(VGroup(ours, nearest, *others).arrange(DOWN, aligned_edge=LEFT, buff=GAP / 2))
        category = self.names[self.families.index(self.fact("prompt.category"))]
        b.play(FadeOut(self.score), self.names.animate.set_opacity(0.4), pace=Pace.QUICK)
        b.at("<prompt>")
        b.play(FadeIn(self.star, scale=3), FadeIn(ours, shift=LEFT * GAP))
        b.at("<category>")
        b.play(Indicate(category, color=HIGHLIGHT))
        b.at("<nearest>")
        b.play(Create(self.links[0]), FadeIn(nearest[0], shift=LEFT * GAP))
        b.at("<similarity>")
        b.play(FadeIn(nearest[1], shift=LEFT * GAP), pace=Pace.QUICK)
        b.at("nearest neighbours")  # the rest of the neighbours, one after another
        b.fill(LaggedStart(*[AnimationGroup(Create(line), FadeIn(row, shift=LEFT * GAP))
                             for line, row in zip(self.links[1:], others)], lag_ratio=0.4))

    @beat
    def phrasing(self, b):
        """Different words for the same thing: each pair joined on the map."""
        texts, points = self.fact("map.texts"), self.array("points")
        pairs = self.fact("phrasings.pairs")
        self.pair_links = VGroup(*[Line(self.plane.to_scene(points[texts.index(p["a"])]),
                                        self.plane.to_scene(points[texts.index(p["b"])]), color=PROMPT,
                                        stroke_width=4) for p in pairs])
        nearest, count = self.fact("phrasings.nearest_count"), self.fact("phrasings.count")
        header = text(f"all {count} pairs" if nearest == count else f"{nearest} of {count} pairs", size=Type.BODY,
                      color=PROMPT)
        rows = VGroup(*[text(f"{p['a']} \u2194 {p['b']}  {p['similarity']:.2f}", size=Type.CAPTION) for p in pairs])
        rows.arrange(DOWN, aligned_edge=LEFT, buff=GAP / 2)
        self.pairs = self.side.place(VGroup(header, rows).arrange(DOWN, aligned_edge=LEFT, buff=GAP))
        b.play(FadeOut(self.list), FadeOut(self.links), self.star.animate.set_opacity(0.4))
        # the pairs join on the map while the voice says what they are; the list as it counts and names them
        b.fill(LaggedStart(*[Create(line) for line in self.pair_links], lag_ratio=0.4), until="<pairs>")
        b.play(FadeIn(header, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<kitten>")
        b.play(FadeIn(rows[0], shift=LEFT * GAP), Indicate(self.pair_links[0], color=HIGHLIGHT))
        b.at("each is the other's")
        b.fill(LaggedStart(*[FadeIn(row, shift=LEFT * GAP) for row in rows[1:]], lag_ratio=0.4), leave=Pace.NORMAL)

    @beat
    def space(self, b):
        """A map of the text encoder's space, not of pictures."""
        whose = text("a map of the text encoder's space", size=Type.HEADING, color=PROMPT)
        detail = text(f"{self.fact('map.encoder')}: {self.fact('map.dimensions')} numbers per prompt",
                      size=Type.CAPTION, color=MUTED)
        not_pictures = text("not of pictures", size=Type.BODY)
        self.caution = Slots.STAGE.place(VGroup(whose, detail, not_pictures).arrange(DOWN, buff=GAP))
        b.play(FadeOut(VGroup(self.pairs, self.pair_links, self.names, self.star, self.plane)),
               self.dots.animate.set_opacity(0.12))
        b.at("a map")
        b.play(FadeIn(whose, shift=UP * NUDGE))
        b.at("not of pictures")
        b.play(FadeIn(not_pictures, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the prompt only")  # what the prompt is to the model: one list of numbers
        b.play(FadeIn(detail, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the picture")  # the map gives way: the picture is found elsewhere, by the walk
        b.fill(FadeOut(self.dots), leave=Pace.SLOW)


def _line_in_two(left: str, right: str) -> VGroup:
    """'left  right' as two texts that sit exactly where the one line would put them (so each can show alone)."""
    line = text(f"{left}  {right}", size=Type.CAPTION)
    split = len(left.replace(" ", ""))
    first, second = text(left, size=Type.CAPTION), text(right, size=Type.CAPTION)
    first.move_to(VGroup(*line[:split]))
    second.move_to(VGroup(*line[split:]))
    return VGroup(first, second)


def _said(value) -> str:
    """A measured figure as the narration reads it (3 significant digits)."""
    return f"{value:,.3g}"
