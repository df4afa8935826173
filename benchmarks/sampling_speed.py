"""Denoiser speed of the embedded model on this machine: UNet evaluations per second at 64x64.

    python benchmarks/sampling_speed.py [--model embedded] [--batches 1 8 16 48] [--images 16]

Each sampling step with classifier-free guidance costs two evaluations per image (conditional and
unconditional, batched together). Prints evals/s of the bare UNet in fp32 and, where the CPU has bf16,
with autocast; then what the data stage gets end to end: ``capture`` of --images images (DDIM, with
guidance, sliced UNet calls) in image-steps/s and evals/s, fp32 vs bf16.
"""

import argparse
import os
import time

import torch

from render_data.capture import capture
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
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 16, 48])
    parser.add_argument("--images", type=int, default=16, help="images per capture run (default %(default)s)")
    parser.add_argument("--steps", type=int, default=10, help="steps per capture run (default %(default)s)")
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

    print(f"\ncapture: {args.images} images x {args.steps} DDIM steps with guidance")
    print(f"{'precision':>10} {'image-steps/s':>14} {'evals/s':>9}")
    rates = {}
    for precision in ("fp32", "bf16") if has_bf16 else ("fp32",):
        started = time.perf_counter()
        capture(model, "a small glossy 3d snail", list(range(args.images)), 4.0, args.steps, capture_every=args.steps,
                progress=False, precision=precision)
        rates[precision] = args.images * args.steps / (time.perf_counter() - started)
        print(f"{precision:>10} {rates[precision]:>14.1f} {2 * rates[precision]:>9.1f}")
    if len(rates) == 2:
        print(f"bf16 captures {rates['bf16'] / rates['fp32']:.2f}x as fast as fp32")


if __name__ == "__main__":
    main()
