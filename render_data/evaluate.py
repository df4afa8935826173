"""Evaluate the embedded model: python -m render_data.evaluate --help  (make eval)

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
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from journey_base.paths import BUILD
from journey_base.files import atomic_write_json

from .capture import PRECISIONS
from .embedded_model import DEFAULT_SAMPLING, EMBEDDED_DIR
from .loading import bf16_is_fast
from .model_card import write_model_card

LABELS = ("subject", "background", "position", "size", "style")


class LabelClassifier(nn.Module):
    """Small CNN with one head per dataset label: the judge of prompt adherence."""

    def __init__(self, n_classes: dict[str, int]):
        super().__init__()
        chans = [3, 32, 64, 128, 192]
        layers = []
        for a, b in zip(chans, chans[1:]):
            # every stage halves the resolution (64 -> 4): cheap on a CPU, and 2 px precision is plenty here
            layers += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.GroupNorm(8, b), nn.SiLU(),
                       nn.Conv2d(b, b, 3, padding=1), nn.GroupNorm(8, b), nn.SiLU()]
        self.features = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({k: nn.Linear(chans[-1], n) for k, n in n_classes.items()})

    def forward(self, x):
        f = self.features(x).mean(dim=(2, 3))
        return {k: head(f) for k, head in self.heads.items()}


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Noise and blur so the judge reads imperfect generated images the way a person would."""
    noise = torch.rand(x.shape[0], 1, 1, 1, generator=gen) * 0.15
    x = x + noise * torch.randn(x.shape, generator=gen)
    blur = torch.rand(x.shape[0], generator=gen) < 0.3
    if blur.any():
        x[blur] = F.avg_pool2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return x.clamp(-1, 1)


def load_or_train_judge(sprites, steps: int, log=print):
    """The judge is cached in build/eval (it depends only on the dataset and its own recipe)."""
    import hashlib
    import inspect

    from .dataset import DATASET_VERSION

    key = hashlib.sha256(f"{DATASET_VERSION} {steps} {inspect.getsource(LabelClassifier)} "
                         f"{inspect.getsource(train_classifier)} {inspect.getsource(_augment)}".encode()).hexdigest()[:16]
    path = BUILD / "eval" / f"judge-{key}.pt"
    if path.exists():
        state = torch.load(path, map_location="cpu", weights_only=False)
        model = LabelClassifier(state["n_classes"])
        model.load_state_dict(state["weights"])
        log("judge held-out accuracy (cached): " + ", ".join(f"{k} {v:.1%}" for k, v in state["accuracy"].items()))
        return model.eval(), state["accuracy"]
    model, acc = train_classifier(sprites, steps=steps, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"weights": model.state_dict(), "accuracy": acc, "n_classes": {k: h.out_features for k, h in
                                                                              model.heads.items()}}, path)
    return model, acc


def train_classifier(sprites, steps: int = 1000, batch: int = 64, seed: int = 0, log=print):
    from .dataset import make_batch, n_classes, sample_specs

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = LabelClassifier(n_classes(sprites))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for step in tqdm(range(steps), desc="judge", unit="step"):
        specs = sample_specs(batch, seed=10_000_000 + seed * 100_000 + step, two_object_fraction=0.0)
        images, _, labels = make_batch(sprites, specs)
        out = model(_augment(_to_tensor(images), gen))
        loss = sum(F.cross_entropy(out[k], torch.from_numpy(labels[k]).long()) for k in LABELS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    # held-out accuracy on fresh seeds: how far the judge itself can be trusted
    specs = sample_specs(512, seed=99_999_999, two_object_fraction=0.0)
    images, _, labels = make_batch(sprites, specs)
    acc = {k: float((v.argmax(1).numpy() == labels[k]).mean()) for k, v in predict(model, images).items()}
    log("judge held-out accuracy: " + ", ".join(f"{k} {v:.1%}" for k, v in acc.items()))
    return model, acc


@torch.no_grad()
def predict(model, images: np.ndarray) -> dict[str, torch.Tensor]:
    outs = [model(_to_tensor(images[i:i + 128])) for i in range(0, len(images), 128)]
    return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}


def generate(model, prompts, seeds, guidance, steps, scheduler, precision="fp32", batch=64) -> np.ndarray:
    from .capture import capture

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
             steps=DEFAULT_SAMPLING["steps"], scheduler=DEFAULT_SAMPLING["scheduler"], judge_steps=1000,
             precision="fp32", log=print):
    from .dataset import caption_for, load_sprites, spec_for_subject, subject_names
    from .loading import load_model

    started = time.perf_counter()
    sprites = load_sprites()
    judge, judge_acc = load_or_train_judge(sprites, judge_steps, log=log)
    model = load_model(model_spec)
    subjects = subject_names(sprites)
    prompts = [caption_for(spec_for_subject(sprites, s), 0) for s in range(len(subjects)) for _ in range(seeds_per_prompt)]
    truth = np.array([s for s in range(len(subjects)) for _ in range(seeds_per_prompt)])
    seeds = list(range(len(prompts)))
    adherence, samples = {}, {}
    for s in scales:
        images = generate(model, prompts, seeds, s, steps, scheduler, precision)
        pred = predict(judge, images)["subject"].argmax(1).numpy()
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
    judged = predict(judge, images)
    attributes = {k: float((judged[k].argmax(1).numpy() == np.array([getattr(sp, k) for sp in specs])).mean())
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
        "judge_accuracy": judge_acc,
        "adherence_top1": adherence,
        "guidance_gain": adherence[str(default)] / baseline if baseline else None,
        "detailed_adherence": attributes,
        "chance": chance,
        "diversity": {"vague": float(np.mean(vague)), "detailed": float(np.mean(detailed)),
                      "ratio": float(np.mean(vague) / max(np.mean(detailed), 1e-9))},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result, samples[default], prompts


def contact_sheet(images: np.ndarray, captions: list[str], path: Path, cols: int = 8, scale: int = 2) -> None:
    from PIL import Image, ImageDraw

    n = len(images)
    rows = -(-n // cols)
    cell, label = 64 * scale, 22
    sheet = Image.new("RGB", (cols * cell, rows * (cell + label)), (14, 16, 21))
    draw = ImageDraw.Draw(sheet)
    for i, (img, cap) in enumerate(zip(images, captions)):
        r, c = divmod(i, cols)
        tile = Image.fromarray(img).resize((cell, cell), Image.NEAREST)
        sheet.paste(tile, (c * cell, r * (cell + label)))
        draw.text((c * cell + 3, r * (cell + label) + cell + 4), cap[:22], fill=(236, 230, 218))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    sheet.save(tmp)
    tmp.replace(path)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="embedded", help="model spec (default: the embedded model)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per subject prompt (default %(default)s)")
    p.add_argument("--steps", type=int, default=20, help="sampling steps (default %(default)s)")
    p.add_argument("--judge-steps", type=int, default=1000, help="training steps of the label classifier")
    p.add_argument("--precision", choices=PRECISIONS, default="bf16" if bf16_is_fast() else "fp32",
                   help="UNet precision while sampling (default: bf16 where this CPU runs it fast, else fp32)")
    p.add_argument("--out", type=Path, default=EMBEDDED_DIR, help="where eval.json and samples.png go")
    args = p.parse_args(argv)
    result, images, prompts = evaluate(args.model, seeds_per_prompt=args.seeds, steps=args.steps,
                                       judge_steps=args.judge_steps, precision=args.precision)
    atomic_write_json(args.out / "eval.json", result)
    contact_sheet(images[:64], prompts[:64], args.out / "samples.png")
    print(json.dumps(result, indent=2))
    write_model_card(args.out)
    print(f"wrote {args.out / 'eval.json'}, {args.out / 'samples.png'} and the model card")


if __name__ == "__main__":
    main()
