"""The label judge: a small CNN that reads a 64x64 image's subject, background, position, size and style.

It is how the project measures, rather than eyeballs, whether a picture follows its prompt (prompt
adherence in ``make eval``; binding and guidance adherence in the chapters' data). Its weights are
committed in models/judge/ (trained by render_data.model_factory.judge_training on the dataset's own
labels), so the data stage needs neither the dataset nor npm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from journey_base.paths import ROOT

JUDGE_DIR = ROOT / "models" / "judge"
LABELS = ("subject", "background", "position", "size", "style")


class LabelClassifier(nn.Module):
    """Small CNN with one head per dataset label."""

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


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, 64, 64, 3] -> float [N, 3, 64, 64] in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


@dataclass
class Judge:
    model: LabelClassifier
    classes: dict[str, list[str]]  # label -> class names, e.g. classes["size"] == ["small", "medium", "large"]
    accuracy: dict[str, float]  # held-out accuracy on the dataset's own images

    @torch.no_grad()
    def logits(self, images: np.ndarray) -> dict[str, torch.Tensor]:
        outs = [self.model(to_tensor(images[i:i + 128])) for i in range(0, len(images), 128)]
        return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}

    def predict(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Class probabilities per label: {label: float32 [N, n_classes]}."""
        return {k: torch.softmax(v, dim=1).numpy().astype(np.float32) for k, v in self.logits(images).items()}

    def top1(self, images: np.ndarray) -> dict[str, list[str]]:
        return {k: [self.classes[k][i] for i in p.argmax(1)] for k, p in self.predict(images).items()}


def save_judge(model: LabelClassifier, classes: dict, accuracy: dict, folder: Path = JUDGE_DIR) -> None:
    from safetensors.torch import save_file

    from journey_base.files import atomic_path, atomic_write_json

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "judge.safetensors") as tmp:
        save_file({k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}, str(tmp))
        tmp.chmod(0o644)  # an ordinary committed file
    atomic_write_json(folder / "judge.json", {"classes": classes, "accuracy": accuracy})


def load_judge(folder: Path = JUDGE_DIR) -> Judge:
    from safetensors.torch import load_file

    info_file, weights = Path(folder) / "judge.json", Path(folder) / "judge.safetensors"
    if not weights.exists() or not info_file.exists():
        raise FileNotFoundError(f"{weights} missing: the judge's weights are committed (git checkout models/judge), "
                                f"or train them with 'python -m render_data.model_factory.judge_training'")
    info = json.loads(info_file.read_text())
    model = LabelClassifier({k: len(v) for k, v in info["classes"].items()})
    model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    return Judge(model.eval(), info["classes"], info["accuracy"])
