"""The sweep engine vs the naive way, on the sweeps of chapters 06-10 (make bench).

    python benchmarks/sweep_speed.py [--chapters 06 07 08 09 10] [--naive-every 4]

Engine: each chapter's declared runs (``runs(CONFIG, model)`` of its experiment) through
``render_data.sweep.sweep``, batched as the data stage batches them: timed in bf16 (what the data stage
uses where the CPU has it) and in fp32. Naive: one diffusers pipeline call per distinct run
(``render_data.sweep.naive_image``: the model's pipeline, fp32, batch 1, the weights as loaded).

Equality: the engine's fp32 images vs the naive ones, max abs diff in [0, 1] image units. Rounding differs
between batch sizes (~1e-6 per UNet call) and a walk magnifies it with guidance, so the check is <= 1e-3
at s <= 4 and reported beside the pipeline's own disagreement between a batch of 1 and a batch of 4
above that.

Time: the naive way's cost is a sum over runs, so by default it is timed on every 4th distinct run of a
chapter (every run of 07: its runs differ in length) and scaled by image-steps to the whole sweep;
--naive-every 1 times every run (about 6 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from journey_base.chapters import EXPERIMENTS_DIR, load_module
from render_data.loading import bf16_is_fast, load_model
from render_data.sweep import load_sweep_model, naive_image, plan, sweep

CHAPTERS = ["06_starting_point", "07_dividing_the_path", "08_weight_of_words", "09_between_words",
            "10_pull_of_the_prompt"]
TOL = 1e-3
STABLE_SCALE = 4.0  # the equality bound is asserted at and below this guidance scale


def pipeline_batch_image(model, run, others: int = 3) -> np.ndarray:
    """``run`` made by the pipeline in a batch with ``others`` more seeds: the pipeline's own rounding spread."""
    pipe = model.pipeline
    cond = model.encode([run.prompt]) if run.embedding is None else run.embedding
    if run.guidance == 0:
        cond = model.uncond
    b = others + 1
    uncond = model.uncond.expand(b)
    out = pipe(prompt_embeds=cond.states.expand(b, -1, -1), negative_prompt_embeds=uncond.states,
               prompt_attention_mask=cond.mask.expand(b, -1), negative_prompt_attention_mask=uncond.mask,
               generator=[torch.Generator().manual_seed(run.seed + i * 1000) for i in range(b)],
               num_inference_steps=run.steps, guidance_scale=max(run.guidance, 1.0), output_type="np")
    return np.asarray(out.images[0], np.float32)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", nargs="+", default=[c[:2] for c in CHAPTERS], help="chapter numbers")
    parser.add_argument("--naive-every", type=int, default=4, help="time the naive way on every n-th run")
    args = parser.parse_args(argv)
    chosen = [c for c in CHAPTERS if c[:2] in args.chapters]
    engine = load_sweep_model()
    naive_model = load_model("embedded")  # the pipeline as a user gets it
    fast = "bf16" if bf16_is_fast(engine.device) else "fp32"
    print(f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}, engine precision {fast}")
    print(f"{'chapter':<24}{'runs':>5}{'batches':>8}{'img-steps':>10}{'engine':>8}{'fp32':>7}{'naive':>8}"
          f"{'x':>6}{'x fp32':>7}{'diff s<=4':>10}{'diff all':>9}{'>1e-3':>6}")
    totals = np.zeros(3)
    worst = (0.0, None)
    failures = []
    for cid in chosen:
        exp = load_module(EXPERIMENTS_DIR / f"{cid}.py", f"render_data.experiments.bench{cid[:2]}")
        runs = exp.runs(exp.CONFIG, engine)
        distinct = list({r.key: r for r in runs}.values())
        steps_all = sum(r.steps for r in distinct)
        started = time.perf_counter()
        sweep(engine, runs, precision=fast)
        t_fast = time.perf_counter() - started
        started = time.perf_counter()
        exact = {r.key: res for r, res in zip(runs, sweep(engine, runs, precision="fp32"))}
        t_fp32 = time.perf_counter() - started
        every = 1 if cid.startswith("07") else args.naive_every
        sample = distinct[::every]
        started = time.perf_counter()
        refs = [naive_image(naive_model, r) for r in sample]
        t_naive = (time.perf_counter() - started) * steps_all / sum(r.steps for r in sample)
        diffs = np.array([np.abs(exact[r.key].image_float - ref).max() for r, ref in zip(sample, refs)])
        stable = np.array([r.guidance <= STABLE_SCALE for r in sample])
        d_stable = float(diffs[stable].max()) if stable.any() else float("nan")
        if stable.any() and d_stable > TOL:
            failures.append(f"{cid}: max abs diff {d_stable:.2e} > {TOL} at s <= {STABLE_SCALE}")
        i = int(diffs.argmax())
        if diffs[i] > worst[0]:
            worst = (float(diffs[i]), sample[i])
        totals += (t_fast, t_fp32, t_naive)
        print(f"{cid:<24}{len(runs):>5}{len(plan(runs)):>8}{steps_all:>10}"
              f"{t_fast:>7.1f}s{t_fp32:>6.1f}s{t_naive:>7.1f}s"
              f"{t_naive / t_fast:>6.1f}{t_naive / t_fp32:>7.1f}{d_stable:>10.1e}{diffs.max():>9.1e}"
              f"{int((diffs > TOL).sum()):>3}/{len(sample)}")
    print(f"{'all':<24}{'':>23}{totals[0]:>7.1f}s{totals[1]:>6.1f}s{totals[2]:>7.1f}s"
          f"{totals[2] / totals[0]:>6.1f}{totals[2] / totals[1]:>7.1f}")
    print(f"engine ({fast}) vs naive (fp32, one pipeline call per run): {totals[2] / totals[0]:.1f}x; "
          f"like for like in fp32: {totals[2] / totals[1]:.1f}x; the naive time is "
          + ("measured on every run" if args.naive_every == 1 else f"scaled from every {args.naive_every}th run"))
    if worst[1] is not None and worst[0] > TOL:
        run = worst[1]
        alone = naive_image(naive_model, run)  # (sets the pipeline's scheduler for the batch call too)
        spread = np.abs(pipeline_batch_image(naive_model, run) - alone).max()
        print(f"largest diff {worst[0]:.1e} at s = {run.guidance} ({run.prompt or 'embedding'}, seed {run.seed}): "
              f"the pipeline alone vs the pipeline in a batch of 4 differ by {spread:.1e} there")
    for line in failures:
        print("FAIL", line)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
