"""Train the embedded model: python -m render_data.model_factory.train --help

Resumable in chunks (a GPU machine gives at most 10 minutes a command): every run continues from
build/train/checkpoint.pt when it exists, stops at --steps or after --minutes, saves the checkpoint
(weights, EMA, optimizer, step, loss log) and exports the EMA weights to models/embedded.
The checkpoint lives in build/ and does not travel with a clone; --init-from models/embedded starts
from the committed weights instead (step count, time and loss log carry on; the optimizer starts afresh).

Recipe: epsilon prediction on a cosine schedule, min-SNR-5 loss weighting (faster convergence), 10%
caption dropout (so classifier-free guidance works), AdamW with warm-up, EMA of the weights.
Data: emoji sprites composed on the fly (render_data.model_factory.compose), captions at several levels of detail.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from journey_base.paths import BUILD

from ..models import EMBEDDED_DIR
from .recipe import TEXT_ENCODER, UNET_CONFIG, build_noise_scheduler, build_unet, save_embedded

CAPTION_DROPOUT = 0.1
MIN_SNR_GAMMA = 5.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m render_data.model_factory.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=20000, help="total optimizer steps (default %(default)s)")
    p.add_argument("--minutes", type=float, default=9.0, help="stop this run after this long (default %(default)s)")
    p.add_argument("--batch", type=int, default=128, help="images per step (default %(default)s)")
    p.add_argument("--lr", type=float, default=4e-4, help="peak learning rate (default %(default)s)")
    p.add_argument("--warmup", type=int, default=500, help="learning-rate warm-up steps")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--compile", action="store_true", help="torch.compile the UNet (GPU)")
    p.add_argument("--checkpoint", type=Path, default=BUILD / "train" / "checkpoint.pt")
    p.add_argument("--export", type=Path, default=EMBEDDED_DIR, help="where the EMA weights are saved")
    p.add_argument("--label", default="", help="free text for the model card (e.g. 'interim CPU model')")
    p.add_argument("--save-every", type=int, default=500)
    p.add_argument("--init-from", type=Path, default=None, metavar="MODEL_DIR",
                   help="with no checkpoint: start from an exported model (e.g. models/embedded) and carry on its "
                        "step count, time and loss log")
    p.add_argument("--export-only", action="store_true",
                   help="export the checkpoint's EMA weights to --export and stop (no training, no checkpoint write)")
    return p.parse_args(argv)


def lr_at(step: int, args) -> float:
    return args.lr * min(1.0, (step + 1) / max(1, args.warmup))


def load_checkpoint(path: Path, unet, ema, opt, args):
    if not path.exists():
        return init_from_export(args.init_from, unet, ema, args) if args.init_from else (0, [], 0.0)
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["unet_config"] != UNET_CONFIG:
        raise SystemExit(f"error: {path} was trained with another UNet config; move it away to start afresh")
    unet.load_state_dict(state["unet"])
    ema.load_state_dict(state["ema"])
    opt.load_state_dict(state["opt"])
    if args.export_only:  # describe the run that made the checkpoint, not this command's defaults
        for key in ("batch", "lr", "ema", "label"):
            if key in state.get("args", {}):
                setattr(args, key, state["args"][key])
    return state["step"], state["log"], state.get("seconds", 0.0)


def init_from_export(folder: Path, unet, ema, args):
    """Start from exported (fp16, EMA) weights: both the trained and the EMA copy begin there."""
    from safetensors.torch import load_file

    files = sorted((folder / "unet").glob("*.safetensors"))
    config = folder / "unet" / "config.json"
    if not files or not config.exists():
        raise SystemExit(f"error: --init-from {folder}: no unet/config.json + *.safetensors there")
    saved = json.loads(config.read_text())
    differs = sorted(k for k, v in UNET_CONFIG.items() if saved.get(k) != v)
    if differs:
        raise SystemExit(f"error: --init-from {folder}: its UNet differs from the recipe in {', '.join(differs)}")
    state = {}
    for f in files:
        state.update(load_file(f))
    unet.load_state_dict({k: v.float() for k, v in state.items()})
    ema.load_state_dict(unet.state_dict())
    info = json.loads((folder / "training.json").read_text()) if (folder / "training.json").exists() else {}
    if not args.label and info.get("label"):
        args.label = info["label"]
    print(f"starting from {folder} (step {info.get('steps', 0)}); the optimizer starts afresh")
    return int(info.get("steps", 0)), list(info.get("loss_log", [])), float(info.get("train_seconds", 0.0))


def save_checkpoint(path: Path, unet, ema, opt, step, log, seconds, args):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                "log": log, "seconds": seconds, "unet_config": UNET_CONFIG,
                "args": {k: getattr(args, k) for k in ("batch", "lr", "ema", "label")}}, tmp)
    os.replace(tmp, path)


def main(argv=None):
    from ..loading import bf16_is_fast, load_text_encoder
    from .compose import make_batch
    from .specs import sample_specs
    from .sprites import load_sprites

    args = parse_args(argv)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    use_bf16 = bf16_is_fast(device)  # AVX512-bf16 halves a CPU step
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    sprites = load_sprites()
    encode, _, _ = load_text_encoder(TEXT_ENCODER, args.export, "embedded (training)", device, torch.float32)
    unet = build_unet().to(device)
    ema = copy.deepcopy(unet).requires_grad_(False)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    step, log, seconds_before = load_checkpoint(args.checkpoint, unet, ema, opt, args)
    unet.to(device)
    ema.to(device)
    noise_scheduler = build_noise_scheduler()
    alphas = noise_scheduler.alphas_cumprod.to(device)
    if args.export_only:
        save_embedded(ema.to("cpu"), args.export, _training_info(args, step, log, seconds_before, device, unet))
        print(f"exported step {step} EMA weights to {args.export}")
        return
    model = torch.compile(unet) if args.compile else unet
    n_params = sum(p.numel() for p in unet.parameters())
    print(f"training {n_params / 1e6:.1f}M-parameter UNet on {device} from step {step}, batch {args.batch}")

    started = time.perf_counter()
    bar = tqdm(total=args.steps, initial=step, desc="train", unit="step")
    rng = np.random.default_rng(args.seed + step)
    running = []
    while step < args.steps and (time.perf_counter() - started) < args.minutes * 60:
        specs = sample_specs(args.batch, seed=args.seed * 1_000_003 + step)
        images, captions, _ = make_batch(sprites, specs)
        captions = ["" if rng.random() < CAPTION_DROPOUT else c for c in captions]
        x0 = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        text = encode(captions)
        noise = torch.randn_like(x0)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (x0.shape[0],), device=device)
        xt = noise_scheduler.add_noise(x0, noise, t)
        snr = alphas[t] / (1 - alphas[t])
        weight = torch.clamp(snr, max=MIN_SNR_GAMMA) / snr  # min-SNR weighting for epsilon prediction
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            pred = model(xt, t, encoder_hidden_states=text.states, encoder_attention_mask=text.mask).sample
        loss = (weight * F.mse_loss(pred.float(), noise, reduction="none").mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.lerp_(p, 1 - decay)
        step += 1
        running.append(loss.item())
        if len(running) == 50:  # a full 50 steps of this run (a resumed run does not start on a multiple of 50)
            log.append([step, float(np.mean(running))])
            running.clear()
            bar.set_postfix(loss=f"{log[-1][1]:.4f}")
        bar.update(1)
        if step % args.save_every == 0:
            save_checkpoint(args.checkpoint, unet, ema, opt, step, log, seconds_before + time.perf_counter() - started,
                            args)
    bar.close()
    seconds = seconds_before + time.perf_counter() - started
    save_checkpoint(args.checkpoint, unet, ema, opt, step, log, seconds, args)
    save_embedded(ema.to("cpu"), args.export, _training_info(args, step, log, seconds, device, unet))
    print(f"step {step}: saved checkpoint {args.checkpoint} and EMA weights to {args.export}")


def _training_info(args, step, log, seconds, device, unet) -> dict:
    return {
        "label": args.label, "steps": step, "batch": args.batch, "lr": args.lr, "ema": args.ema,
        "caption_dropout": CAPTION_DROPOUT, "min_snr_gamma": MIN_SNR_GAMMA, "seed": args.seed,
        "train_seconds": round(seconds, 1), "device": _hardware(device),
        "parameters": sum(p.numel() for p in unet.parameters()), "loss_log": log[-400:],
    }


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()})"


if __name__ == "__main__":
    main()
