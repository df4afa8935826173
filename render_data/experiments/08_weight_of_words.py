"""Chapter 08 data: what the words of a prompt do. Detail vs spread, a prompt grown word by word, word order.

Claims it backs (each a measured figure, true or not for the model in use):
  (a) more detail narrows what the model draws: the spread (mean pairwise RMSE) of 12 seeds at each of the
      dataset's four caption levels, and the ratio vague / detailed (``detail.spread_ratio``); the label
      judge's reading of each attribute the prompt names;
  (b) which word of the detailed prompt changes the picture most, one image per prefix at a fixed seed;
  (c) word order and binding: "a small apple left of a medium car" vs the same words reordered, read by the
      label judge on each half of the image (which object is on the left, which is the smaller).
      Sizes are small and medium: the dataset's two-object captions use only those (DATASET.md); colour
      words name backgrounds only, so binding is tested on relations and sizes.
"""

import numpy as np

from render_data.judge import load_judge
from render_data.knob_measures import half_images, image_spread, rmse
from render_data.sweep import Run, load_sweep_model, sweep

CONFIG = {
    "model": "embedded",
    "steps": 20,
    "guidance_scale": 4.0,
    "sampler": "ddim_from_noise",
    # (a) one subject at the dataset's caption levels 0-3 (render_data.dataset.caption_for) and what each names
    "subject": "snail",
    "levels": [
        {"prompt": "a snail", "names": {"subject": "snail"}},
        {"prompt": "a snail on a purple background", "names": {"subject": "snail", "background": "purple"}},
        {"prompt": "a small snail in the top left on a purple background",
         "names": {"subject": "snail", "background": "purple", "size": "small", "position": "top left"}},
        {"prompt": "a small glossy 3d snail in the top left on a purple background",
         "names": {"subject": "snail", "background": "purple", "size": "small", "position": "top left",
                   "style": "glossy 3d"}},
    ],
    "level_seeds": list(range(12)),
    # (b) the detailed prompt grown word by word
    "grow_seed": 0,
    # (c) binding: which subject is on the left and which is the smaller, as each prompt says
    "binding": [
        {"prompt": "a small apple left of a medium car", "left": "apple", "smaller": "apple"},
        {"prompt": "a medium car left of a small apple", "left": "car", "smaller": "apple"},
        {"prompt": "a small car left of a medium apple", "left": "car", "smaller": "car"},
        # the first prompt's words, shuffled
        {"prompt": "car left small a of apple medium a", "left": None, "smaller": None},
    ],
    "binding_subjects": ["apple", "car"],
    "binding_seeds": list(range(8)),
}
USES_MODEL = True
SIZE_ORDER = {"small": 0, "medium": 1, "large": 2}


def tiny_config() -> dict:
    return dict(CONFIG, steps=3, level_seeds=[0, 1], binding_seeds=[0, 1])


def binding_reads(judge, images: np.ndarray, subjects: list[str]) -> dict[str, np.ndarray]:
    """Per image: which of the two named subjects the judge puts on the left, which it reads as smaller.

    Each half is judged on its own (the other half painted in the background colour). The subject decision
    is between the two named subjects only (chance 50%): subject a is on the left when
    p_left(a) + p_right(b) > p_left(b) + p_right(a). Size: the expected size class (small 0, medium 1,
    large 2) of the half holding a vs the other half. ``both`` says whether the judge's top subject differs
    between the halves and both are among the named ones (two objects drawn, one each side)."""
    a, b = (judge.classes["subject"].index(s) for s in subjects)
    size_value = np.array([SIZE_ORDER[s] for s in judge.classes["size"]], np.float64)
    left, right = judge.predict(half_images(images, "left")), judge.predict(half_images(images, "right"))
    a_left = left["subject"][:, a] + right["subject"][:, b] > left["subject"][:, b] + right["subject"][:, a]
    size_l, size_r = left["size"] @ size_value, right["size"] @ size_value
    a_smaller = np.where(a_left, size_l < size_r, size_r < size_l)
    top_l, top_r = left["subject"].argmax(1), right["subject"].argmax(1)
    both = (top_l != top_r) & np.isin(top_l, [a, b]) & np.isin(top_r, [a, b])
    return {"a_left": a_left, "a_smaller": a_smaller, "both": both}


def prefixes(prompt: str) -> list[str]:
    words = prompt.split()
    return [" ".join(words[:i + 1]) for i in range(len(words))]


def runs(config, model) -> list[Run]:
    """(a) every level x seed, (b) every prefix of the detailed prompt, (c) every binding prompt x seed."""
    kw = dict(steps=config["steps"], guidance=config["guidance_scale"], sampler=config["sampler"])
    return ([Run(lv["prompt"], seed=s, **kw) for lv in config["levels"] for s in config["level_seeds"]]
            + [Run(p, seed=config["grow_seed"], **kw) for p in prefixes(config["levels"][-1]["prompt"])]
            + [Run(b["prompt"], seed=s, **kw) for b in config["binding"] for s in config["binding_seeds"]])


def run(out, config, model_info):
    model = load_sweep_model(config["model"])
    levels = config["levels"]
    detailed = levels[-1]["prompt"]
    words, grown = detailed.split(), prefixes(detailed)
    images = np.stack([r.image for r in sweep(model, runs(config, model))])
    n_lv, n_grow = len(levels) * len(config["level_seeds"]), len(grown)
    level_images = images[:n_lv].reshape(len(levels), n_lv // len(levels), *images.shape[1:])
    grow_images, bind_images = images[n_lv:n_lv + n_grow], images[n_lv + n_grow:]
    judge = load_judge()

    # (a) spread and adherence per level of detail
    spreads = np.array([image_spread(g) for g in level_images])
    out.array("level_grids", level_images)  # [L, seeds, 64, 64, 3]
    out.array("level_spread", spreads.astype(np.float32))
    reads = {k: p.argmax(1) for k, p in judge.predict(level_images.reshape(-1, *images.shape[1:])).items()}
    adherence = {}
    for attr in ("subject", "background", "size", "position", "style"):
        per_level = []
        for i, lv in enumerate(levels):
            named = lv["names"].get(attr)
            hit = reads[attr].reshape(len(levels), -1)[i] == judge.classes[attr].index(named) if named else None
            per_level.append(None if hit is None else round(float(hit.mean()), 3))
        adherence[attr] = per_level
    out.fact("run", vague=levels[0]["prompt"], detailed=detailed, steps=config["steps"],
             guidance=config["guidance_scale"], sampler=config["sampler"])
    out.fact("detail", levels=len(levels), seeds=len(config["level_seeds"]),
             prompts=[lv["prompt"] for lv in levels],
             spread=[round(float(s), 4) for s in spreads],
             spread_vague=round(float(spreads[0]), 4), spread_detailed=round(float(spreads[-1]), 4),
             spread_ratio=round(float(spreads[0] / max(spreads[-1], 1e-12)), 2),
             spread_shrink_pct=round(float(100 * (1 - spreads[-1] / max(spreads[0], 1e-12))), 1),
             spread_shrinks_every_level=bool(np.all(np.diff(spreads) < 0)))
    # What the most detailed prompt asked for and got, per attribute, against guessing among the judge's classes.
    obeyed = {}
    for attr, named in levels[-1]["names"].items():
        hit, chance = adherence[attr][-1], 1 / len(judge.classes[attr])
        obeyed.update({f"{attr}_pct": round(100 * hit), f"{attr}_chance_pct": round(100 * chance),
                       f"{attr}_ratio": round(hit / chance, 2), f"{attr}_word": named})
    out.fact("obeyed", attributes=list(levels[-1]["names"]), **obeyed)
    out.fact("adherence", **adherence, detailed_subject=adherence["subject"][-1],
             detailed_background=adherence["background"][-1], detailed_position=adherence["position"][-1])

    # (b) the prompt grown word by word
    change = np.array([rmse(a, b) for a, b in zip(grow_images[:-1], grow_images[1:])])
    subject = judge.classes["subject"].index(config["subject"])
    subject_prob = judge.predict(grow_images)["subject"][:, subject]
    biggest = int(change.argmax()) + 1  # the prefix whose last word changed the image most
    out.array("grow_images", grow_images)  # [W, 64, 64, 3]: prefix i is the first i+1 words
    out.array("grow_change", change.astype(np.float32))  # [W-1]: RMSE from prefix i to prefix i+1
    out.array("grow_subject_prob", subject_prob.astype(np.float32))
    out.fact("grow", prompt=detailed, seed=config["grow_seed"], words=len(words), prefixes=grown,
             biggest_change_word=words[biggest], biggest_change_prefix=grown[biggest],
             biggest_change=round(float(change.max()), 4), smallest_change=round(float(change.min()), 4),
             biggest_change_pct=round(100 * float(change.max()), 1),
             smallest_change_pct=round(100 * float(change.min()), 1),
             smallest_change_word=words[int(change.argmin()) + 1], biggest_change_index=biggest,
             subject_word_index=words.index(config["subject"]),
             subject_prob_before_subject=round(float(subject_prob[words.index(config["subject"]) - 1]), 3),
             subject_prob_at_subject=round(float(subject_prob[words.index(config["subject"])]), 3),
             most_subject_like_prefix=grown[int(subject_prob.argmax())])

    # (c) word order and binding
    n_seeds = len(config["binding_seeds"])
    out.array("binding_images", bind_images.reshape(len(config["binding"]), n_seeds, *images.shape[1:]))
    apple, car = config["binding_subjects"]
    read = binding_reads(judge, bind_images, [apple, car])
    rows, correct, placed, sized = [], [], [], []
    for i, b in enumerate(config["binding"]):
        part = slice(i * n_seeds, (i + 1) * n_seeds)
        a_left, a_smaller = read["a_left"][part], read["a_smaller"][part]
        row = {"prompt": b["prompt"], f"{apple}_left": round(float(a_left.mean()), 3),
               f"{apple}_smaller": round(float(a_smaller.mean()), 3),
               "judge_reads_both": round(float(read["both"][part].mean()), 3)}
        if b["left"] is not None:
            place_ok = a_left == (b["left"] == apple)
            size_ok = a_smaller == (b["smaller"] == apple)
            row.update(placement=round(float(place_ok.mean()), 3), size=round(float(size_ok.mean()), 3),
                       both_right=round(float((place_ok & size_ok).mean()), 3))
            placed.append(place_ok)
            sized.append(size_ok)
            correct.append(place_ok & size_ok)
        rows.append(row)
    # How much reordering the words changes a picture (same seed, other prompt) against a new seed (same prompt).
    grid = bind_images.reshape(len(config["binding"]), n_seeds, *images.shape[1:])
    order_change = np.mean([rmse(grid[0, k], grid[i, k]) for i in range(1, len(grid)) for k in range(n_seeds)])
    seed_change = image_spread(grid[0])
    out.fact("binding", prompts=rows, seeds=n_seeds,
             order_change_pct=round(100 * float(order_change), 1), seed_change_pct=round(100 * float(seed_change), 1),
             order_to_seed_ratio=round(float(order_change / max(seed_change, 1e-12)), 2), binding_pct=round(100 * float(np.concatenate(correct).mean())),
             binding_chance_pct=25,  # placement and size both right by guessing: 1/2 x 1/2
             placement_accuracy=round(float(np.concatenate(placed).mean()), 3), placement_chance=0.5,
             size_accuracy=round(float(np.concatenate(sized).mean()), 3), size_chance=0.5,
             binding_accuracy=round(float(np.concatenate(correct).mean()), 3), binding_chance=0.25,
             # word order moves the objects when apple-left differs between "apple left of car" and "car left of apple"
             order_effect=round(rows[0][f"{apple}_left"] - rows[1][f"{apple}_left"], 3),
             # sizes follow their nouns when apple-smaller differs between "a medium car left of a small apple"
             # and "a small car left of a medium apple"
             size_binding_effect=round(rows[1][f"{apple}_smaller"] - rows[2][f"{apple}_smaller"], 3),
             judge_reads_both=round(float(read["both"].mean()), 3))
