"""Chapter 09 data: what lies between two prompts. The conditioning slid from "a butterfly" to "a snail".

Each point is a slerp of the two prompts' per-token states (the UNet's conditioning), from the same noise;
the label judge reads which subject each image shows (where the picture switches), and a 2D map places the
in-between points among a handful of related prompts (PCA of pooled sentence embeddings).

Padding: the two prompts are padded to the same length (24 tokens) and slerped position by position. The
in-between points attend to the union of the two masks, so every real token of either prompt stays visible
all along the path (an intersection would drop the longer prompt's last words in between); the endpoints
are the prompts' own embeddings, masks included. At a padded position of the shorter prompt its state is
MiniLM's output for [PAD]: a real vector, so the slerp is defined there. "a butterfly" and "a snail" are
both 4 tokens, so here the union is each prompt's own mask (facts: ``tokens``).
"""

import numpy as np
import torch

from render_data.judge import load_judge
from render_data.knob_measures import fit_plane, rmse
from render_data.loading import TextEmbedding
from render_data.sweep import Run, load_sweep_model, sweep

CONFIG = {
    "model": "embedded",
    "prompt_a": "a butterfly",
    "prompt_b": "a snail",
    "subject_a": "butterfly",
    "subject_b": "snail",
    "points": 17,
    "seed": 0,
    "steps": 20,
    "guidance_scale": 4.0,
    "sampler": "ddim_from_noise",
    # the map's neighbourhood: the two prompts and related ones (dataset subjects and a few it never saw)
    "neighbourhood": ["a butterfly", "a snail", "a bee", "a moth", "a caterpillar", "a ladybird", "a slug",
                      "a frog", "a turtle", "a crab", "a flower", "a fish"],
}
USES_MODEL = True


def tiny_config() -> dict:
    return dict(CONFIG, points=3, steps=3, neighbourhood=CONFIG["neighbourhood"][:4])


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation of vectors along the last axis (lerp where a and b are nearly parallel)."""
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    cos = ((a * b).sum(-1, keepdim=True) / (na * nb).clamp(min=1e-12)).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    wa = torch.where(parallel, 1 - t, torch.sin((1 - t) * omega) / torch.where(parallel, 1.0, sin))
    wb = torch.where(parallel, torch.full_like(sin, t), torch.sin(t * omega) / torch.where(parallel, 1.0, sin))
    return wa * a + wb * b


def interpolate(a: TextEmbedding, b: TextEmbedding, ts) -> list[TextEmbedding]:
    """Per-token slerp of two batch-1 embeddings; masks: the union in between, each prompt's own at the ends."""
    union = torch.maximum(a.mask, b.mask)
    points = []
    for t in ts:
        if t <= 0:
            points.append(a)
        elif t >= 1:
            points.append(b)
        else:
            states = slerp(a.states, b.states, float(t))
            points.append(TextEmbedding(states, pooled_of(states, union), union))
    return points


def pooled_of(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The sentence vector the text encoder reports: mean of the real tokens' states, L2-normalised."""
    m = mask.unsqueeze(-1).to(states.dtype)
    return torch.nn.functional.normalize((states * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1)


def runs(config, model) -> list[Run]:
    """One run per point of the path, all from the same noise."""
    a, b = model.encode([config["prompt_a"]]), model.encode([config["prompt_b"]])
    return [Run(embedding=p, seed=config["seed"], steps=config["steps"], guidance=config["guidance_scale"],
                sampler=config["sampler"]) for p in interpolate(a, b, np.linspace(0.0, 1.0, config["points"]))]


def run(out, config, model_info):
    model = load_sweep_model(config["model"])
    a, b = model.encode([config["prompt_a"]]), model.encode([config["prompt_b"]])
    ts = np.linspace(0.0, 1.0, config["points"])
    chosen = runs(config, model)
    points = [r.embedding for r in chosen]
    images = np.stack([r.image for r in sweep(model, chosen)])
    out.array("images", images)  # [P, 64, 64, 3]
    out.array("t", ts.astype(np.float32))

    judge = load_judge()
    subjects = judge.classes["subject"]
    probs = judge.predict(images)["subject"]
    pa, pb = probs[:, subjects.index(config["subject_a"])], probs[:, subjects.index(config["subject_b"])]
    out.array("prob_a", pa.astype(np.float32))
    out.array("prob_b", pb.astype(np.float32))
    switch = next((i for i in range(len(ts)) if pb[i] > pa[i]), None)
    change = np.array([rmse(x, y) for x, y in zip(images[:-1], images[1:])])
    jump = int(change.argmax())
    out.array("change", change.astype(np.float32))

    # The map: PCA of the neighbourhood's pooled embeddings; the path's points placed on it.
    hood = model.encode(config["neighbourhood"]).pooled.float().cpu()
    path = torch.cat([p.pooled for p in points]).float().cpu()
    plane = fit_plane(hood.numpy())
    out.array("map_prompts", plane.transform(hood.numpy()).astype(np.float32))  # [N, 2]
    out.array("map_path", plane.transform(path.numpy()).astype(np.float32))  # [P, 2]
    cos_ab = float((a.pooled @ b.pooled.T).item())
    nearest = [config["neighbourhood"][int(i)] for i in (path @ hood.T).argmax(1)]
    # Does the path pass nearer to a third prompt than to both ends, and where do the words turn to prompt b?
    others = sorted(set(nearest) - {config["prompt_a"], config["prompt_b"]})
    turns_b = next((i for i, n in enumerate(nearest) if n == config["prompt_b"]), None)

    out.fact("run", prompt_a=config["prompt_a"], prompt_b=config["prompt_b"], points=len(ts), seed=config["seed"],
             steps=config["steps"], guidance=config["guidance_scale"], sampler=config["sampler"])
    out.fact("tokens", a=int(a.mask.sum()), b=int(b.mask.sum()), union=int(torch.maximum(a.mask, b.mask).sum()))
    out.fact("judge", a_at_start=round(float(pa[0]), 3), b_at_end=round(float(pb[-1]), 3),
             reads_a_at_start=bool(probs[0].argmax() == subjects.index(config["subject_a"])),
             reads_b_at_end=bool(probs[-1].argmax() == subjects.index(config["subject_b"])),
             switch_found=switch is not None,
             switch_t=None if switch is None else round(float(ts[switch]), 3),
             switch_index=switch,
             switch_past_middle=switch is not None and bool(ts[switch] > 0.5))
    out.fact("path", biggest_jump_from_t=round(float(ts[jump]), 3), biggest_jump_to_t=round(float(ts[jump + 1]), 3),
             biggest_jump=round(float(change.max()), 4), mean_step_change=round(float(change.mean()), 4),
             jump_to_mean_ratio=round(float(change.max() / max(change.mean(), 1e-12)), 2))
    out.fact("map", neighbourhood=config["neighbourhood"], cosine_a_b=round(cos_ab, 3),
             explained_variance_pct=round(100 * float(plane.explained_variance_ratio_.sum()), 1),
             nearest_prompt_per_point=nearest,
             midpoint_nearest=nearest[len(nearest) // 2],
             passes_other_prompt=bool(others), other_prompts_passed=others,
             nearest_b_found=turns_b is not None,
             nearest_b_from_t=None if turns_b is None else round(float(ts[turns_b]), 3),
             # the words (on the map) turn to prompt b before the picture (the judge) does
             picture_turns_later=switch is not None and turns_b is not None and switch > turns_b)
