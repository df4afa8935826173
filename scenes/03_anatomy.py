"""Chapter 03 — What are the parts?

Storyboard: prompt -> tokenizer (the real tokens and their ids, a word cut into pieces) -> text encoder
(the grid of token states) -> the denoiser, drawn from its real parts (resolution and width of every block)
-> the denoiser <-> scheduler loop, calls counted -> a latent model's extra decoder and its smaller world
-> how much bigger Stable Diffusion 1.5 is. Every name, shape and count is read from the loaded model
(build/data/03_anatomy), the SD 1.5 numbers from its published configuration built without weights.
"""

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, Circumscribe, CurvedArrow, FadeIn, FadeOut, GrowArrow, GrowFromEdge,
                   Indicate, LaggedStart, Rectangle, Transform, VGroup, linear)

from scenes.beats import ChapterScene, beat
from scenes.pieces import Chip, Flow, LabelledCounter, text
from scenes.style import GAP, GUIDANCE, HIGHLIGHT, MUTED, NUDGE, PROMPT, SEED, STEPS, TEXT, Pace, Slots, Type


class Anatomy(ChapterScene):
    @beat
    def tokens(self, b):
        """The tokenizer: the prompt's real tokens with their ids; a word cut into pieces."""
        self.top, self.detail = Slots.STAGE.rows(1, 3, gap=GAP * 2)
        self.flow = Flow([Chip("prompt", "words"), Chip("tokenizer", f"{self.fact('tokens.count')} tokens"),
                          Chip("text encoder", _shape(self.fact("text.states_shape"))),
                          Chip("denoiser", _shape(self.fact("denoiser.input_shape")), color=STEPS),
                          Chip("scheduler", self.fact("loop.scheduler"), color=STEPS),
                          Chip("picture", _shape(self.fact("denoiser.output_shape")), color=SEED)], self.top)
        rows = self.detail.stack(3)
        self.vocab = rows[0].place(text(f"a vocabulary of {self.fact('tokens.vocab_size'):,} tokens",
                                        size=Type.BODY, color=MUTED))
        self.chips = rows[1].place(_token_row(self.fact("tokens.tokens"), self.fact("tokens.ids")))
        self.pieces = rows[2].place(_token_row(self.fact("word_pieces.tokens"), self.fact("word_pieces.ids")))
        # Each part and each token arrives as the voice names it.
        b.at("tokenizer")
        tokenizer = self.flow.chips[1]
        b.play(FadeIn(VGroup(*_bare(tokenizer)), shift=RIGHT * NUDGE), pace=Pace.QUICK)
        b.at("the prompt")
        b.play(*_arrive(self.flow, 0), GrowArrow(self.flow.arrows[0]), pace=Pace.QUICK)
        b.at("<vocab>")
        b.play(FadeIn(self.vocab, shift=DOWN * NUDGE))
        b.at("<prompt>")  # the prompt's own words, then the markers around them
        b.play(*[FadeIn(c, shift=DOWN * NUDGE) for c in self.chips[1:-1]], pace=Pace.QUICK)
        b.at("<count>")
        b.play(FadeIn(tokenizer.note), pace=Pace.QUICK)
        b.at("marker at the start")
        b.play(FadeIn(self.chips[0], shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("one at the end")
        b.play(FadeIn(self.chips[-1], shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("vocabulary lacks")
        b.play(Indicate(self.vocab, color=TEXT))
        b.at("<melon>")  # the word's pieces one after another, then the markers
        b.fill(LaggedStart(*[FadeIn(c, shift=DOWN * NUDGE) for c in self.pieces[1:-1]], lag_ratio=0.5),
               until="between the markers")
        b.play(FadeIn(self.pieces[0], shift=DOWN * NUDGE), FadeIn(self.pieces[-1], shift=DOWN * NUDGE),
               pace=Pace.QUICK)

    @beat
    def encoder(self, b):
        """The text encoder: every token becomes a row of numbers; the grid is the compass."""
        b.play(FadeOut(self.vocab), FadeOut(self.chips), FadeOut(self.pieces), *_arrive(self.flow, 2, note=False))
        tokens, width = self.fact("text.tokens"), self.fact("text.width")
        grid_slot, label_slot = self.detail.columns(3, 1)
        cell = min(grid_slot.height / tokens, grid_slot.width / (width / 8))
        real = self.fact("tokens.count")
        self.grid = VGroup(*[Rectangle(width=cell * width / 8, height=cell * 0.8, stroke_width=1,
                                       color=PROMPT if r < real else MUTED,
                                       fill_opacity=0.6 if r < real else 0.1) for r in range(tokens)])
        self.grid.arrange(DOWN, buff=cell * 0.2)
        grid_slot.place(self.grid)
        layers, params = (text(f"{self.fact('text.layers')} layers", size=Type.CAPTION, color=MUTED),
                          text(f"{self.fact('text.parameters_millions')} million parameters", size=Type.CAPTION,
                               color=MUTED))
        rows, numbers = text(f"{tokens} tokens", size=Type.BODY), text(f"\u00d7 {width} numbers", size=Type.BODY)
        padding = text(f"{real} real, {tokens - real} padding", size=Type.CAPTION, color=MUTED)
        self.grid_label = label_slot.place(VGroup(layers, params, rows, numbers, padding).arrange(DOWN, buff=GAP))
        b.at("<layers>")
        b.play(FadeIn(layers, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<enc_params>")
        b.play(FadeIn(params, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("every token")  # the real tokens' rows, then the padding, as the voice gets to each
        b.fill(LaggedStart(*[GrowFromEdge(r, LEFT) for r in self.grid[:real]], lag_ratio=0.3), until="<width>")
        b.play(FadeIn(numbers, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("padded")
        b.fill(LaggedStart(*[GrowFromEdge(r, LEFT) for r in self.grid[real:]], lag_ratio=0.1), until="tokens")
        b.play(FadeIn(rows, shift=DOWN * NUDGE), FadeIn(padding, shift=DOWN * NUDGE), pace=Pace.QUICK)
        b.at("<grid>")
        b.play(FadeIn(self.flow.chips[2].note), Indicate(self.grid, color=PROMPT))
        b.at("the compass")
        b.play(Indicate(self.flow.chips[2], color=PROMPT), pace=Pace.SLOW)

    @beat
    def denoiser(self, b):
        """The U-Net drawn from its real parts: height = resolution, width = channels."""
        b.play(FadeOut(self.grid), FadeOut(self.grid_label))
        parts = [p for p in self.fact("anatomy.embedded.denoiser.parts") if p["stage"] in ("in", "down", "middle", "up")]
        body, notes = self.detail.rows(4, 1)
        self.unet = _unet_blocks(parts, body)
        smallest = min(p["shape"][-1] for p in parts)
        squeezing = [blk for p, blk in zip(parts, self.unet) if p["stage"] == "down" and p["shape"][-1] > smallest]
        bottom = [blk for p, blk in zip(parts, self.unet) if p["stage"] in ("down", "middle") and p["shape"][-1] == smallest]
        growing = [blk for p, blk in zip(parts, self.unet) if p["stage"] == "up"]
        reading = [blk for p, blk in zip(parts, self.unet) if "CrossAttn" in p["class"]]
        size = text(f"{self.fact('denoiser.parameters_millions')} million parameters", size=Type.CAPTION, color=MUTED)
        reads = text("reads the prompt (red) at "
                     + " and ".join(f"{r}\u00d7{r}" for r in self.fact("denoiser.attention_resolutions")),
                     size=Type.CAPTION, color=MUTED)
        self.unet_note = notes.place(VGroup(size, reads).arrange(RIGHT, buff=GAP * 4))
        b.at("the denoiser")
        b.play(*_arrive(self.flow, 3), pace=Pace.QUICK)
        b.at("u-net")
        b.play(GrowFromEdge(self.unet[0], DOWN), pace=Pace.QUICK)
        b.at("<unet_params>")
        b.play(FadeIn(size, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("squeezes")  # down the U as it squeezes, the bottom as it says the size, up as it grows back
        b.fill(LaggedStart(*[GrowFromEdge(blk, DOWN) for blk in squeezing], lag_ratio=0.5), until="<eight>")
        b.play(*[GrowFromEdge(blk, DOWN) for blk in bottom], pace=Pace.QUICK)
        b.at("reads the prompt")
        b.play(FadeIn(reads, shift=UP * NUDGE), *[Indicate(blk[0], color=GUIDANCE) for blk in reading])
        b.at("grows it back")
        b.fill(LaggedStart(*[GrowFromEdge(blk, DOWN) for blk in growing], lag_ratio=0.5), until="out comes")
        b.at("the same shape")
        b.play(Indicate(self.unet[0], color=SEED), Indicate(self.unet[-1], color=SEED),
               Indicate(self.flow.chips[3].note, color=SEED))

    @beat
    def loop(self, b):
        """Denoiser and scheduler in a loop; every step asks twice (with and without the prompt)."""
        b.play(FadeOut(self.unet), FadeOut(self.unet_note), *_arrive(self.flow, 4), pace=Pace.QUICK)
        denoiser, scheduler = self.flow.chips[3], self.flow.chips[4]
        self.loop_arrow = CurvedArrow(scheduler.get_bottom(), denoiser.get_bottom(), angle=-1.6, color=GUIDANCE)
        counters = VGroup(LabelledCounter("step", 0, color=STEPS), LabelledCounter("denoiser calls", 0))
        self.counters = self.detail.place(counters.arrange(DOWN, buff=GAP * 2, aligned_edge=LEFT))
        steps, calls = self.counters
        b.at("one step")
        b.play(FadeIn(steps), pace=Pace.QUICK)
        b.at("hands the image back")
        b.play(Create(self.loop_arrow), steps.count_to(1))
        b.at("every step")
        b.play(FadeIn(calls), pace=Pace.QUICK)
        # both counts land together as the voice reads them ("60 calls for 30 steps")
        b.fill(steps.count_to(self.fact("loop.steps"), rate_func=linear),
               calls.count_to(self.fact("loop.unet_calls"), rate_func=linear), until="calls")
        b.at("pixels themselves")
        b.play(Indicate(denoiser.note, color=SEED))
        b.at("the loop ends")
        b.play(Indicate(self.loop_arrow, color=GUIDANCE), pace=Pace.QUICK)
        b.at("the picture")
        b.play(*_arrive(self.flow, 5))

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
        fewer = text(f"{_said(self.fact('sd15.compression'))}\u00d7 fewer", size=Type.CAPTION, color=HIGHLIGHT)
        self.fewer = fewer.next_to(self.decoder, DOWN, buff=GAP)
        b.at("one more part")
        b.play(Circumscribe(self.flow, color=MUTED))
        b.at("their denoiser")
        b.play(Indicate(self.flow.chips[3], color=STEPS))
        b.at("<latent>")
        b.play(FadeIn(self.latent_box), FadeIn(self.latent_label))
        b.at("<image>")
        b.play(Create(self.image_box), FadeIn(self.image_label))
        b.at("<fewer>")
        b.play(FadeIn(self.fewer, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("decoder")
        b.play(GrowArrow(self.decoder), FadeIn(decoder_label, shift=RIGHT * GAP))
        self.decoder_group = VGroup(self.decoder, decoder_label)
        # the latent goes through the decoder and comes out as the picture
        self.decoded = self.latent_box.copy()
        b.at("into the picture")
        b.play(Transform(self.decoded, self.image_box.copy().set_fill(SEED, opacity=0.5)), pace=Pace.SLOW)

    @beat
    def scale(self, b):
        """How much bigger: the denoiser's size, and the whole model's as bars, ours against Stable Diffusion 1.5."""
        b.play(FadeOut(VGroup(self.latent_box, self.latent_label, self.image_box, self.image_label,
                              self.decoder_group, self.fewer, self.decoded)))
        ours, theirs = self.fact("model.parameters_millions"), self.fact("sd15.parameters_millions")
        top, middle, bottom = self.detail.rows(1, 3, 1)
        unet = text(f"{self.fact('sd15.name')} denoiser: {_said(self.fact('sd15.unet_millions'))} million parameters",
                    size=Type.BODY)
        unet_times = text(f"{_said(self.fact('sd15.unet_times_ours'))}\u00d7 ours", size=Type.BODY, color=HIGHLIGHT)
        top.place(VGroup(unet, unet_times).arrange(RIGHT, buff=GAP * 4))
        header = text("the whole model, in million parameters", size=Type.CAPTION, color=MUTED)
        length = middle.width * 0.6
        rows = VGroup()
        for name, value, colour in ((self.fact("model.name"), ours, PROMPT), (self.fact("sd15.name"), theirs, SEED)):
            bar = Rectangle(width=max(length * value / theirs, 0.05), height=middle.height / 6, stroke_width=0,
                            fill_color=colour, fill_opacity=0.9)
            label = text(name, size=Type.CAPTION, color=colour)
            number = text(f"{value:,}", size=Type.CAPTION)
            rows.add(VGroup(label, bar, number))
        for row in rows:
            row[1].next_to(row[0], DOWN, buff=GAP / 2).align_to(row[0], LEFT)
            row[2].next_to(row[1], RIGHT, buff=GAP)
        self.bars = middle.place(VGroup(header, *rows).arrange(DOWN, buff=GAP * 2, aligned_edge=LEFT))
        bigger = text(f"{_said(self.fact('sd15.parameters_times_ours'))}\u00d7 bigger", size=Type.BODY,
                      color=HIGHLIGHT)
        same = text("the parts and the walk are the same", size=Type.BODY)
        self.times = bottom.place(VGroup(bigger, same).arrange(RIGHT, buff=GAP * 4))
        b.at("<unet>")
        b.play(FadeIn(unet, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("<unet_times>")
        b.play(FadeIn(unet_times, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the whole model")
        b.play(FadeIn(header), *[FadeIn(r[0]) for r in rows], *[GrowFromEdge(r[1], LEFT) for r in rows],
               *[FadeIn(r[2]) for r in rows])
        b.at("<times>")
        b.play(FadeIn(bigger, shift=UP * NUDGE), pace=Pace.QUICK)
        b.at("the parts")  # the same parts: each lights up in turn
        b.play(FadeIn(same, shift=UP * NUDGE), pace=Pace.QUICK)
        b.fill(LaggedStart(*[Indicate(chip, color=HIGHLIGHT) for chip in self.flow.chips], lag_ratio=0.5),
               leave=Pace.QUICK)


def _arrive(flow: Flow, i: int, note: bool = True) -> list:
    """Stage i of the flow and the arrow into it; its note (a shape, a count) can come later, when it is said."""
    chip = flow.chips[i]
    shown = VGroup(*_bare(chip), *([chip.note] if note else []))
    return ([GrowArrow(flow.arrows[i - 1])] if i else []) + [FadeIn(shown, shift=RIGHT * NUDGE)]


def _bare(chip: Chip) -> list:
    """A chip's box and name without its note (its ``name`` attribute is Mobject's own once it is built)."""
    return [chip.box, chip[1]]


def _said(value) -> str:
    """A measured figure as the narration reads it (a whole number with separators, else 3 significant digits)."""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:,.3g}"
    return f"{value:,}"


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
