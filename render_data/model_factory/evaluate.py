"""Evaluate the embedded model: python -m render_data.model_factory.evaluate --help  (make eval)

Prompt adherence is measured, not eyeballed: a small CNN trained on the dataset's own labels (subject,
background, position, size, style) scores images the model generates for every subject prompt at a few
guidance scales. Diversity: mean pairwise distance across seeds for vague ("a snail") vs fully detailed
prompts. Writes eval.json + a contact sheet into the model folder and refreshes its model card.
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
from ..loading import bf16_is_fast
from .contact_sheet import contact_sheet, save_png
from .model_card import write_model_card
from ..models import EMBEDDED_DIR
from .recipe import DEFAULT_SAMPLING

def generate(model, prompts, seeds, guidance, steps, scheduler, precision="fp32", batch=64) -> np.ndarray:
    from ..capture import capture

    images = []
    for i in tqdm(range(0, len(prompts), batch), desc=f"sample s={guidance}", unit="batch"):
        traj = capture(model, prompts[i:i + batch], seeds=seeds[i:i + batch], guidance_scales=guidance,
                       num_steps=steps, scheduler=scheduler, capture_every=steps, progress=False,
                       precision=precision)
        images.append(traj.final_images())
    return np.concatenate(images)


def mean_pairwise_distance(images: np.ndarray) -> float:
    x = images.reshape(len(images), -1).astype(np.float64) / 255.0
    d = [np.sqrt(np.mean((x[i] - x[j]) ** 2)) for i in range(len(x)) for j in range(i + 1, len(x))]
    return float(np.mean(d))


def evaluate(model_spec="embedded", scales=(0.0, 1.0, DEFAULT_SAMPLING["guidance_scale"], 7.5), seeds_per_prompt=1,
             steps=DEFAULT_SAMPLING["steps"], scheduler=DEFAULT_SAMPLING["scheduler"],
             precision="fp32", log=print):
    from ..loading import load_model
    from .captions import caption_for
    from .specs import spec_for_subject, subject_names

    started = time.perf_counter()
    sprites = None  # the subject table is enough: the judge's weights are committed, no sprites needed
    judge = load_judge()
    model = load_model(model_spec)
    subjects = subject_names(sprites)
    prompts = [caption_for(spec_for_subject(sprites, s), 0) for s in range(len(subjects)) for _ in range(seeds_per_prompt)]
    truth = np.array([s for s in range(len(subjects)) for _ in range(seeds_per_prompt)])
    seeds = list(range(len(prompts)))
    adherence, samples = {}, {}
    for s in scales:
        images = generate(model, prompts, seeds, s, steps, scheduler, precision)
        pred = judge.predict(images)["subject"].argmax(1)
        adherence[str(s)] = float((pred == truth).mean())
        samples[s] = images
        log(f"guidance {s:>4}: subject top-1 {adherence[str(s)]:.1%} over {len(subjects)} subject prompts")

    default = DEFAULT_SAMPLING["guidance_scale"]
    baseline = max(adherence[str(1.0)], 1e-9) if str(1.0) in adherence else None
    # Detailed prompts: does every attribute the caption names show up (subject, style, size, position,
    # background), as the judge reads it? Chance level differs per attribute: stored beside.
    specs = [spec_for_subject(sprites, s) for s in range(len(subjects))]
    images = generate(model, [caption_for(spec, 3) for spec in specs], list(range(len(specs))), default, steps,
                      scheduler, precision)
    judged = judge.predict(images)
    attributes = {k: float((judged[k].argmax(1) == np.array([getattr(sp, k) for sp in specs])).mean())
                  for k in LABELS}
    chance = {k: 1.0 / v.shape[1] for k, v in judged.items()}
    log("detailed prompts, attribute top-1: " + ", ".join(f"{k} {v:.0%} (chance {chance[k]:.0%})"
                                                         for k, v in attributes.items()))
    # Diversity: the same subjects, vague vs fully detailed, 8 seeds each.
    div_subjects = list(range(0, len(subjects), max(1, len(subjects) // 8)))[:8]
    vague, detailed = [], []
    for s in div_subjects:
        spec = spec_for_subject(sprites, s)
        for level, store in ((0, vague), (3, detailed)):
            imgs = generate(model, [caption_for(spec, level)] * 8, list(range(100, 108)), default, steps, scheduler,
                            precision)
            store.append(mean_pairwise_distance(imgs))
    result = {
        "model": model.name,
        "subjects": len(subjects),
        "prompts_per_scale": len(prompts),
        "sampler": {"scheduler": scheduler, "steps": steps, "default_guidance": default, "precision": precision},
        "judge_accuracy": judge.accuracy,
        "adherence_top1": adherence,
        "guidance_gain": adherence[str(default)] / baseline if baseline else None,
        "detailed_adherence": attributes,
        "chance": chance,
        "diversity": {"vague": float(np.mean(vague)), "detailed": float(np.mean(detailed)),
                      "ratio": float(np.mean(vague) / max(np.mean(detailed), 1e-9))},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result, samples[default], prompts


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.model_factory.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="embedded", help="model spec (default: the embedded model)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per subject prompt (default %(default)s)")
    p.add_argument("--steps", type=int, default=20, help="sampling steps (default %(default)s)")
    p.add_argument("--precision", choices=PRECISIONS, default="bf16" if bf16_is_fast() else "fp32",
                   help="UNet precision while sampling (default: bf16 where this CPU runs it fast, else fp32)")
    p.add_argument("--out", type=Path, default=EMBEDDED_DIR, help="where eval.json and samples.png go")
    args = p.parse_args(argv)
    result, images, prompts = evaluate(args.model, seeds_per_prompt=args.seeds, steps=args.steps,
                                       precision=args.precision)
    atomic_write_json(args.out / "eval.json", result)
    save_png(contact_sheet(images[:64], prompts[:64], cols=8), args.out / "samples.png")
    print(json.dumps(result, indent=2))
    write_model_card(args.out)
    print(f"wrote {args.out / 'eval.json'}, {args.out / 'samples.png'} and the model card")


if __name__ == "__main__":
    main()
