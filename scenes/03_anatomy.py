"""Chapter 03 — What are the parts?

Storyboard: prompt -> tokenizer (the real tokens and their ids, a word cut into pieces) -> text encoder
(the grid of token states) -> the denoiser, drawn from its real parts (resolution and width of every block)
-> the denoiser <-> scheduler loop, calls counted -> a latent model's extra decoder and its smaller world
-> how much bigger Stable Diffusion 1.5 is. Every name, shape and count is read from the loaded model
(build/data/03_anatomy), the SD 1.5 numbers from its published configuration built without weights.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, CurvedArrow, FadeIn, FadeOut, GrowFromEdge, LaggedStart,
                   Rectangle, VGroup, linear)

from scenes.beats import ChapterScene, beat
from scenes.pieces import Chip, Flow, LabelledCounter, text
from scenes.style import GAP, GUIDANCE, HIGHLIGHT, MUTED, PROMPT, SEED, STEPS, TEXT, Pace, Slots, Type


class Anatomy(ChapterScene):
    @beat
    def tokens(self, b):
        """The tokenizer: the prompt's real tokens with their ids; a word cut into pieces."""
        self.top, self.detail = Slots.STAGE.rows(1, 3, gap=GAP * 2)
        self.flow = Flow([Chip("prompt", "words"), Chip("tokenizer", f"{self.fact('tokens.count')} tokens"),
                          Chip("text encoder", _shape(self.fact("text.states_shape"))),
                          Chip("denoiser", _shape(self.fact("denoiser.input_shape")), color=STEPS),
                          Chip("scheduler", self.fact("loop.scheduler"), color=STEPS),
                          Chip("image", _shape(self.fact("denoiser.output_shape")), color=SEED)], self.top)
        b.play(*self.flow.reveal(0), *self.flow.reveal(1))
        rows = self.detail.stack(2)
        self.chips = rows[0].place(_token_row(self.fact("tokens.tokens"), self.fact("tokens.ids")))
        self.pieces = rows[1].place(_token_row(self.fact("word_pieces.tokens"), self.fact("word_pieces.ids")))
        b.play(LaggedStart(*[FadeIn(c, shift=DOWN * GAP) for c in self.chips], lag_ratio=0.2), pace=Pace.SLOW)
        b.fill(LaggedStart(*[FadeIn(c, shift=DOWN * GAP) for c in self.pieces], lag_ratio=0.2))

    @beat
    def encoder(self, b):
        """The text encoder: every token becomes a row of numbers; the grid is the compass."""
        b.play(FadeOut(self.chips), FadeOut(self.pieces), *self.flow.reveal(2))
        tokens, width = self.fact("text.tokens"), self.fact("text.width")
        grid_slot, label_slot = self.detail.columns(3, 1)
        cell = min(grid_slot.height / tokens, grid_slot.width / (width / 8))
        real = self.fact("tokens.count")
        self.grid = VGroup(*[Rectangle(width=cell * width / 8, height=cell * 0.8, stroke_width=1,
                                       color=PROMPT if r < real else MUTED,
                                       fill_opacity=0.6 if r < real else 0.1) for r in range(tokens)])
        self.grid.arrange(DOWN, buff=cell * 0.2)
        grid_slot.place(self.grid)
        self.grid_label = label_slot.place(VGroup(
            text(f"{tokens} tokens", size=Type.BODY), text(f"\u00d7 {width} numbers", size=Type.BODY),
            text(f"{real} real, {tokens - real} padding", size=Type.CAPTION, color=MUTED)).arrange(DOWN, buff=GAP))
        b.play(LaggedStart(*[GrowFromEdge(r, LEFT) for r in self.grid], lag_ratio=0.05), pace=Pace.SLOW)
        b.fill(FadeIn(self.grid_label, lag_ratio=0.4))

    @beat
    def denoiser(self, b):
        """The U-Net drawn from its real parts: height = resolution, width = channels."""
        b.play(FadeOut(self.grid), FadeOut(self.grid_label), *self.flow.reveal(3))
        parts = [p for p in self.fact("anatomy.embedded.denoiser.parts") if p["stage"] in ("in", "down", "middle", "up")]
        self.unet = _unet_blocks(parts, self.detail.rows(4, 1)[0])
        note = text(f"{self.fact('denoiser.parameters_millions')} million parameters; reads the prompt (red) at "
                    + " and ".join(f"{r}\u00d7{r}" for r in self.fact("denoiser.attention_resolutions")),
                    size=Type.CAPTION, color=MUTED)
        self.unet_note = self.detail.rows(4, 1)[1].place(note)
        b.fill(LaggedStart(*[GrowFromEdge(block, DOWN) for block in self.unet], lag_ratio=0.15),
               FadeIn(self.unet_note), leave=Pace.NORMAL)

    @beat
    def loop(self, b):
        """Denoiser and scheduler in a loop; every step asks twice (with and without the prompt)."""
        b.play(FadeOut(self.unet), FadeOut(self.unet_note), *self.flow.reveal(4))
        denoiser, scheduler = self.flow.chips[3], self.flow.chips[4]
        self.loop_arrow = CurvedArrow(scheduler.get_bottom(), denoiser.get_bottom(), angle=-1.6, color=GUIDANCE)
        counters = VGroup(LabelledCounter("step", 0, color=STEPS), LabelledCounter("denoiser calls", 0))
        self.counters = self.detail.place(counters.arrange(DOWN, buff=GAP * 2, aligned_edge=LEFT))
        b.play(Create(self.loop_arrow), FadeIn(self.counters))
        b.fill(self.counters[0].count_to(self.fact("loop.steps"), rate_func=linear),
               self.counters[1].count_to(self.fact("loop.unet_calls"), rate_func=linear), leave=Pace.NORMAL)
        b.play(*self.flow.reveal(5))

    @beat
    def latent(self, b):
        """A latent model's smaller world: the latent against the image, to scale, and the decoder."""
        for counter in self.counters:
            counter.number.clear_updaters()
        b.play(FadeOut(self.counters))
        image_values, latent_values = self.fact("sd15.image_values"), self.fact("sd15.latent_values")
        left, right = self.detail.columns(1, 1, gap=GAP * 4)
        side = min(right.width, right.height) * 0.8
        self.image_box = Rectangle(width=side, height=side, color=SEED, fill_opacity=0.15).move_to(right.center)
        small = side * np.sqrt(latent_values / image_values)
        self.latent_box = Rectangle(width=small, height=small, color=STEPS, fill_opacity=0.5).move_to(left.center)
        self.latent_label = text(f"latent: {latent_values:,} numbers", size=Type.CAPTION, color=STEPS)
        self.image_label = text(f"image: {image_values:,} numbers", size=Type.CAPTION, color=SEED)
        self.latent_label.next_to(self.latent_box, DOWN, buff=GAP)
        self.image_label.next_to(self.image_box, DOWN, buff=GAP)
        self.decoder = Arrow(self.latent_box.get_right(), self.image_box.get_left(), color=MUTED)
        decoder_label = text("decoder", size=Type.CAPTION, color=TEXT).next_to(self.decoder, UP, buff=GAP)
        self.decoder_group = VGroup(self.decoder, decoder_label)
        b.play(FadeIn(self.latent_box), FadeIn(self.latent_label))
        b.play(Create(self.image_box), FadeIn(self.image_label))
        b.fill(FadeIn(self.decoder_group, shift=RIGHT * GAP))

    @beat
    def scale(self, b):
        """How much bigger: parameter counts as bars, ours against Stable Diffusion 1.5."""
        b.play(FadeOut(VGroup(self.latent_box, self.latent_label, self.image_box, self.image_label,
                              self.decoder_group)))
        ours, theirs = self.fact("model.parameters_millions"), self.fact("sd15.parameters_millions")
        bars_slot, _ = self.detail.rows(3, 1)
        length = bars_slot.width * 0.6
        rows = VGroup()
        for name, value, colour in ((self.fact("model.name"), ours, PROMPT), (self.fact("sd15.name"), theirs, SEED)):
            bar = Rectangle(width=max(length * value / theirs, 0.05), height=bars_slot.height / 4, stroke_width=0,
                            fill_color=colour, fill_opacity=0.9)
            label = text(name, size=Type.CAPTION, color=colour)
            number = text(f"{value:,} million parameters", size=Type.CAPTION)
            rows.add(VGroup(label, bar, number))
        for row in rows:
            row[1].next_to(row[0], DOWN, buff=GAP / 2).align_to(row[0], LEFT)
            row[2].next_to(row[1], RIGHT, buff=GAP)
        rows.arrange(DOWN, buff=GAP * 2, aligned_edge=LEFT)
        self.bars = bars_slot.place(rows)
        times = text(f"{self.fact('sd15.parameters_times_ours')}\u00d7 bigger, the same parts", size=Type.BODY,
                     color=HIGHLIGHT)
        self.times = self.detail.rows(3, 1)[1].place(times)
        b.play(LaggedStart(*[FadeIn(r[0]) for r in rows], *[GrowFromEdge(r[1], LEFT) for r in rows],
                           *[FadeIn(r[2]) for r in rows], lag_ratio=0.15), pace=Pace.SLOW)
        b.fill(FadeIn(self.times, shift=UP * GAP), leave=Pace.SLOW)


def _shape(shape) -> str:
    return " \u00d7 ".join(str(x) for x in shape[1:])


def _token_row(tokens, ids) -> VGroup:
    return VGroup(*[Chip(t, str(i), color=MUTED if t.startswith("[") else PROMPT) for t, i in zip(tokens, ids)]
                  ).arrange(RIGHT, buff=GAP)


def _unet_blocks(parts, slot) -> VGroup:
    """One bar per block, in order: its height follows the resolution it outputs (64 down to 8 and back up);
    red where the block reads the prompt (cross-attention). The label is the resolution."""
    top_res = max(p["shape"][-1] for p in parts)
    width = slot.width / len(parts)
    bar_room = slot.height - 2 * GAP
    blocks = VGroup()
    for p in parts:
        res = p["shape"][-1]
        colour = GUIDANCE if "CrossAttn" in p["class"] else STEPS
        block = Rectangle(width=width * 0.7, height=max(bar_room * res / top_res, GAP), color=colour,
                          fill_opacity=0.5, stroke_width=2)
        label = text(f"{res}", size=Type.LABEL, color=MUTED).next_to(block, DOWN, buff=GAP / 2)
        blocks.add(VGroup(block, label))
    blocks.arrange(RIGHT, buff=width * 0.3, aligned_edge=DOWN)
    return slot.place(blocks)
