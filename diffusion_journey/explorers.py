"""The course page's explorers: one slider over a knob of a real run, read from the chapter's artifacts.

Nothing is recomputed: each explorer picks, for every value of its knob, the images the data stage saved
(a row of tiles) and the figure it measured there (from facts.json and the saved per-value arrays). The page
draws the tiles of the slider's value from one sprite sheet (a PNG, a row per value, a tile per column).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from render_data.artifacts import ChapterData


@dataclass
class Explorer:
    id: str  # unique on the site (an HTML id), e.g. "guidance"
    chapter: str
    title: str
    label: str  # the slider's accessible name
    shows: str  # one line: what it shows (the page and the README say it)
    values: list[str]  # the knob's values, as the slider announces them
    frames: np.ndarray  # uint8 [values, tiles, h, w, 3]: the images shown at each value
    captions: list[str]  # per tile (the same for every value)
    figures: list[str]  # per value: the measured figure shown beside the images
    start: int = 0  # the value shown first

    def __post_init__(self):
        v, k = self.frames.shape[:2]
        if self.frames.dtype != np.uint8 or self.frames.ndim != 5 or self.frames.shape[-1] != 3:
            raise ValueError(f"explorer {self.id}: frames must be uint8 [values, tiles, h, w, 3]")
        if not (len(self.values) == len(self.figures) == v and len(self.captions) == k):
            raise ValueError(f"explorer {self.id}: {v} values, {k} tiles but {len(self.values)} labels, "
                             f"{len(self.figures)} figures, {len(self.captions)} captions")

    def sprite_sheet(self) -> bytes:
        """All frames in one lossless PNG: value i is row i, tile j column j (the page cuts tiles out)."""
        v, k, h, w, _ = self.frames.shape
        sheet = self.frames.transpose(0, 2, 1, 3, 4).reshape(v * h, k * w, 3)
        buf = io.BytesIO()
        Image.fromarray(sheet).save(buf, format="PNG", optimize=True)
        return buf.getvalue()

    def spec(self, sheet_url: str) -> dict:
        """What the page's script needs (JSON)."""
        _, _, h, w, _ = self.frames.shape
        return {"id": self.id, "sheet": sheet_url, "tile": [w, h], "values": self.values,
                "figures": self.figures, "start": self.start}


def _listed(items) -> str:
    """'0, 5, 10 and 15'"""
    words = [str(i) for i in items]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _pct(x: float) -> str:
    return f"{100 * float(x):.1f}%"


def walk(data: ChapterData) -> list[Explorer]:
    """02: the walk step by step, the noisy x_t beside the model's guess x̂0 of the finished image."""
    xt, x0, error = data.array("xt_frames"), data.array("x0_frames"), data.array("x0_error")
    run = data.facts["run"]
    steps = len(xt)
    return [Explorer(
        id="walk", chapter="02_noise_to_image", title="The walk, step by step",
        label=f"Step of the walk, 1 to {steps}",
        shows=f"x_t beside x̂0 at each of the {steps} steps of one run (“{run['prompt']}”, seed {run['seed']}), "
              "with the guess's measured error against the final image",
        values=[f"step {i + 1} of {steps}" for i in range(steps)],
        frames=np.stack([xt, x0], axis=1),
        captions=["x_t: what the model is given", "x̂0: its guess of the end"],
        figures=[f"Step {i + 1} of {steps}: the guess is off the final image by {e:.0f} of 255 levels "
                 "per colour value" for i, e in enumerate(error)])]


def seeds(data: ChapterData) -> list[Explorer]:
    """06: one prompt, every seed: where the walk starts and where it ends."""
    xt, ends, seed_ids = data.array("xt_frames"), data.array("endpoints"), data.array("seeds")
    prob, is_subject = data.array("subject_prob"), data.array("is_subject")
    facts = data.facts
    subject = facts["run"]["prompt"]
    spread = facts["spread"]
    return [Explorer(
        id="seeds", chapter="06_starting_point", title="The seed picks the start",
        label=f"Seed, {int(seed_ids[0])} to {int(seed_ids[-1])}",
        shows=f"the start (pure noise) and the end of “{subject}” for each of {len(seed_ids)} seeds, with the "
              "label judge's reading of the end",
        values=[f"seed {int(s)}" for s in seed_ids],
        frames=np.stack([xt[:, 0], ends], axis=1),
        captions=["the start: noise from this seed", "where the walk ends"],
        figures=[f"Seed {int(s)}: the judge reads the prompted subject with p = {p:.2f} "
                 f"({'its top reading' if hit else 'not its top reading'}); all {len(seed_ids)} ends differ by "
                 f"{spread['end_pct']}% of the colour range on average, the starts by {spread['start_pct']}%"
                 for s, p, hit in zip(seed_ids, prob, is_subject)])]


def steps(data: ChapterData) -> list[Explorer]:
    """07: one seed in 1 ... 50 steps, beside the long reference walk."""
    images, reference = data.array("images"), data.array("reference")
    counts, distance = data.array("step_counts"), data.array("distance")
    ref_steps = data.facts["run"]["reference_steps"]
    return [Explorer(
        id="steps", chapter="07_dividing_the_path", title="How many steps?",
        label=f"Number of steps, {int(counts[0])} to {int(counts[-1])}",
        shows=f"the same seed walked in {_listed(int(c) for c in counts)} steps beside a "
              f"{ref_steps}-step reference, with the measured distance to it",
        values=[f"{int(c)} step{'s' if c != 1 else ''}" for c in counts],
        frames=np.stack([images, np.broadcast_to(reference, images.shape)], axis=1),
        captions=["this many steps", f"{ref_steps} steps (the reference)"],
        figures=[f"{int(c)} step{'s' if c != 1 else ''}: {_pct(d)} of the colour range (RMS) away from the "
                 f"{ref_steps}-step walk" for c, d in zip(counts, distance)],
        start=len(counts) // 2)]


def words(data: ChapterData) -> list[Explorer]:
    """08: the detailed prompt grown word by word, one seed."""
    images, change, prob = data.array("grow_images"), data.array("grow_change"), data.array("grow_subject_prob")
    grow = data.facts["grow"]
    prefixes = grow["prefixes"]
    figures = []
    for i, prefix in enumerate(prefixes):
        moved = "the first word" if i == 0 else f"the word “{prefix.split()[-1]}” changed the image by {_pct(change[i - 1])}"
        figures.append(f"“{prefix}”: {moved}; the judge reads the subject with p = {prob[i]:.2f}")
    return [Explorer(
        id="words", chapter="08_weight_of_words", title="The prompt, word by word",
        label=f"Words of the prompt, 1 to {len(prefixes)}",
        shows=f"“{grow['prompt']}” grown one word at a time (seed {grow['seed']}), with how much each word "
              "changed the image and the judge's reading of the subject",
        values=prefixes, frames=images[:, None], captions=["the image for these words"], figures=figures,
        start=len(prefixes) - 1)]


def between(data: ChapterData) -> list[Explorer]:
    """09: the path between two prompts' conditionings, one noise."""
    images, t, pa, pb = data.array("images"), data.array("t"), data.array("prob_a"), data.array("prob_b")
    facts = data.facts
    a, b = facts["run"]["prompt_a"], facts["run"]["prompt_b"]
    nearest = facts["map"]["nearest_prompt_per_point"]
    return [Explorer(
        id="between", chapter="09_between_words", title="Between two prompts",
        label=f"Position between “{a}” (0) and “{b}” (1)",
        shows=f"{len(t)} points on the path from “{a}” to “{b}” (same noise), the judge's reading of both "
              "subjects and the nearest prompt on the map",
        values=[f"t = {x:.2f}" for x in t], frames=images[:, None], captions=["the image at this point"],
        figures=[f"t = {x:.2f}: the judge reads “{a}” with p = {p:.2f} and “{b}” with p = {q:.2f}; "
                 f"nearest prompt on the map: “{n}”" for x, p, q, n in zip(t, pa, pb, nearest)],
        start=len(t) // 2)]


def guidance(data: ChapterData) -> list[Explorer]:
    """10: guidance s = 0 ... 15, every seed, with adherence and colour measured per s."""
    images, scales = data.array("images"), data.array("scales")
    prob, top1 = data.array("adherence_prob"), data.array("adherence_top1")
    sat, contrast, clipped = data.array("saturation"), data.array("contrast"), data.array("clipped")
    run = data.facts["run"]
    n_seeds = images.shape[1]
    default = list(scales).index(run["default_scale"]) if run["default_scale"] in scales else 0
    return [Explorer(
        id="guidance", chapter="10_pull_of_the_prompt", title="The pull of the prompt",
        label=f"Guidance scale s, {scales[0]:g} to {scales[-1]:g}",
        shows=f"“{run['prompt']}” at guidance s = {scales[0]:g} … {scales[-1]:g} for {n_seeds} seeds, with the "
              "judge's adherence and the colour (saturation, contrast, burnt-out values) measured at each s",
        values=[f"s = {s:g}" for s in scales], frames=images,
        captions=[f"seed {i}" for i in range(n_seeds)],
        figures=[f"s = {s:g}: adherence p = {p:.2f}, top-1 {100 * q:.0f}% of seeds; saturation {a:.2f}, "
                 f"contrast {c:.2f}, burnt-out values {_pct(k)}"
                 for s, p, q, a, c, k in zip(scales, prob, top1, sat, contrast, clipped)],
        start=default)]


def branching(data: ChapterData) -> list[Explorer]:
    """11: branches off one stochastic walk: where each leaves, and where its new seeds end."""
    grid, leaves = data.array("grid"), data.array("branch_xt_frames")
    facts = data.facts
    run, spread = facts["run"], facts["spread"]
    points, branches = grid.shape[:2]
    return [Explorer(
        id="branching", chapter="11_paths_not_taken", title="Paths not taken",
        label=f"Step where the branches leave the walk, {run['branch_steps'][0]} to {run['branch_steps'][-1]}",
        shows=f"{branches} branches with new seeds leaving one walk after {_listed(run['branch_steps'])} of its "
              f"{run['steps']} steps, "
              "and how far apart their endpoints are",
        values=[f"after {k} of {run['steps']} steps" for k in run["branch_steps"]],
        frames=np.concatenate([leaves[:, None], grid], axis=1),
        captions=["where they leave the walk"] + [f"branch {j + 1}" for j in range(branches)],
        figures=[f"Branching after {k} of {run['steps']} steps ({sig}% signal): the endpoints differ by "
                 f"{lv} levels (RMS), {pc}% of the spread of branches from the start"
                 for k, sig, lv, pc in zip(run["branch_steps"], spread["signal_percent"], spread["levels"],
                                            spread["percent_of_first"])])]


# chapter id -> what builds its explorers from its data
EXPLORERS = {
    "02_noise_to_image": walk,
    "06_starting_point": seeds,
    "07_dividing_the_path": steps,
    "08_weight_of_words": words,
    "09_between_words": between,
    "10_pull_of_the_prompt": guidance,
    "11_paths_not_taken": branching,
}


def explorers_for(chapter_id: str) -> list[Explorer]:
    """The chapter's explorers from its artifacts in build/data (none for a chapter without any)."""
    build = EXPLORERS.get(chapter_id)
    return build(ChapterData.load(chapter_id)) if build else []
