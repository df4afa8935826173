"""The sweep engine: a chapter declares runs, the engine packs them into as few ``capture`` batches as it can.

A :class:`Run` is one image: a prompt (or a precomputed conditioning), a seed, a step count, a guidance
scale, a sampler and its eta, and what to keep besides the final image (per-step frames, fp16 states,
ε_cond/ε_uncond at chosen steps). ``sweep(model, runs)`` returns one :class:`RunResult` per run, in order.

How it packs (see :func:`plan`):
  - identical runs (same conditioning, seed, steps, guidance, sampler, eta) are computed once;
  - runs with the same (steps, sampler, eta) share one ``capture`` call: per-sample prompts, seeds and
    guidance scales are native to capture, which also computes identical UNet rows once (the unconditional
    pass of samples that share a seed, at the first step);
  - a batch records per-step data only at the steps some run in it asks for.
It runs on the GPU when there is one, with bf16 autocast there and on CPUs that have bf16
(``loading.bf16_is_fast``), and puts the UNet's weights in channels-last order (oneDNN's fast layout:
~1.3-1.8x on a CPU; results equal to rounding).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import torch

from .capture import capture, make_scheduler, scheduler_name
from .loading import LoadedModel, TextEmbedding, bf16_is_fast, load_model

# Runs per capture call: bounds the memory of recorded steps (a recorded step holds 6 fp32 tensors/run).
MAX_BATCH = 96


@dataclass(frozen=True)
class Run:
    """One image to make and what to keep of its walk."""

    prompt: str | None = None
    embedding: TextEmbedding | None = field(default=None, compare=False, repr=False)  # [1, T, D] instead of a prompt
    seed: int = 0
    steps: int = 20
    guidance: float = 4.0
    sampler: str = "ddim_from_noise"
    eta: float = 0.0
    frames: bool = False  # uint8 images of x_t and x̂0 at every step
    states: bool = False  # fp16 x_t at every step, then the final sample
    eps_steps: tuple[int, ...] = ()  # steps at which to keep ε_cond, ε_uncond and the state x_t

    def __post_init__(self):
        if (self.prompt is None) == (self.embedding is None):
            raise ValueError("a Run needs exactly one of prompt= or embedding=")
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        bad = [s for s in self.eps_steps if not 0 <= s < self.steps]
        if bad:
            raise ValueError(f"eps_steps {bad} outside 0..{self.steps - 1}")

    @property
    def conditioning(self) -> str | TextEmbedding:
        return self.prompt if self.embedding is None else self.embedding

    @property
    def key(self) -> tuple:
        """What decides the image: runs with equal keys make equal images."""
        cond = ("prompt", self.prompt) if self.embedding is None else ("embedding", embedding_digest(self.embedding))
        return cond, self.seed, self.steps, float(self.guidance), scheduler_name(self.sampler), float(self.eta)

    @property
    def batch_key(self) -> tuple:
        """Runs with equal batch keys can share one capture call."""
        return self.steps, scheduler_name(self.sampler), float(self.eta)

    @property
    def needs_every_step(self) -> bool:
        return self.frames or self.states


@dataclass
class RunResult:
    run: Run
    image: np.ndarray  # uint8 [H, W, 3]
    image_float: np.ndarray  # float32 [H, W, 3] in [0, 1] (a diffusers pipeline's output_type="np")
    xt_frames: np.ndarray | None = None  # uint8 [S, H, W, 3]: the image of x_t entering each step
    x0_frames: np.ndarray | None = None  # uint8 [S, H, W, 3]: x̂0 at each step
    states: np.ndarray | None = None  # fp16 [S + 1, C, h, w]: x_t entering each step, then the final sample
    eps_cond: dict[int, np.ndarray] = field(default_factory=dict)  # step -> float32 [C, h, w]
    eps_uncond: dict[int, np.ndarray] = field(default_factory=dict)
    x_t: dict[int, np.ndarray] = field(default_factory=dict)  # step -> float32 [C, h, w] entering that step


@dataclass
class Batch:
    """One capture call: the distinct runs it computes and the steps it records."""

    key: tuple  # (steps, sampler, eta)
    runs: list[Run]
    record_steps: list[int]


def embedding_digest(emb: TextEmbedding) -> str:
    h = hashlib.sha256(emb.states.detach().to("cpu", torch.float32).numpy().tobytes())
    if emb.mask is not None:
        h.update(emb.mask.detach().to("cpu", torch.int64).numpy().tobytes())
    return h.hexdigest()[:16]


def plan(runs: Sequence[Run], max_batch: int = MAX_BATCH) -> list[Batch]:
    """The capture calls ``sweep`` makes for ``runs``: distinct runs grouped by (steps, sampler, eta)."""
    groups: dict[tuple, dict[tuple, Run]] = {}
    for run in runs:
        group = groups.setdefault(run.batch_key, {})
        prev = group.get(run.key)
        # An identical run computed once keeps what any of its copies asks for.
        group[run.key] = run if prev is None else replace(
            prev, frames=prev.frames or run.frames, states=prev.states or run.states,
            eps_steps=tuple(sorted(set(prev.eps_steps) | set(run.eps_steps))))
    batches = []
    for key, group in groups.items():
        distinct = list(group.values())
        for i in range(0, len(distinct), max_batch):
            part = distinct[i:i + max_batch]
            steps = key[0]
            if any(r.needs_every_step for r in part):
                record = list(range(steps))
            else:
                record = sorted({s for r in part for s in r.eps_steps} | {steps - 1})
            batches.append(Batch(key=key, runs=part, record_steps=record))
    return batches


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_precision(model: LoadedModel) -> str:
    return "bf16" if bf16_is_fast(model.device) else "fp32"


def load_sweep_model(spec: str = "embedded") -> LoadedModel:
    """``load_model`` on the GPU when there is one, its UNet in channels-last order (see ``prepare``)."""
    return prepare(load_model(spec, device=default_device()))


def prepare(model: LoadedModel) -> LoadedModel:
    """Channels-last UNet weights: oneDNN's fast convolution layout (the UNet's output is unchanged)."""
    model.unet.to(memory_format=torch.channels_last)
    return model


def sweep(model: LoadedModel, runs: Sequence[Run], precision: str | None = None,
          progress: bool = False) -> list[RunResult]:
    """Make every run's image (and what it asks to keep), batched; results in the order of ``runs``."""
    precision = precision or default_precision(model)
    done: dict[tuple, RunResult] = {}
    for batch in plan(runs):
        done.update(_run_batch(model, batch, precision, progress))
    return [_view(done[run.key], run) for run in runs]


def _run_batch(model: LoadedModel, batch: Batch, precision: str, progress: bool) -> dict[tuple, RunResult]:
    steps, sampler, eta = batch.key
    runs = batch.runs
    traj = capture(model, [r.conditioning for r in runs], [r.seed for r in runs], [r.guidance for r in runs],
                   steps, scheduler=sampler, eta=eta, record_steps=batch.record_steps, progress=progress,
                   precision=precision)
    images, floats = traj.final_images(), traj.final_images(np.float32)
    recorded = traj.step_indices.tolist()
    out = {}
    for b, run in enumerate(runs):
        res = RunResult(run=run, image=images[b], image_float=floats[b])
        if run.frames:
            res.xt_frames, res.x0_frames = traj.xt_frames[:, b], traj.x0_frames[:, b]
        if run.states:
            res.states = np.concatenate([traj.x_t[:, b], traj.final[b:b + 1]]).astype(np.float16)
        for s in run.eps_steps:
            i = recorded.index(s)
            res.eps_cond[s], res.eps_uncond[s], res.x_t[s] = traj.eps_cond[i, b], traj.eps_uncond[i, b], traj.x_t[i, b]
        out[run.key] = res
    return out


def _view(res: RunResult, run: Run) -> RunResult:
    """The computed result as ``run`` asked for it (a duplicate may keep less than the run computed)."""
    return RunResult(run=run, image=res.image, image_float=res.image_float,
                     xt_frames=res.xt_frames if run.frames else None,
                     x0_frames=res.x0_frames if run.frames else None,
                     states=res.states if run.states else None,
                     eps_cond={s: res.eps_cond[s] for s in run.eps_steps},
                     eps_uncond={s: res.eps_uncond[s] for s in run.eps_steps},
                     x_t={s: res.x_t[s] for s in run.eps_steps})


def naive_image(model: LoadedModel, run: Run) -> np.ndarray:
    """The naive way, for checks and the benchmark: one diffusers pipeline call for one run, fp32, batch 1.

    Returns float32 [H, W, 3] in [0, 1] (compare with ``RunResult.image_float``). diffusers pipelines skip
    guidance at scales <= 1 (the prompt alone), so s = 0 (the empty prompt alone) passes the unconditional
    embedding as the prompt."""
    pipe = model.pipeline
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = make_scheduler(model, run.sampler)
    if run.guidance == 0:
        cond = model.uncond
    else:
        cond = run.embedding if run.embedding is not None else model.encode([run.prompt])
    masks = {}
    if model.kind == "pixel":  # render_data.loading.PixelTextToImagePipeline takes the token masks
        masks = dict(prompt_attention_mask=cond.mask, negative_prompt_attention_mask=model.uncond.mask)
    out = pipe(prompt_embeds=cond.states, negative_prompt_embeds=model.uncond.states, **masks,
               generator=torch.Generator().manual_seed(run.seed), num_inference_steps=run.steps,
               guidance_scale=max(float(run.guidance), 1.0), eta=run.eta, output_type="np")
    return np.asarray(out.images[0], np.float32)
