"""The parts of a text-to-image diffusion model and the tensor between each pair, read from the model itself.

``describe_anatomy(model, prompt)`` runs the prompt through a loaded model (any ``load_model`` spec) once:
its tokenizer (the real tokens and ids), its text encoder (the shape of the token states), one denoiser
call at the first timestep with forward hooks on every top-level part of the UNet (module name, class,
parameter count, output shape) and, for latent models, one VAE decode. ``describe_published(configs)``
gives the same description for a model known only by its published configuration (Stable Diffusion 1.5
in ``sd15_configs.json``): the parts are built with empty weights on the meta device, so the shapes come
from a real (shape-only) forward pass and the parameter counts from the real modules, with nothing
downloaded. Its tokenizer's vocabulary is not here, so its tokens are not listed (``tokens`` is None).

The description is plain JSON (lists, numbers, strings): chapter 03's data is made of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .loading import LoadedModel

SD15_CONFIGS = Path(__file__).with_name("sd15_configs.json")

# A UNet's top-level modules grouped into the stages a diagram draws (diffusers' names).
UNET_STAGES = {
    "conv_in": "in",
    "time_proj": "time",
    "time_embedding": "time",
    "down_blocks": "down",
    "mid_block": "middle",
    "up_blocks": "up",
    "conv_norm_out": "out",
    "conv_act": "out",
    "conv_out": "out",
}


def n_params(module: torch.nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def read_configs(path: Path = SD15_CONFIGS) -> dict:
    return json.loads(Path(path).read_text())


# ------------------------------------------------------------------------------------------ loaded


@torch.no_grad()
def describe_anatomy(model: LoadedModel, prompt: str) -> dict:
    """The description of a loaded model, following ``prompt`` through it."""
    if model.tokenizer is None or model.text_encoder is None:
        raise ValueError(f"model '{model.name}': loaded without its tokenizer/text encoder (use load_model)")
    emb = model.encode([prompt])
    length = int(emb.states.shape[1])
    tok = model.tokenizer(prompt, padding="max_length", max_length=length, truncation=True)
    real = int(sum(tok["attention_mask"]))
    ids = [int(i) for i in tok["input_ids"][:real]]
    tokenizer = {
        "class": type(model.tokenizer).__name__,
        "vocab_size": int(len(model.tokenizer)),
        "tokens": model.tokenizer.convert_ids_to_tokens(ids),
        "ids": ids,
        "count": real,
        "special": sum(i in set(model.tokenizer.all_special_ids) for i in ids),  # [CLS]/[SEP], <|startoftext|>, ...
        "padded_to": length,
        "pad_token": model.tokenizer.pad_token,
    }
    gen = torch.Generator("cpu").manual_seed(0)
    sample = torch.randn((1, *model.sample_shape), generator=gen).to(model.device, model.dtype)
    t = torch.tensor(int(model.scheduler_config.get("num_train_timesteps", 1000)) - 1, device=model.device)
    mask = emb.mask if model.use_attention_mask else None
    return _describe(
        name=model.name, kind=model.kind, prompt=prompt, tokenizer=tokenizer,
        text_encoder=model.text_encoder, text_encoder_name=model.text_encoder_name, states=emb.states,
        pooled=emb.pooled, unet=model.unet, sample=sample, t=t, mask=mask, vae=model.vae,
        scheduler_config=model.scheduler_config, padding_masked=model.use_attention_mask,
    )


# --------------------------------------------------------------------------------------- published


@torch.no_grad()
def describe_published(configs: dict, prompt: str = "") -> dict:
    """The description of a UNet + AutoencoderKL + CLIPTextModel model from its configs, on the meta device."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(configs["unet"])
        vae = AutoencoderKL.from_config(configs["vae"])
        text_encoder = CLIPTextModel(CLIPTextConfig.from_dict(configs["text_encoder"]))
    meta = torch.device("meta")
    length = int(configs["tokenizer"]["model_max_length"])
    ids = torch.zeros((1, length), dtype=torch.long, device=meta)
    out = text_encoder(ids)
    tokenizer = {
        "class": configs["tokenizer"]["_class_name"],
        "vocab_size": int(configs["text_encoder"]["vocab_size"]),
        "tokens": None,  # the vocabulary is not part of the published configs
        "ids": None,
        "count": None,
        "special": None,
        "padded_to": length,
        "pad_token": None,
    }
    sample_size = unet.config.sample_size
    sample = torch.zeros((1, unet.config.in_channels, sample_size, sample_size), device=meta)
    t = torch.tensor(int(configs["scheduler"]["num_train_timesteps"]) - 1, device=meta)
    return _describe(
        name=configs.get("name", "published configuration"), kind="latent", prompt=prompt, tokenizer=tokenizer,
        text_encoder=text_encoder, text_encoder_name=type(text_encoder).__name__, states=out.last_hidden_state,
        pooled=out.pooler_output, unet=unet, sample=sample, t=t, mask=None, vae=vae,
        scheduler_config=configs["scheduler"], padding_masked=False,
    )


# ------------------------------------------------------------------------------------------ shared


def _describe(*, name, kind, prompt, tokenizer, text_encoder, text_encoder_name, states, pooled, unet, sample,
              t, mask, vae, scheduler_config, padding_masked) -> dict:
    parts, attention_sizes, out_shape = _trace_unet(unet, sample, t, states.to(sample.dtype), mask)
    te_params, unet_params = n_params(text_encoder), n_params(unet)
    cross = sum(n_params(m) for n, m in unet.named_modules() if n.endswith(".attn2"))
    description = {
        "name": name,
        "kind": kind,
        "prompt": prompt,
        "tokenizer": tokenizer,
        "text_encoder": {
            "name": text_encoder_name,
            "class": type(text_encoder).__name__,
            "parameters": te_params,
            "layers": int(text_encoder.config.num_hidden_layers),
            "width": int(text_encoder.config.hidden_size),
            "states_shape": list(states.shape),
            "pooled_shape": None if pooled is None else list(pooled.shape),
            "padding_masked": bool(padding_masked),  # whether the denoiser ignores the padding tokens
        },
        "denoiser": {
            "class": type(unet).__name__,
            "parameters": unet_params,
            "input_shape": list(sample.shape),
            "output_shape": out_shape,
            "text_shape": list(states.shape),
            "cross_attention_parameters": cross,
            "attention_resolutions": attention_sizes,
            "block_out_channels": [int(c) for c in unet.config.block_out_channels],
            "parts": parts,
            "stages": _stage_totals(parts),
        },
        "scheduler": {
            "class": scheduler_config.get("_class_name"),
            "num_train_timesteps": int(scheduler_config.get("num_train_timesteps", 1000)),
            "beta_schedule": scheduler_config.get("beta_schedule"),
            "prediction_type": scheduler_config.get("prediction_type", "epsilon"),
        },
        "decoder": None,
    }
    image_shape = list(sample.shape)
    if vae is not None:
        image = vae.decode(sample.to(vae.dtype), return_dict=False)[0]
        image_shape = list(image.shape)
        description["decoder"] = {
            "class": type(vae).__name__,
            "parameters": n_params(vae),
            "decoder_parameters": n_params(vae.decoder) + n_params(getattr(vae, "post_quant_conv", None)),
            "encoder_parameters": n_params(vae.encoder) + n_params(getattr(vae, "quant_conv", None)),
            "latent_shape": list(sample.shape),
            "image_shape": image_shape,
            "scale_factor": image_shape[-1] // int(sample.shape[-1]),
        }
    sample_values = _numel(sample.shape[1:])
    image_values = _numel(image_shape[1:])
    description["image"] = {
        "channels": image_shape[1], "height": image_shape[2], "width": image_shape[3],
        "values": image_values,
        "sample_values": sample_values,
        "compression": image_values / sample_values,  # how many fewer numbers the denoiser works on
    }
    description["parameters"] = te_params + unet_params + n_params(vae)
    return description


def _trace_unet(unet, sample, t, states, mask) -> tuple[list[dict], list[int], list[int]]:
    """One UNet call with hooks: each top-level part's name, class, parameters, input and output shape, in
    call order; the spatial sizes at which its transformer (attention) blocks run, largest first; the output shape."""
    from diffusers.models.transformers.transformer_2d import Transformer2DModel

    parts: list[dict] = []
    sizes: set[int] = set()

    def record(part_name):
        def hook(module, args, kwargs, output):
            first = output[0] if isinstance(output, tuple) else output
            given = args[0] if args else kwargs.get("hidden_states", kwargs.get("sample"))
            stage = part_name.split(".")[0]
            parts.append({"name": part_name, "class": type(module).__name__, "stage": UNET_STAGES.get(stage, stage),
                          "parameters": n_params(module), "input_shape": list(given.shape), "shape": list(first.shape)})
        return hook

    def attention(module, args, output):
        first = output[0] if isinstance(output, tuple) else output
        sizes.add(int(first.shape[-1]))

    handles = []
    for name, child in unet.named_children():
        members = child.named_children() if isinstance(child, torch.nn.ModuleList) else [(None, child)]
        for index, module in members:
            handles.append(module.register_forward_hook(record(name if index is None else f"{name}.{index}"),
                                                        with_kwargs=True))
    handles += [m.register_forward_hook(attention) for m in unet.modules() if isinstance(m, Transformer2DModel)]
    try:
        out = unet(sample, t, encoder_hidden_states=states, encoder_attention_mask=mask, return_dict=False)[0]
    finally:
        for h in handles:
            h.remove()
    return parts, sorted(sizes, reverse=True), list(out.shape)


def _stage_totals(parts: list[dict]) -> list[dict]:
    """Parameters per diagram stage (in, time, down, middle, up, out), in call order."""
    totals: dict[str, int] = {}
    for p in parts:
        totals[p["stage"]] = totals.get(p["stage"], 0) + p["parameters"]
    return [{"stage": s, "parameters": n} for s, n in totals.items()]


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n
