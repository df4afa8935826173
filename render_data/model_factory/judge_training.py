"""Train the label judge on the dataset's own images: python -m render_data.model_factory.judge_training

Writes models/judge/ (judge.safetensors + judge.json with the class names and the held-out accuracy),
which the data stage reads through render_data.judge. Noise and blur in training make it read imperfect
generated images the way a person would. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..judge import JUDGE_DIR, LABELS, Judge, LabelClassifier, save_judge, to_tensor
from .compose import make_batch
from .specs import BACKGROUND_NAMES, POSITIONS, SIZE_NAMES, STYLES, n_classes, sample_specs
from .sprites import load_sprites


def class_names(sprites) -> dict[str, list[str]]:
    return {"subject": sprites.subject_names, "background": list(BACKGROUND_NAMES), "position": list(POSITIONS),
            "size": list(SIZE_NAMES), "style": [s["words"] for s in STYLES]}


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Noise and blur so the judge reads imperfect generated images the way a person would."""
    noise = torch.rand(x.shape[0], 1, 1, 1, generator=gen) * 0.15
    x = x + noise * torch.randn(x.shape, generator=gen)
    blur = torch.rand(x.shape[0], generator=gen) < 0.3
    if blur.any():
        x[blur] = F.avg_pool2d(F.pad(x[blur], (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return x.clamp(-1, 1)


def train_judge(sprites, steps: int = 1000, batch: int = 64, seed: int = 0, log=print) -> Judge:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = LabelClassifier(n_classes(sprites))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for step in tqdm(range(steps), desc="judge", unit="step"):
        specs = sample_specs(batch, seed=10_000_000 + seed * 100_000 + step, two_object_fraction=0.0)
        images, _, labels = make_batch(sprites, specs)
        out = model(augment(to_tensor(images), gen))
        loss = sum(F.cross_entropy(out[k], torch.from_numpy(labels[k]).long()) for k in LABELS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    judge = Judge(model.eval(), class_names(sprites), {})
    # held-out accuracy on fresh seeds: how far the judge itself can be trusted
    specs = sample_specs(512, seed=99_999_999, two_object_fraction=0.0)
    images, _, labels = make_batch(sprites, specs)
    judge.accuracy = {k: float((p.argmax(1) == labels[k]).mean()) for k, p in judge.predict(images).items()}
    log("judge held-out accuracy: " + ", ".join(f"{k} {v:.1%}" for k, v in judge.accuracy.items()))
    return judge


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m render_data.model_factory.judge_training", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=1000, help="training steps (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    judge = train_judge(load_sprites(), steps=args.steps, seed=args.seed)
    save_judge(judge.model, judge.classes, judge.accuracy)
    print(f"wrote {JUDGE_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
