"""Run a batch of diffusion samples and record every step: the measured data behind the chapters.

``capture(model, prompts, seeds, guidance_scales, num_steps, ...)`` samples B images in one batch (each
with its own prompt, seed and guidance scale, so a sweep is one run) with classifier-free guidance, and
returns a :class:`Trajectory` holding, for each recorded step i (an index into ``scheduler.timesteps``):

  x_t       the scheduler's state entering step i (for sigma-space samplers such as Euler this is
            x0 + sigma*eps, of std ~sigma; for DDIM/DDPM it is sqrt(abar)*x0 + sqrt(1-abar)*eps)
  x_in      the UNet's input at step i, ``scheduler.scale_model_input(x_t)``: always in the
            "variance preserving" scale, so it is what a noisy image at that step looks like
  x0        the predicted clean sample x̂0 (the scheduler's pred_original_sample, or computed from the
            guided output and alpha_bar for samplers that do not report it)
  eps_cond, eps_uncond   the noise the UNet predicts with the prompt and with the empty prompt
  eps       the guided prediction eps_u + s * (eps_c - eps_u)
            (for v-prediction models the UNet's v is converted: eps = sqrt(abar) * v + sqrt(1-abar) * x_in;
            the conversion is linear, so guiding in v or in eps gives the same eps)
  timesteps, alpha_bar   per recorded step (alpha_bar = signal fraction of the noise level at that step)

The images of x_in and x0 at each recorded step are kept as uint8 frames (``xt_frames``, ``x0_frames``,
[S, B, H, W, 3]): decoded with the VAE for latent models, the samples themselves for pixel models. The result is exactly the diffusers pipeline's image
for the same seed and settings (checked in tests/test_loading_capture.py).

Randomness: sample b draws its initial noise (and, for stochastic samplers, each step's noise) from
``torch.Generator("cpu").manual_seed(seeds[b])``, as a diffusers pipeline given a list of generators
does. A branch continues a trunk from a recorded step with new seeds::

    trunk = capture(model, "a cat", 0, 7.5, 50, scheduler="ddpm", capture_every=1)
    branch = capture(model, "a cat", [1, 2, 3], 7.5, 50, scheduler="ddpm", **trunk.start_from(30))

Branching is exact for one-step samplers (ddim, ddpm, euler, euler_a); multistep ones (dpm, unipc,
pndm, lms, heun) restart their history at the branch point.

A prompt may also be a precomputed conditioning (a batch-1 ``TextEmbedding``, e.g. a point between two
prompts), per sample. Identical UNet inputs in a batch are computed once: samples that share a seed share
the unconditional pass at the first step (and identical samples share everything); the count of UNet
evaluations actually made is ``settings["unet_evaluations"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from diffusers import DDIMScheduler

from .loading import LoadedModel, TextEmbedding, _step_kwargs

# The UNet sees the conditional and unconditional halves of a batch together, in slices of at most this
# many images: on 2 CPU cores a slice of 16-32 runs ~25% faster per image than one forward of 96.
UNET_SLICE = 32
PRECISIONS = ("fp32", "bf16")


class DDIMFromNoiseScheduler(DDIMScheduler):
    """DDIM as the knob chapters walk it: every step count k starts at (or near) pure noise, x̂0 is not clipped.

    Steps keep DDIM's stride 1000 // k (its update assumes it). On a zero-terminal-SNR schedule (the
    embedded model's) the first step is at t = 999, where the input is pure noise. On other schedules the
    first step is at t <= MAX_TIMESTEP, the last as late as that allows (k = 20: 980, 930, ..., 30; k = 50 is
    diffusers' "leading"): there t = 999 keeps a signal fraction of 2e-9 that an epsilon model cannot
    invert (the first x̂0 would be its rounding error magnified 20,000 times). Why not the stock spacings:
    "leading" starts 1 step at t = 0 and 2 steps at t = 500, so few steps never see pure noise. Why no
    clipping: unclipped DDIM is the probability-flow ODE walked in k steps, so more steps converge on one
    image; clipping x̂0 to [-1, 1] at every step makes the walk depend on its step size.
    """

    MAX_TIMESTEP = 980  # epsilon models: signal fraction 9e-4, pure noise to the eye, x̂0 well conditioned

    def set_timesteps(self, num_inference_steps: int, device=None):
        super().set_timesteps(num_inference_steps, device)
        k, total = num_inference_steps, self.config.num_train_timesteps
        stride = total // k
        if self.config.get("rescale_betas_zero_snr"):
            first = (total - 1) - (k - 1) * stride
        else:
            first = _first_timestep(k, total, self.MAX_TIMESTEP)
        if first is None:
            fits = next(n for n in range(k, 0, -1) if _first_timestep(n, total, self.MAX_TIMESTEP) is not None)
            raise ValueError(f"{k} DDIM steps of stride {stride} cannot start at t <= {self.MAX_TIMESTEP}; "
                             f"{fits} steps can")
        steps = first + stride * np.arange(k)[::-1]
        self.timesteps = torch.from_numpy(steps.copy().astype(np.int64)).to(device)


def _first_timestep(k: int, train_steps: int, max_timestep: int) -> int | None:
    """The last timestep of a k-step walk of stride train_steps // k whose first step is <= max_timestep."""
    stride = train_steps // k
    first = min(stride - 1, max_timestep - (k - 1) * stride)
    return first if first >= 0 else None


# Sampler names -> (diffusers scheduler class name or a class, config overrides).
SCHEDULERS: dict[str, tuple[str | type, dict]] = {
    "ddim": ("DDIMScheduler", {}),
    "ddim_from_noise": (DDIMFromNoiseScheduler, {"clip_sample": False}),
    "ddpm": ("DDPMScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "dpm": ("DPMSolverMultistepScheduler", {}),
    "dpm_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "unipc": ("UniPCMultistepScheduler", {}),
}
SCHEDULER_ALIASES = {
    "euler_ancestral": "euler_a",
    "dpm++": "dpm",
    "dpmsolver": "dpm",
    "dpmsolver++": "dpm",
    "dpm++_sde": "dpm_sde",
    "plms": "pndm",
}
ONE_STEP_SCHEDULERS = {"ddim", "ddpm", "euler", "euler_a"}

# The per-step tensors a Trajectory holds, [S, B, C, h, w] each.
_TENSORS = ("x_t", "x_in", "x0", "eps_cond", "eps_uncond", "eps")


def make_scheduler(model: LoadedModel, scheduler="ddim"):
    """A fresh scheduler of the named kind built from the model's scheduler config.

    ``scheduler`` is a name from SCHEDULERS (or an alias), None/"default" for the model's own class,
    a scheduler class, or a scheduler instance (its class and config are used; it is not mutated).
    """
    import diffusers
    from diffusers import SchedulerMixin

    config = dict(model.scheduler_config)
    if scheduler is None or scheduler == "default":
        return type(model.scheduler).from_config(config)
    if isinstance(scheduler, SchedulerMixin):
        return type(scheduler).from_config(scheduler.config)
    if isinstance(scheduler, type) and issubclass(scheduler, SchedulerMixin):
        return scheduler.from_config(config)
    key = SCHEDULER_ALIASES.get(str(scheduler).lower(), str(scheduler).lower())
    if key not in SCHEDULERS:
        raise ValueError(f"unknown scheduler '{scheduler}': one of {', '.join(SCHEDULERS)}")
    cls, overrides = SCHEDULERS[key]
    cls = cls if isinstance(cls, type) else getattr(diffusers, cls)
    # Drop the keys the target class does not take, quietly (diffusers would log each one).
    accepted = set(inspect_params(cls.__init__))
    config = {k: v for k, v in config.items() if k in accepted or k.startswith("_")}
    return cls.from_config(config, **overrides)


def inspect_params(fn) -> list[str]:
    import inspect

    return list(inspect.signature(fn).parameters)


def scheduler_name(scheduler) -> str:
    if isinstance(scheduler, str):
        key = scheduler.lower()
        return SCHEDULER_ALIASES.get(key, key)
    if scheduler is None:
        return "default"
    return scheduler.__name__ if isinstance(scheduler, type) else type(scheduler).__name__


# ------------------------------------------------------------------------------------------ result


@dataclass
class Trajectory:
    """What ``capture`` recorded. Arrays are float32 numpy, leading dims [S (recorded steps), B (samples)]."""

    settings: dict
    step_indices: np.ndarray  # [S] int: index into the scheduler's timesteps
    timesteps: np.ndarray  # [S] float
    alpha_bar: np.ndarray  # [S] float
    x_t: np.ndarray  # [S, B, C, h, w]
    x_in: np.ndarray  # [S, B, C, h, w]
    x0: np.ndarray  # [S, B, C, h, w]
    eps_cond: np.ndarray
    eps_uncond: np.ndarray
    eps: np.ndarray
    xt_frames: np.ndarray  # [S, B, H, W, 3] uint8 image of x_in ([-1, 1] -> 0..255; decoded for latent models)
    x0_frames: np.ndarray  # [S, B, H, W, 3] uint8 image of x0
    final: np.ndarray  # [B, C, h, w] the final sample (latents for latent models)
    final_image: np.ndarray  # [B, 3, H, W] in [-1, 1] (not clamped)

    def final_images(self, dtype=np.uint8) -> np.ndarray:
        """[B, H, W, 3] images: uint8 (default) or float in [0, 1] (as a pipeline's output_type="np")."""
        img = np.clip(self.final_image / 2 + 0.5, 0.0, 1.0).transpose(0, 2, 3, 1)
        if np.dtype(dtype) == np.uint8:
            return (img * 255).round().astype(np.uint8)
        return img.astype(dtype)

    def state(self, step_index: int) -> np.ndarray:
        """x_t [B, C, h, w] entering step ``step_index`` (which must have been recorded)."""
        where = np.flatnonzero(self.step_indices == step_index)
        if not len(where):
            raise KeyError(f"step {step_index} was not recorded (recorded: {self.step_indices.tolist()})")
        return self.x_t[where[0]]

    def start_from(self, step_index: int, sample: int | None = None) -> dict:
        """``capture`` keyword arguments that continue this trajectory from ``step_index``.

        With ``sample`` the branch starts from that one sample's state (broadcast over the new batch).
        """
        x = self.state(step_index)
        if sample is not None:
            x = x[sample : sample + 1]
        return {"init_latents": torch.from_numpy(np.ascontiguousarray(x)), "start_step": int(step_index)}


def to_uint8_frames(images: np.ndarray) -> np.ndarray:
    """[..., 3, H, W] in [-1, 1] -> uint8 [..., H, W, 3] (the same rounding as a pipeline's PIL output)."""
    img = np.clip(images / 2 + 0.5, 0.0, 1.0)
    img = np.moveaxis(img, -3, -1)
    return (img * 255).round().astype(np.uint8)


# ------------------------------------------------------------------------------------------ capture


def _is_single(value) -> bool:
    return isinstance(value, (str, int, float, TextEmbedding)) or np.isscalar(value)


def _broadcast(name: str, value, batch: int) -> list:
    if _is_single(value):
        return [value] * batch
    value = list(value)
    if len(value) == 1:
        return value * batch
    if len(value) != batch:
        raise ValueError(f"{name}: {len(value)} values for a batch of {batch}")
    return value


def _batch_size(*values) -> int:
    sizes = {len(v) for v in values if not _is_single(v)}
    sizes.discard(1)
    if len(sizes) > 1:
        raise ValueError(f"prompts/seeds/guidance_scales have different lengths {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def _alpha_bar(scheduler, t, index: int) -> float:
    """Signal fraction at the noise level of timesteps[index] (sigma-based samplers: 1/(1+sigma^2))."""
    sigmas = getattr(scheduler, "sigmas", None)
    if sigmas is not None and len(sigmas) > index and hasattr(scheduler, "step_index"):
        sigma = float(sigmas[index])
        return 1.0 / (1.0 + sigma * sigma)
    return float(scheduler.alphas_cumprod[int(round(float(t)))])


def _x0_from_output(out: torch.Tensor, x_in: torch.Tensor, alpha_bar: float, prediction_type: str) -> torch.Tensor:
    """x̂0 from the (guided) model output and the variance-preserving model input."""
    a, s = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    if prediction_type == "epsilon":
        return (x_in - s * out) / a
    if prediction_type == "v_prediction":
        return a * x_in - s * out
    if prediction_type == "sample":
        return out
    raise ValueError(f"prediction_type {prediction_type!r} not supported")


def _eps_from_output(out: torch.Tensor, x_in: torch.Tensor, alpha_bar: float, prediction_type: str) -> torch.Tensor:
    """The predicted noise ε from the model output and the variance-preserving model input."""
    a, s = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    if prediction_type == "epsilon":
        return out
    if prediction_type == "v_prediction":
        return a * out + s * x_in
    if prediction_type == "sample":
        return (x_in - a * out) / max(s, 1e-12)
    raise ValueError(f"prediction_type {prediction_type!r} not supported")


class StepRecorder:
    """What ``capture`` keeps of its steps: called once per step after the scheduler's update, as a diffusers
    pipeline calls ``callback_on_step_end``, it records the steps asked for and builds the Trajectory's arrays.

    ``record_steps`` records exactly those steps, else every ``capture_every``-th from ``start_step``; the last
    step always. ``decode`` (or a pixel model) keeps each recorded step's images as uint8 frames.
    """

    def __init__(self, model: LoadedModel, batch: int, start_step: int, last_step: int, capture_every: int,
                 record_steps: Sequence[int] | None, decode: bool, prediction_type: str):
        self.model, self.batch = model, batch
        self.start_step, self.last_step = start_step, last_step
        self.capture_every, self.record_steps = capture_every, record_steps
        self.frames = decode or model.vae is None
        self.prediction_type = prediction_type
        self.arrays: dict[str, list[np.ndarray]] = {name: [] for name in _TENSORS + ("xt_frames", "x0_frames")}
        self.steps: list[int] = []
        self.timesteps: list[float] = []
        self.alpha_bar: list[float] = []

    def wants(self, i: int) -> bool:
        if i == self.last_step:
            return True
        if self.record_steps is not None:
            return i in self.record_steps
        return (i - self.start_step) % self.capture_every == 0

    def __call__(self, i: int, t, alpha_bar: float, x: torch.Tensor, x_in: torch.Tensor, out_u: torch.Tensor,
                 out_c: torch.Tensor, guided: torch.Tensor, result) -> None:
        """Step ``i`` at timestep ``t``: state ``x`` entering it, UNet input ``x_in`` (the sample half), the UNet's
        unconditional / conditional / guided outputs and the scheduler's step result."""
        if not self.wants(i):
            return
        kind = self.prediction_type
        x0 = getattr(result, "pred_original_sample", None)
        if x0 is None:
            x0 = _x0_from_output(guided, x_in, alpha_bar, kind)
        eps_c, eps_u, eps = (_eps_from_output(o, x_in, alpha_bar, kind) for o in (out_c, out_u, guided))
        for name, value in (("x_t", x), ("x_in", x_in), ("x0", x0), ("eps_cond", eps_c), ("eps_uncond", eps_u),
                            ("eps", eps)):
            self.arrays[name].append(_np(value))
        if self.frames:
            self.arrays["xt_frames"].append(to_uint8_frames(_np(self.model.decode(x_in))))
            self.arrays["x0_frames"].append(to_uint8_frames(_np(self.model.decode(x0))))
        self.steps.append(i)
        self.timesteps.append(float(t))
        self.alpha_bar.append(alpha_bar)

    def trajectory(self, settings: dict, final: np.ndarray, final_image: np.ndarray) -> Trajectory:
        empty = np.zeros((len(self.steps), self.batch, 0, 0, 3), np.uint8)
        frames = {name: np.stack(self.arrays[name]) if self.arrays[name] else empty
                  for name in ("xt_frames", "x0_frames")}
        return Trajectory(
            settings=settings,
            step_indices=np.asarray(self.steps, dtype=np.int64),
            timesteps=np.asarray(self.timesteps, dtype=np.float32),
            alpha_bar=np.asarray(self.alpha_bar, dtype=np.float32),
            **{name: np.stack(self.arrays[name]) for name in _TENSORS},
            **frames,
            final=final,
            final_image=final_image,
        )


@torch.no_grad()
def capture(
    model: LoadedModel,
    prompts: str | TextEmbedding | Sequence[str | TextEmbedding],
    seeds: int | Sequence[int],
    guidance_scales: float | Sequence[float],
    num_steps: int,
    scheduler="ddim",
    eta: float = 0.0,
    capture_every: int = 1,
    progress: bool = True,
    init_latents: torch.Tensor | np.ndarray | None = None,
    start_step: int = 0,
    decode: bool = True,
    precision: str = "fp32",
    record_steps: Sequence[int] | None = None,
) -> Trajectory:
    """Sample one batch with per-sample prompt/seed/guidance and record the trajectory.

    ``capture_every=k`` records steps start_step, start_step+k, ... and always the last step;
    ``record_steps`` instead records exactly those steps (and always the last).
    ``init_latents`` (with ``start_step``) continues from a recorded state x_t instead of fresh noise:
    the scheduler state entering step ``start_step`` exactly as ``Trajectory.x_t`` holds it (not
    rescaled); [C,h,w] or [1,C,h,w] is broadcast to the batch. ``decode=False`` skips the VAE for the
    per-step frames of latent models (they are then empty, [S, B, 0, 0, 3]; the final image is always
    decoded).
    ``precision="bf16"`` runs the UNet under bf16 autocast (about 2x faster on a CPU with AVX512-bf16;
    see ``loading.bf16_is_fast``): for sweeps and evaluation. The default fp32 matches the diffusers
    pipeline to 1e-3.
    """
    from tqdm.auto import tqdm

    # 1. Check inputs: one prompt, seed and guidance scale per sample.
    batch = _batch_size(prompts, seeds, guidance_scales)
    prompts = [p if isinstance(p, TextEmbedding) else str(p) for p in _broadcast("prompts", prompts, batch)]
    seeds = [int(s) for s in _broadcast("seeds", seeds, batch)]
    scales = [float(s) for s in _broadcast("guidance_scales", guidance_scales, batch)]
    if capture_every < 1:
        raise ValueError("capture_every must be >= 1")
    if precision not in PRECISIONS:
        raise ValueError(f"precision '{precision}': one of {', '.join(PRECISIONS)}")
    device, dtype = model.device, model.dtype

    # 2. Prepare the scheduler and its timesteps (a branch begins at start_step).
    sched = make_scheduler(model, scheduler)
    sched.set_timesteps(num_steps, device=device)
    timesteps = sched.timesteps
    if not 0 <= start_step < len(timesteps):
        raise ValueError(f"start_step {start_step} outside 0..{len(timesteps) - 1}")
    if start_step and hasattr(sched, "set_begin_index"):
        sched.set_begin_index(start_step)

    # 3. Prepare latents: each sample's noise from its own seed, or the state a branch continues from.
    generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
    x = _prepare_latents(model, sched, batch, generators, init_latents, start_step)

    # 4. Encode prompts: [unconditional; conditional] rows, and which rows share a conditioning.
    cond = _conditioning(model, prompts)
    uncond = model.uncond.expand(batch)
    states = torch.cat([uncond.states, cond.states]).to(dtype)
    mask = torch.cat([uncond.mask, cond.mask]) if model.use_attention_mask else None
    cond_ids = _conditioning_ids(states, mask)
    s = torch.tensor(scales, device=device, dtype=dtype).view(batch, 1, 1, 1)
    step_kwargs = _step_kwargs(sched, generators, eta)
    pred_type = sched.config.get("prediction_type", "epsilon")

    # 5. Denoising loop, with classifier-free guidance; the recorder keeps what each step showed.
    last = len(timesteps) - 1
    recorder = StepRecorder(model, batch, start_step, last, capture_every, record_steps, decode, pred_type)
    evaluations = 0
    bar = tqdm(total=last + 1 - start_step, disable=not progress, desc=f"{model.name} {scheduler_name(scheduler)}",
               leave=False)
    try:
        for i in range(start_step, last + 1):
            t = timesteps[i]
            alpha_bar = _alpha_bar(sched, t, i)  # before step(): it advances the scheduler's index
            inp = sched.scale_model_input(torch.cat([x, x]), t)
            out, n = _denoise_shared(model.unet, inp, t, states, mask, cond_ids, bf16=precision == "bf16")
            evaluations += n
            out_u, out_c = out.chunk(2)
            guided = out_u + s * (out_c - out_u)
            result = sched.step(guided, t, x, **step_kwargs, return_dict=True)
            recorder(i, t, alpha_bar, x=x, x_in=inp[:batch], out_u=out_u, out_c=out_c, guided=guided, result=result)
            x = result.prev_sample
            bar.update()
    finally:
        bar.close()

    # 6. Finish: decode the final sample, note the settings.
    settings = {
        "model": model.name,
        "kind": model.kind,
        "prompts": [p if isinstance(p, str) else "<embedding>" for p in prompts],
        "seeds": seeds,
        "guidance_scales": scales,
        "num_steps": int(num_steps),
        "scheduler": scheduler_name(scheduler),
        "scheduler_class": type(sched).__name__,
        "scheduler_config": _jsonable(dict(sched.config)),
        "eta": float(eta),
        "capture_every": int(capture_every),
        "start_step": int(start_step),
        "branched": init_latents is not None,
        "prediction_type": pred_type,
        "sample_shape": list(model.sample_shape),
        "image_size": list(model.image_size),
        "text_encoder": model.text_encoder_name,
        "dtype": str(dtype).replace("torch.", ""),
        "precision": precision,
        "unet_evaluations": evaluations,
    }
    final_image = _np(model.decode(x))
    return recorder.trajectory(settings, final=_np(x), final_image=final_image)


def _prepare_latents(model: LoadedModel, sched, batch: int, generators: list, init_latents, start_step: int):
    """The state entering the first step: fresh noise (sample b from ``generators[b]``, scaled to the scheduler's
    first noise level), or a copy of ``init_latents`` ([C,h,w] or [1,C,h,w] broadcast to the batch)."""
    from diffusers.utils.torch_utils import randn_tensor

    device, dtype = model.device, model.dtype
    shape = (batch, *model.sample_shape)
    if init_latents is None:
        if start_step:
            raise ValueError("start_step > 0 needs init_latents (the state x_t entering that step)")
        return randn_tensor(shape, generator=generators, device=device, dtype=dtype) * sched.init_noise_sigma
    x = torch.as_tensor(init_latents).to(device=device, dtype=dtype)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.shape[0] == 1 and batch > 1:
        x = x.expand(batch, -1, -1, -1)
    if tuple(x.shape) != shape:
        raise ValueError(f"init_latents shape {tuple(x.shape)} != {shape}")
    return x.clone()


def _conditioning(model: LoadedModel, prompts: list) -> TextEmbedding:
    """Per-sample conditioning: each distinct text encoded on its own (so a prompt's embedding does not depend
    on what else is in the batch: batched matmuls round differently), precomputed embeddings spliced in."""
    encoded = {p: model.encode([p]) for p in dict.fromkeys(p for p in prompts if isinstance(p, str))}
    shape = tuple(model.uncond.states.shape[1:])
    states, masks = [], []
    for p in prompts:
        if isinstance(p, str):
            s, m = encoded[p].states[0], encoded[p].mask[0]
        else:
            if tuple(p.states.shape) != (1, *shape):
                raise ValueError(f"a precomputed conditioning must be [1, {shape[0]}, {shape[1]}] like the "
                                 f"model's text encoder output, got {list(p.states.shape)}")
            s, m = p.states[0], p.mask[0]
        states.append(s.to(model.device, model.uncond.states.dtype))
        masks.append(m.to(model.device, model.uncond.mask.dtype))
    return TextEmbedding(torch.stack(states), None, torch.stack(masks))


def _conditioning_ids(states: torch.Tensor, mask) -> list[int]:
    """One id per UNet input row, equal for rows with identical conditioning (states and mask)."""
    ids, seen = [], {}
    for r in range(states.shape[0]):
        key = _np(states[r]).tobytes() + (b"" if mask is None else _np(mask[r]).tobytes())
        ids.append(seen.setdefault(key, len(seen)))
    return ids


def _denoise_shared(unet, inp: torch.Tensor, t, states: torch.Tensor, mask, cond_ids: list[int], bf16: bool):
    """The UNet's output for ``inp``, each distinct (input, conditioning) row computed once.

    Rows repeat when samples share a state and a conditioning: the unconditional rows of samples with one
    seed at the first step, or whole samples that differ only in guidance. Returns (output, rows computed)."""
    rows = _np(inp)
    unique: dict[tuple, int] = {}
    firsts, index = [], []
    for r in range(len(rows)):
        key = (cond_ids[r], rows[r].tobytes())
        if key not in unique:
            unique[key] = len(firsts)
            firsts.append(r)
        index.append(unique[key])
    if len(firsts) == len(rows):
        return _denoise(unet, inp, t, states, mask, bf16), len(rows)
    pick = torch.tensor(firsts, device=inp.device)
    out = _denoise(unet, inp[pick], t, states[pick], None if mask is None else mask[pick], bf16)
    return out[torch.tensor(index, device=inp.device)], len(firsts)


def _denoise(unet, inp: torch.Tensor, t, states: torch.Tensor, mask, bf16: bool) -> torch.Tensor:
    """The UNet's output for ``inp``, in slices of UNET_SLICE images (each image is computed on its own)."""
    outs = []
    with torch.autocast(inp.device.type, dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, inp.shape[0], UNET_SLICE):
            part = slice(i, i + UNET_SLICE)
            outs.append(unet(inp[part], t, encoder_hidden_states=states[part],
                             encoder_attention_mask=None if mask is None else mask[part], return_dict=False)[0])
    return torch.cat(outs).to(inp.dtype)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy().copy()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)
