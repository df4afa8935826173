"""A 2D toy conditional diffusion model: the same noise schedule and sampler as the image model, small enough to
train in seconds on 2 CPU cores and to draw its whole learned vector field (chapter 05, "the compass").

Data: three labelled shapes in about [-1, 1]^2, one per "prompt" (SHAPES). The denoiser is an MLP that sees
x_t, a sinusoidal embedding of the timestep and a learned class embedding; class 0 is "no prompt" (the label is
dropped to it 15% of the time in training) so classifier-free guidance works exactly as in the image model:
ε = ε_u + s·(ε_c − ε_u). It predicts ε under diffusers' DDPMScheduler (1000 steps, squaredcos_cap_v2) and is
sampled with DDIMScheduler.from_config of that schedule, on [N, 2] tensors.

The network's raw output is v = √ᾱ·ε − √(1−ᾱ)·x0, turned into ε̂ = √ᾱ·v̂ + √(1−ᾱ)·x_t before anything else
sees it. Why: at t = 999 this schedule keeps √ᾱ = 0.00005 of the signal, so a raw ε head's smallest error
would be multiplied 20000-fold in x̂0 = (x_t − √(1−ᾱ)·ε̂)/√ᾱ and blow the first sampler step up; through v,
x̂0 = √ᾱ·x_t − √(1−ᾱ)·v̂ stays bounded at every t. Its training loss |v̂ − v|² equals |ε̂ − ε|² + |x̂0 − x0|².

Training is deterministic (fixed data, seeded init and batches, 2 threads) and cached in BUILD/toy2d/<key>.pt,
keyed by journey_base.freshness.stage_key over this file and the training config.
"""

from __future__ import annotations

import math
import time
from functools import cache
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from journey_base.files import atomic_path
from journey_base.freshness import stage_key
from journey_base.paths import BUILD

SHAPES = ("spiral", "ring", "cluster")  # class i + 1; class 0 is the unconditional "no prompt" class
UNCONDITIONAL = 0

# The image model's schedule family (models/embedded/scheduler). clip_sample is off: toy points are not pixels
# in [-1, 1], and clipping would bend the field at the edge of the box.
SCHEDULE = dict(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="epsilon",
                clip_sample=False,
                # "trailing" starts every walk at t=999. The image model's "leading" spacing starts a 1-step walk
                # at t=0, where the model believes the noise is already gone: a few-step walk would then "miss"
                # because of where the timesteps sit, not because of the size of its steps.
                timestep_spacing="trailing")

TRAIN_CONFIG = {
    "seed": 0,
    "points_per_shape": 2000,  # fixed training set, drawn once from the shapes' seed
    "steps": 4000,
    "batch": 512,
    "hidden": 128,
    "layers": 3,
    "embed": 32,  # width of the timestep and the class embedding
    "lr": 4e-3,  # Adam, cosine decay to 5% of it
    "drop_label": 0.15,  # fraction of examples trained as "no prompt" (for classifier-free guidance)
    # One thread: on the shared 2-core machine two threads on these tiny matrices mostly wait for each other
    # (measured under load: 19 ms a step with one, 340 ms with two). A fixed count also fixes the float sums.
    "threads": 1,
}

CACHE_DIR = BUILD / "toy2d"


def make_shapes(n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` points of each shape, float32 [n, 2], all within about [-1, 1]^2."""
    rng = np.random.default_rng(seed)
    # Spiral: one and a half turns of an Archimedean spiral from radius 0.25 to 1 (arms 0.5 apart), points
    # about evenly spaced along its length (arc length grows about as radius^2).
    u = np.sqrt(rng.uniform(0.0, 1.0, n))
    angle = 3 * np.pi * u
    radius = 0.25 + 0.75 * u
    spiral = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1) + rng.normal(0, 0.025, (n, 2))
    # Ring: radius 0.7 around the centre.
    angle = rng.uniform(0, 2 * np.pi, n)
    ring = 0.7 * np.stack([np.cos(angle), np.sin(angle)], 1) + rng.normal(0, 0.03, (n, 2))
    # Cluster: a round blob off-centre, in the ring's lower-right gap from the spiral's outer turn.
    cluster = np.array([0.45, -0.4]) + rng.normal(0, 0.1, (n, 2))
    return {name: pts.astype(np.float32) for name, pts in zip(SHAPES, (spiral, ring, cluster))}


def noise_schedule():
    from diffusers import DDPMScheduler

    return DDPMScheduler(**SCHEDULE)


@cache
def _alphas_cumprod() -> torch.Tensor:
    return noise_schedule().alphas_cumprod.float()


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of (float) timesteps, as in the image model's UNet."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


X_FREQUENCIES = (1.0, 2.0, 4.0, 8.0)


class Denoiser(nn.Module):
    """v̂(x_t, t, class): an MLP over [x_t, timestep embedding, class embedding]."""

    def __init__(self, hidden: int, layers: int, embed: int):
        super().__init__()
        self.embed = embed
        self.classes = nn.Embedding(len(SHAPES) + 1, embed)
        widths = [2 + 4 * len(X_FREQUENCIES) + 2 * embed] + [hidden] * layers
        blocks: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            blocks += [nn.Linear(a, b), nn.SiLU()]
        self.net = nn.Sequential(*blocks, nn.Linear(hidden, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        waves = torch.cat([torch.sin(f * x) for f in X_FREQUENCIES] + [torch.cos(f * x) for f in X_FREQUENCIES], 1)
        return self.net(torch.cat([x, waves, timestep_embedding(t, self.embed), self.classes(label)], dim=1))


def _build(config: dict) -> Denoiser:
    return Denoiser(config["hidden"], config["layers"], config["embed"])


def _v_loss(net: Denoiser, x0, t, noise, labels) -> torch.Tensor:
    ab = _alphas_cumprod()[t][:, None]
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    v = ab.sqrt() * noise - (1 - ab).sqrt() * x0
    return ((net(x_t, t, labels) - v) ** 2).sum(dim=1).mean()


def _eval_loss(net: Denoiser, x0, labels) -> float:
    """The loss on a fixed batch (fixed timesteps and noise): comparable from step to step."""
    gen = torch.Generator().manual_seed(7)
    t = torch.randint(0, len(_alphas_cumprod()), (len(x0),), generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    with torch.no_grad():
        return float(_v_loss(net, x0, t, noise, labels))


@contextmanager
def torch_threads(n: int):
    """Run torch on ``n`` threads inside the block (see TRAIN_CONFIG["threads"]), then restore the count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train(config: dict) -> tuple[dict, dict]:
    """Train from scratch. Returns (state_dict, info) with info: seconds, loss_start, loss_final, loss_curve."""
    with torch_threads(config["threads"]):  # same thread count, same float sums: identical weights
        started = time.perf_counter()
        torch.manual_seed(config["seed"])
        net = _build(config)
        data = make_shapes(config["points_per_shape"], config["seed"])
        x_all = torch.from_numpy(np.concatenate([data[s] for s in SHAPES]))
        y_all = torch.arange(1, len(SHAPES) + 1).repeat_interleave(config["points_per_shape"])
        timesteps = len(_alphas_cumprod())
        gen = torch.Generator().manual_seed(config["seed"] + 1)
        # Held-out fixed batch for the loss curve: 1024 examples from the training set, conditional labels.
        eval_gen = torch.Generator().manual_seed(config["seed"] + 2)
        pick = torch.randint(0, len(x_all), (1024,), generator=eval_gen)

        def eval_loss() -> float:
            return _eval_loss(net, x_all[pick], y_all[pick])

        opt = torch.optim.Adam(net.parameters(), lr=config["lr"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config["steps"], eta_min=0.05 * config["lr"])
        curve = [eval_loss()]
        every = max(1, config["steps"] // 60)
        for step in range(config["steps"]):
            idx = torch.randint(0, len(x_all), (config["batch"],), generator=gen)
            t = torch.randint(0, timesteps, (config["batch"],), generator=gen)
            noise = torch.randn((config["batch"], 2), generator=gen)
            drop = torch.rand(config["batch"], generator=gen) < config["drop_label"]
            labels = torch.where(drop, UNCONDITIONAL, y_all[idx])
            loss = _v_loss(net, x_all[idx], t, noise, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if (step + 1) % every == 0 or step + 1 == config["steps"]:
                curve.append(eval_loss())
        info = {"seconds": round(time.perf_counter() - started, 2), "loss_start": curve[0],
                "loss_final": curve[-1], "loss_curve": curve, "curve_every": every}
        return net.state_dict(), info


@dataclass
class ToyModel:
    net: Denoiser
    data: dict[str, np.ndarray]  # the training set per shape
    info: dict  # from train(), plus "cached": whether the weights came from the cache
    threads: int

    def eps(self, x: torch.Tensor, t: int, label: int, guidance: float = 1.0) -> torch.Tensor:
        """Guided ε̂ = ε_u + s·(ε_c − ε_u) (s = 1: the conditional model; label 0 or s = 0: unconditional)."""
        cond = self._eps(x, t, label)
        if guidance == 1.0 or label == UNCONDITIONAL:
            return cond
        uncond = self._eps(x, t, UNCONDITIONAL)
        return uncond + guidance * (cond - uncond)

    def _eps(self, x: torch.Tensor, t: int, label: int) -> torch.Tensor:
        ab = _alphas_cumprod()[int(t)]
        with torch.no_grad(), torch_threads(self.threads):
            v = self.net(x, torch.full((len(x),), int(t)), torch.full((len(x),), label))
        return ab.sqrt() * v + (1 - ab).sqrt() * x

    def x0_hat(self, x: torch.Tensor, t: int, label: int, guidance: float = 1.0) -> torch.Tensor:
        """Where the model thinks x (taken as x_t) is heading: x̂0 = (x − √(1−ᾱ_t)·ε̂) / √ᾱ_t."""
        ab = _alphas_cumprod()[int(t)]
        return (x - (1 - ab).sqrt() * self.eps(x, t, label, guidance)) / ab.sqrt()

    def field(self, points: np.ndarray, t: int, label: int) -> tuple[np.ndarray, np.ndarray]:
        """The direction x̂0 − x at each point [N, 2]: (unit vectors [N, 2], their lengths [N])."""
        x = torch.from_numpy(np.asarray(points, np.float32))
        d = (self.x0_hat(x, t, label) - x).numpy()
        norm = np.linalg.norm(d, axis=1)
        return (d / np.maximum(norm, 1e-12)[:, None]).astype(np.float32), norm.astype(np.float32)

    def walk(self, starts: np.ndarray, label: int, steps: int, guidance: float = 1.0):
        """DDIM (η = 0) from ``starts`` [N, 2]. Returns positions [steps + 1, N, 2] (starts first, endpoints
        last), the predicted x̂0 at each step [steps, N, 2] and the timesteps [steps]."""
        from diffusers import DDIMScheduler

        sampler = DDIMScheduler.from_config(noise_schedule().config)
        sampler.set_timesteps(steps)
        x = torch.from_numpy(np.asarray(starts, np.float32))
        positions, x0s = [x], []
        for t in sampler.timesteps:
            result = sampler.step(self.eps(x, int(t), label, guidance), t, x)
            x = result.prev_sample
            positions.append(x)
            x0s.append(result.pred_original_sample)
        return (torch.stack(positions).numpy(), torch.stack(x0s).numpy(),
                sampler.timesteps.numpy().astype(np.int64))


def cache_path(config: dict) -> Path:
    return CACHE_DIR / f"{stage_key(code=[Path(__file__)], config=config)}.pt"


def load_or_train(config: dict = TRAIN_CONFIG) -> ToyModel:
    """The trained toy model: from BUILD/toy2d/<key>.pt when fresh, else trained now and cached."""
    path = cache_path(config)
    if path.exists():
        saved = torch.load(path, weights_only=True)
        state, info, cached = saved["state"], saved["info"], True
    else:
        state, info = train(config)
        with atomic_path(path) as tmp:
            torch.save({"state": state, "info": info}, tmp)
        cached = False
    net = _build(config)
    net.load_state_dict(state)
    net.eval()
    return ToyModel(net, make_shapes(config["points_per_shape"], config["seed"]), dict(info, cached=cached),
                    config["threads"])


def nearest_distance(points: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Distance from each point [N, 2] to its nearest point of ``data`` [M, 2]."""
    return torch.cdist(torch.from_numpy(np.asarray(points, np.float32)),
                       torch.from_numpy(np.asarray(data, np.float32))).min(dim=1).values.numpy()


def bulk_radius(data: np.ndarray, percentile: float = 95.0) -> float:
    """The ``percentile`` of each data point's distance to its nearest other data point. A fresh point of the
    same shape lies farther than this from every data point about (100 − percentile)% of the time."""
    d = torch.cdist(torch.from_numpy(data), torch.from_numpy(data))
    d.fill_diagonal_(float("inf"))
    return float(np.percentile(d.min(dim=1).values.numpy(), percentile))
