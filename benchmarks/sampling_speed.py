"""Denoiser speed of the embedded model on this machine: UNet evaluations per second at 64x64.

    python benchmarks/sampling_speed.py [--model embedded] [--batches 1 8 16]

Each sampling step with classifier-free guidance costs two evaluations per image (conditional and
unconditional, batched together). Prints evals/s in fp32 and, where the CPU has bf16, with autocast.
"""

import argparse
import os
import time

import torch

from render_data.loading import bf16_is_fast, load_model


def evals_per_second(unet, batch: int, states, mask, bf16: bool, repeats: int = 5) -> float:
    x = torch.randn(batch, *unet_shape(unet))
    t = torch.tensor(500)
    states, mask = states.expand(batch, -1, -1), mask.expand(batch, -1)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        unet(x, t, states, encoder_attention_mask=mask)  # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            unet(x, t, states, encoder_attention_mask=mask)
    return batch * repeats / (time.perf_counter() - started)


def unet_shape(unet):
    size = unet.config.sample_size
    return (unet.config.in_channels, size, size)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 16])
    args = parser.parse_args()
    model = load_model(args.model)
    emb = model.encode(["a small glossy 3d snail in the top left on a purple background"])
    has_bf16 = bf16_is_fast("cpu")
    print(f"{model.name}: {sum(p.numel() for p in model.unet.parameters()) / 1e6:.1f}M parameters, "
          f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}")
    print(f"{'batch':>6} {'fp32 evals/s':>13} {'bf16 evals/s':>13} {'bf16/fp32':>10}")
    for b in args.batches:
        fp32 = evals_per_second(model.unet, b, emb.states, emb.mask, bf16=False)
        bf16 = evals_per_second(model.unet, b, emb.states, emb.mask, bf16=True) if has_bf16 else float("nan")
        print(f"{b:>6} {fp32:>13.1f} {bf16:>13.1f} {bf16 / fp32:>10.2f}")


if __name__ == "__main__":
    main()
