"""Chapter 04 — What is a prompt to the model?

Storyboard: a prompt becomes a list of numbers -> the map of ~200 real prompts (the text encoder's pooled
vectors, projected to 2D), coloured by family -> families labelled, the measured agreement of neighbours
-> the chapter's prompt lands, joined to its measured nearest neighbours -> different words for the same
thing land together -> this is the text encoder's space, not image space. From build/data/04_where_words_live.
"""

import numpy as np
from manim import DOWN, LEFT, Arrow, Create, Dot, FadeIn, FadeOut, LaggedStart, Line, VGroup

from scenes.beats import ChapterScene, beat
from scenes.pieces import Chip, DataPlane, text
from scenes.style import GAP, HIGHLIGHT, MUTED, PALETTE, PROMPT, TEXT, Pace, Slots, Type


class WhereWordsLive(ChapterScene):
    @beat
    def vector(self, b):
        """A prompt becomes one list of numbers: a point in a space of that many dimensions."""
        words = Chip(f"\u201c{self.fact('prompt.text')}\u201d", "a prompt", color=PROMPT, size=Type.BODY)
        numbers = Chip(f"{self.fact('map.dimensions')} numbers", "one point in a space of "
                       f"{self.fact('map.dimensions')} dimensions", color=HIGHLIGHT, size=Type.BODY)
        row = VGroup(words, numbers).arrange(buff=GAP * 8)
        Slots.STAGE.place(row)
        arrow = Arrow(words.get_right(), numbers.get_left(), color=MUTED, buff=GAP)
        self.intro = VGroup(words, arrow, numbers)
        b.play(FadeIn(words))
        b.fill(Create(arrow), FadeIn(numbers, shift=LEFT * GAP), leave=Pace.NORMAL)

    @beat
    def map(self, b):
        """The map: every prompt a dot, coloured by its family."""
        b.play(FadeOut(self.intro))
        points, labels = self.array("points"), self.array("labels")
        self.families = self.fact("map.categories")
        plane_slot, self.side = Slots.STAGE.columns(2, 1)
        self.plane = DataPlane(plane_slot, np.vstack([points, self.array("prompt_point")[None]]))
        self.dots = VGroup(*[self.plane.dots(points[labels == i], color=PALETTE[i], radius=0.06)
                             for i in range(len(self.families))])
        legend = VGroup(*[VGroup(Dot(color=PALETTE[i], radius=0.08), text(name, size=Type.CAPTION, color=PALETTE[i]))
                          .arrange(buff=GAP) for i, name in enumerate(self.families)])
        self.legend = self.side.place(legend.arrange(DOWN, aligned_edge=LEFT, buff=GAP))
        b.play(FadeIn(self.plane), FadeIn(self.legend, lag_ratio=0.2))
        b.fill(LaggedStart(*[FadeIn(d, scale=0.5) for family in self.dots for d in family], lag_ratio=0.01))

    @beat
    def clusters(self, b):
        """Families labelled where they gather, and how often neighbours share a family."""
        centres = self.fact("map.label_points")
        self.names = VGroup(*[text(name, size=Type.BODY, color=PALETTE[i]).move_to(self.plane.to_scene(c))
                              for i, (name, c) in enumerate(zip(self.families, centres))])
        score = VGroup(text(f"{self.fact('clusters.agreement_percent')}%", size=Type.NUMBER, color=HIGHLIGHT),
                       text(f"of {self.fact('clusters.k')} nearest neighbours", size=Type.LABEL),
                       text("share the family", size=Type.LABEL),
                       text(f"chance: {self.fact('clusters.chance_percent')}%", size=Type.LABEL, color=MUTED))
        self.score = self.side.place(score.arrange(DOWN, buff=GAP / 2))
        b.play(self.dots.animate.set_opacity(0.35), FadeOut(self.legend))
        b.play(LaggedStart(*[FadeIn(n, scale=1.2) for n in self.names], lag_ratio=0.3), pace=Pace.SLOW)
        b.fill(FadeIn(self.score, shift=DOWN * GAP))

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
        rows = VGroup(text(f"\u201c{self.fact('prompt.text')}\u201d", size=Type.CAPTION, color=HIGHLIGHT),
                      *[text(f"{t}  {s:.2f}", size=Type.CAPTION, color=TEXT)
                        for t, s in zip(self.fact("prompt.neighbours"), self.fact("prompt.similarities"))])
        self.list = self.side.place(rows.arrange(DOWN, aligned_edge=LEFT, buff=GAP / 2))
        b.play(FadeOut(self.score), self.names.animate.set_opacity(0.4), FadeIn(self.star, scale=3))
        b.play(LaggedStart(*[Create(line) for line in self.links], lag_ratio=0.2), FadeIn(self.list[0]))
        b.fill(LaggedStart(*[FadeIn(r, shift=LEFT * GAP) for r in self.list[1:]], lag_ratio=0.3))

    @beat
    def phrasing(self, b):
        """Different words for the same thing: each pair joined on the map."""
        texts, points = self.fact("map.texts"), self.array("points")
        pairs = self.fact("phrasings.pairs")
        self.pair_links = VGroup(*[Line(self.plane.to_scene(points[texts.index(p["a"])]),
                                        self.plane.to_scene(points[texts.index(p["b"])]), color=PROMPT,
                                        stroke_width=4) for p in pairs])
        rows = VGroup(*[text(f"{p['a']} \u2194 {p['b']}  {p['similarity']:.2f}", size=Type.CAPTION) for p in pairs])
        self.pairs = self.side.place(rows.arrange(DOWN, aligned_edge=LEFT, buff=GAP / 2))
        b.play(FadeOut(self.list), FadeOut(self.links), self.star.animate.set_opacity(0.4))
        b.fill(LaggedStart(*[LaggedStart(Create(line), FadeIn(row)) for line, row in zip(self.pair_links, self.pairs)],
                           lag_ratio=0.4))

    @beat
    def space(self, b):
        """A map of the text encoder's space, not of pictures."""
        caution = VGroup(text("the text encoder's space", size=Type.HEADING, color=PROMPT),
                         text(f"{self.fact('map.encoder')}: {self.fact('map.dimensions')} numbers per prompt",
                              size=Type.CAPTION, color=MUTED),
                         text("not a map of pictures", size=Type.BODY)).arrange(DOWN, buff=GAP)
        self.caution = Slots.STAGE.place(caution)
        b.play(FadeOut(VGroup(self.pairs, self.pair_links, self.names, self.star, self.plane)),
               self.dots.animate.set_opacity(0.12))
        b.fill(FadeIn(self.caution, lag_ratio=0.3), leave=Pace.SLOW)
