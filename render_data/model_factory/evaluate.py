"""Evaluate the embedded model: python -m render_data.model_factory.evaluate --help  (make eval)

Prompt adherence is measured, not eyeballed: a small CNN trained on the dataset's own labels (subject,
background, position, size, style) reads the images the model generates. What is measured:

- subject top-1 for every subject's plain prompt ("a snail") at a few guidance scales, and the guidance
  gain (default scale against 1);
- every attribute of varied detailed prompts: each prompt draws its subject, size, position, background
  and style at random (so a model that always draws a medium object in the centre scores chance on size
  and position), two seeds each;
- held-out paraphrases: subjects named in words the training captions never use ("a kitten");
- noise leak: the correlation between the starting noise's mean colour and the finished background's,
  across seeds of one prompt (a model that reads the background off the noise scores near 1);
- diversity: mean pairwise distance across seeds, vague ("a snail") against fully detailed prompts;
- binding: "a small apple left of a medium car" against the words swapped: is the first-named object on
  the left (the judge reads each half)?
- sampling speed: denoiser evaluations per second while generating.

Writes eval.json + a contact sheet into the model folder and refreshes its model card. ``mini_eval`` is
the quick check the trainer runs after a chunk (background, position and subject of 96 varied prompts).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from journey_base.files import atomic_write_json

from ..capture import PRECISIONS
from ..judge import LABELS, load_judge
from ..knob_measures import half_images
from ..loading import bf16_is_fast
from ..models import EMBEDDED_DIR, model_folder
from .contact_sheet import contact_sheet, save_png
from .model_card import write_model_card
from .recipe import DEFAULT_SAMPLING

# Subjects named in words no training caption uses (captions.py's vocabulary): the text encoder's sense of
# meaning has to carry them. (prompt, subject the picture should show)
PARAPHRASES = [
    ("a kitten", "cat"), ("a puppy", "dog"), ("an automobile", "car"), ("a slice of pizza", "pizza"),
    ("a bike", "bicycle"), ("a plane", "airplane"), ("a sailboat", "boat"), ("a donut", "doughnut"),
    ("a tortoise", "turtle"), ("a honeybee", "bee"), ("a tulip", "flower"), ("a wrapped present", "gift"),
    ("a spaceship", "rocket"), ("a cottage", "house"), ("a parasol", "umbrella"), ("an orca", "whale"),
    ("a toad", "frog"), ("a lightbulb", "light bulb"),
]
NOISE_LEAK_PROMPTS = ["a medium cartoon snail in the centre on a red background",
                      "a small flat car at the top on a blue background",
                      "a large glossy 3d apple on the left on a white background",
                      "a medium cartoon owl in the bottom right on a green background"]
BINDING_PAIRS = [("apple", "car"), ("cat", "rocket"), ("snail", "house"), ("fish", "tree"),
                 ("banana", "bus"), ("owl", "guitar"), ("star", "boat"), ("frog", "crown")]
BORDER = 4  # pixels: the ring whose mean is "the background colour"


def generate(model, prompts, seeds, guidance, steps, scheduler, precision="fp32", batch=64, timing=None):
    """Final images uint8 [N, H, W, 3]; ``timing`` (a dict) collects evaluations and seconds."""
    from ..capture import capture

    images = []
    for i in tqdm(range(0, len(prompts), batch), desc=f"sample s={guidance}", unit="batch", leave=False):
        started = time.perf_counter()
        traj = capture(model, prompts[i:i + batch], seeds=seeds[i:i + batch], guidance_scales=guidance,
                       num_steps=steps, scheduler=scheduler, capture_every=steps, progress=False,
                       precision=precision)
        if timing is not None:
            timing["evaluations"] = timing.get("evaluations", 0) + traj.settings["unet_evaluations"]
            timing["seconds"] = timing.get("seconds", 0.0) + time.perf_counter() - started
        images.append(traj.final_images())
    return np.concatenate(images)


def mean_pairwise_distance(images: np.ndarray) -> float:
    x = images.reshape(len(images), -1).astype(np.float64) / 255.0
    d = [np.sqrt(np.mean((x[i] - x[j]) ** 2)) for i in range(len(x)) for j in range(i + 1, len(x))]
    return float(np.mean(d))


def varied_specs(n: int, seed: int = 7):
    """n one-object specs with every attribute drawn at random (nominal size, exact slot and colour)."""
    from .specs import BACKGROUND_NAMES, POSITIONS, SIZE_NAMES, STYLES, SUBJECT_NAMES, make_spec

    rng = np.random.default_rng(seed)
    pick = lambda names: [int(i) for i in rng.integers(len(names), size=n)]  # noqa: E731
    return [make_spec(su, st, sz, po, bg) for su, st, sz, po, bg in
            zip(pick(SUBJECT_NAMES), pick(STYLES), pick(SIZE_NAMES), pick(POSITIONS), pick(BACKGROUND_NAMES))]


def attribute_top1(judge, images: np.ndarray, specs, keys=LABELS) -> tuple[dict, dict]:
    """(top-1 per attribute, chance per attribute) of images made from ``specs``."""
    judged = judge.predict(images)
    top1 = {k: float((judged[k].argmax(1) == np.array([getattr(sp, k) for sp in specs])).mean()) for k in keys}
    return top1, {k: 1.0 / judged[k].shape[1] for k in keys}


def border_colour(images: np.ndarray) -> np.ndarray:
    """Mean RGB of each image's outer ring of BORDER pixels, [N, 3] in 0..255."""
    ring = np.ones(images.shape[1:3], bool)
    ring[BORDER:-BORDER, BORDER:-BORDER] = False
    return images[:, ring].astype(np.float64).mean(axis=1)


def noise_leak(model, seeds: int, steps, scheduler, precision) -> dict:
    """Correlation, per colour channel, between the starting noise's mean and the finished border colour,
    across ``seeds`` seeds of each prompt (per-prompt means removed, then pooled)."""
    from ..capture import capture

    noise_means, colours = [], []
    for prompt in NOISE_LEAK_PROMPTS:
        traj = capture(model, [prompt] * seeds, seeds=list(range(500, 500 + seeds)),
                       guidance_scales=DEFAULT_SAMPLING["guidance_scale"], num_steps=steps, scheduler=scheduler,
                       capture_every=steps, progress=False, precision=precision)
        start = traj.x_t[0].mean(axis=(2, 3))  # [B, C]: the mean of each channel of the starting noise
        colour = border_colour(traj.final_images())
        noise_means.append(start - start.mean(0))
        colours.append(colour - colour.mean(0))
    n, c = np.concatenate(noise_means), np.concatenate(colours)
    r = [float(np.corrcoef(n[:, k], c[:, k])[0, 1]) if c[:, k].std() > 1e-9 else 0.0 for k in range(3)]
    return {"per_channel": r, "mean": float(np.mean(r)), "prompts": NOISE_LEAK_PROMPTS, "seeds": seeds}


def binding(model, judge, steps, scheduler, precision, seeds=(0, 1)) -> dict:
    """Share of two-object pictures with the first-named object on the left, as the judge reads each half."""
    from .specs import SUBJECT_NAMES

    prompts, firsts, seconds_, seed_list = [], [], [], []
    for a, b in BINDING_PAIRS:
        for first, second in ((a, b), (b, a)):
            for s in seeds:
                prompts.append(f"a small {first} left of a medium {second}")
                firsts.append(SUBJECT_NAMES.index(first))
                seconds_.append(SUBJECT_NAMES.index(second))
                seed_list.append(s)
    images = generate(model, prompts, seed_list, DEFAULT_SAMPLING["guidance_scale"], steps, scheduler, precision)
    pl, pr = (judge.predict(half_images(images, side))["subject"] for side in ("left", "right"))
    idx = np.arange(len(images))
    first_a, second_a = np.array(firsts), np.array(seconds_)
    # first-named object on the left: it leads on the left by more than it leads on the right
    lead_left = pl[idx, first_a] - pl[idx, second_a]
    lead_right = pr[idx, first_a] - pr[idx, second_a]
    return {"first_named_on_left": float((lead_left > lead_right).mean()), "chance": 0.5,
            "pictures": len(images), "prompt_form": "a small A left of a medium B (and B, A swapped)"}


def mini_eval(folder: Path | str = EMBEDDED_DIR, n_prompts: int = 48, seeds: int = 2, steps: int = 10,
              precision: str | None = None) -> dict:
    """Background, position and subject top-1 of ``n_prompts`` varied detailed prompts x ``seeds``."""
    from ..loading import load_model
    from .captions import caption_for

    precision = precision or ("bf16" if bf16_is_fast() else "fp32")
    model = load_model(Path(folder))
    specs = [sp for sp in varied_specs(n_prompts) for _ in range(seeds)]
    prompts = [caption_for(sp, 3) for sp in specs]
    images = generate(model, prompts, [i % seeds for i in range(len(specs))], DEFAULT_SAMPLING["guidance_scale"],
                      steps, DEFAULT_SAMPLING["scheduler"], precision)
    top1, chance = attribute_top1(load_judge(), images, specs, ("background", "position", "subject"))
    return {"top1": top1, "chance": chance, "images": len(images), "steps": steps}


def evaluate(model_spec="embedded", scales=(1.0, DEFAULT_SAMPLING["guidance_scale"], 7.5), seeds_per_prompt=2,
             steps=20, scheduler=DEFAULT_SAMPLING["scheduler"], precision="fp32", log=print):
    from ..loading import load_model
    from .captions import caption_for
    from .specs import SUBJECT_NAMES, spec_for_subject

    started = time.perf_counter()
    judge = load_judge()
    model = load_model(model_spec)
    default = DEFAULT_SAMPLING["guidance_scale"]
    n_subjects = len(SUBJECT_NAMES)
    timing: dict = {}

    # 1. Each subject's plain prompt, at each guidance scale.
    prompts = [caption_for(spec_for_subject(None, s), 0) for s in range(n_subjects) for _ in range(seeds_per_prompt)]
    truth = np.array([s for s in range(n_subjects) for _ in range(seeds_per_prompt)])
    seeds = [i % seeds_per_prompt for i in range(len(prompts))]
    adherence, samples = {}, {}
    for s in scales:
        images = generate(model, prompts, seeds, s, steps, scheduler, precision, timing=timing)
        adherence[str(s)] = float((judge.predict(images)["subject"].argmax(1) == truth).mean())
        samples[s] = images
        log(f"guidance {s:>4}: subject top-1 {adherence[str(s)]:.1%} over {n_subjects} subject prompts "
            f"x {seeds_per_prompt} seeds")

    # 2. Varied detailed prompts: every attribute drawn at random, two seeds each.
    specs = [sp for sp in varied_specs(n_subjects) for _ in range(seeds_per_prompt)]
    detailed_prompts = [caption_for(sp, 3) for sp in specs]
    detailed_images = generate(model, detailed_prompts, [i % seeds_per_prompt for i in range(len(specs))], default,
                               steps, scheduler, precision, timing=timing)
    attributes, chance = attribute_top1(judge, detailed_images, specs)
    log("varied detailed prompts, attribute top-1: " + ", ".join(f"{k} {v:.0%} (chance {chance[k]:.0%})"
                                                                 for k, v in attributes.items()))

    # 3. Held-out paraphrases.
    para_prompts = [p for p, _ in PARAPHRASES for _ in range(seeds_per_prompt)]
    para_truth = np.array([SUBJECT_NAMES.index(s) for _, s in PARAPHRASES for _ in range(seeds_per_prompt)])
    para_images = generate(model, para_prompts, [i % seeds_per_prompt for i in range(len(para_prompts))], default,
                           steps, scheduler, precision, timing=timing)
    paraphrase = float((judge.predict(para_images)["subject"].argmax(1) == para_truth).mean())
    log(f"held-out paraphrases: subject top-1 {paraphrase:.0%} over {len(PARAPHRASES)} prompts")

    # 4. Noise leak, 5. diversity, 6. binding.
    leak = noise_leak(model, 16, steps, scheduler, precision)
    log(f"noise leak: correlation of the starting noise's mean with the background {leak['mean']:.2f} "
        f"(R, G, B: {', '.join(f'{r:.2f}' for r in leak['per_channel'])})")
    div_subjects = list(range(0, n_subjects, max(1, n_subjects // 8)))[:8]
    vague, detailed = [], []
    for s in div_subjects:
        spec = spec_for_subject(None, s)
        for level, store in ((0, vague), (3, detailed)):
            imgs = generate(model, [caption_for(spec, level)] * 8, list(range(100, 108)), default, steps, scheduler,
                            precision)
            store.append(mean_pairwise_distance(imgs))
    bind = binding(model, judge, steps, scheduler, precision)
    log(f"binding: first-named object on the left in {bind['first_named_on_left']:.0%} of {bind['pictures']} "
        f"pictures (chance 50%)")

    baseline = max(adherence[str(1.0)], 1e-9) if str(1.0) in adherence else None
    result = {
        "model": model.name,
        "subjects": n_subjects,
        "seeds_per_prompt": seeds_per_prompt,
        "prompts_per_scale": len(prompts),
        "sampler": {"scheduler": scheduler, "steps": steps, "default_guidance": default, "precision": precision,
                    "prediction_type": model.prediction_type},
        "judge_accuracy": judge.accuracy,
        "adherence_top1": adherence,
        "guidance_gain": adherence[str(default)] / baseline if baseline else None,
        "detailed_adherence": attributes,
        "detailed_prompts": {"prompts": len(specs) // seeds_per_prompt, "images": len(specs),
                             "varied": ["subject", "style", "size", "position", "background"]},
        "chance": chance,
        "paraphrase_top1": paraphrase,
        "paraphrases": [p for p, _ in PARAPHRASES],
        "noise_leak": leak,
        "diversity": {"vague": float(np.mean(vague)), "detailed": float(np.mean(detailed)),
                      "ratio": float(np.mean(vague) / max(np.mean(detailed), 1e-9))},
        "binding": bind,
        "sampling_evals_per_s": round(timing["evaluations"] / max(timing["seconds"], 1e-9), 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result, samples[default], prompts, detailed_images, detailed_prompts


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.model_factory.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="embedded", help="model spec (default: the embedded model)")
    p.add_argument("--seeds", type=int, default=2, help="seeds per prompt (default %(default)s)")
    p.add_argument("--steps", type=int, default=20, help="sampling steps (default %(default)s)")
    p.add_argument("--precision", choices=PRECISIONS, default="bf16" if bf16_is_fast() else "fp32",
                   help="UNet precision while sampling (default: bf16 where this CPU runs it fast, else fp32)")
    p.add_argument("--out", type=Path, default=None,
                   help="where eval.json and samples.png go (default: the evaluated model's own folder)")
    p.add_argument("--mini", action="store_true", help="only the quick check the trainer runs (printed, not saved)")
    args = p.parse_args(argv)
    args.out = args.out or model_folder(args.model)  # a model's figures go beside its own weights
    if args.mini:
        print(json.dumps(mini_eval(args.model if args.model != "embedded" else EMBEDDED_DIR,
                                   precision=args.precision), indent=2))
        return
    result, images, prompts, detailed_images, detailed_prompts = evaluate(
        args.model, seeds_per_prompt=args.seeds, steps=args.steps, precision=args.precision)
    atomic_write_json(args.out / "eval.json", result)
    sheet = np.concatenate([images[::args.seeds][:32], detailed_images[::args.seeds][:32]])
    captions = prompts[::args.seeds][:32] + detailed_prompts[::args.seeds][:32]
    save_png(contact_sheet(sheet, captions, cols=8), args.out / "samples.png")
    print(json.dumps(result, indent=2))
    write_model_card(args.out)
    print(f"wrote {args.out / 'eval.json'}, {args.out / 'samples.png'} and the model card")


if __name__ == "__main__":
    main()
