"""Chapter 10 data: guidance, ε = ε_u + s·(ε_c − ε_u), measured on real runs.

  - the arithmetic at one step of one run: the real ε_uncond, ε_cond, their difference, the guided ε for a
    few scales and the final image each of those ε's predicts at that step (x̂0), as uint8 images;
  - a sweep s = 0 ... 15 over a few seeds: the images, the label judge's adherence (probability and top-1 of
    the prompted subject), and the colour of the results (mean HSV saturation, RMS contrast, the fraction
    of burnt-out colour values at 0 or 255): the figures that back or refute "too much guidance looks
    unnatural";
  - the compass needle: the size of s·(ε_c − ε_u) (RMS per value) at that step, per s.
"""

import numpy as np

from render_data.capture import make_scheduler
from render_data.judge import load_judge
from render_data.knob_measures import clipped_fraction, display_signed, rms_contrast, saturation
from render_data.sweep import Run, load_sweep_model, sweep

CONFIG = {
    "model": "embedded",
    "prompt": "a snail",
    "subject": "snail",
    "scales": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
    "default_scale": 4.0,  # the scale the other chapters use: the ratios compare with it
    "seeds": [0, 1, 2, 3],  # the first is the fixed seed of the sweep's image row and of the arithmetic
    "steps": 20,
    "sampler": "ddim_from_noise",
    "eps_step": 5,  # the step (of 20) whose ε's the arithmetic shows: still noisy, the subject taking shape
    "display_scales": [0.0, 1.0, 4.0, 8.0, 15.0],
    "eps_display_range": 3.0,  # ε images: 0 -> grey, +-3 (3 standard deviations of unit noise) -> the extremes
}
USES_MODEL = True


def tiny_config() -> dict:
    return dict(CONFIG, scales=[0.0, 4.0, 15.0], seeds=[0, 1], steps=3, eps_step=1, display_scales=[0.0, 15.0])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def runs(config, model) -> list[Run]:
    """Every scale x seed (scale-major); the fixed seed's runs keep ε and x_t at eps_step."""
    fixed, k = config["seeds"][0], config["eps_step"]
    return [Run(config["prompt"], seed=seed, steps=config["steps"], guidance=s, sampler=config["sampler"],
                eps_steps=(k,) if seed == fixed else ()) for s in config["scales"] for seed in config["seeds"]]


def run(out, config, model_info):
    model = load_sweep_model(config["model"])
    scales, seeds, k = list(config["scales"]), list(config["seeds"]), config["eps_step"]
    default = config["default_scale"]
    fixed = seeds[0]
    results = sweep(model, runs(config, model))
    images = np.stack([r.image for r in results]).reshape(len(scales), len(seeds), *results[0].image.shape)
    out.array("images", images)  # [n_s, seeds, 64, 64, 3]; images[:, 0] is the fixed seed's row
    out.array("scales", np.asarray(scales, np.float32))

    # The arithmetic, from the default-scale run of the fixed seed at step k.
    arith = results[scales.index(default) * len(seeds)]
    eps_u, eps_c = arith.eps_uncond[k], arith.eps_cond[k]
    diff = eps_c - eps_u
    shown = list(config["display_scales"])
    guided = np.stack([eps_u + s * diff for s in shown])
    eps_range = config["eps_display_range"]
    diff_range = float(np.percentile(np.abs(diff), 99))  # the difference is small: shown on its own range
    out.array("eps_uncond", display_signed(eps_u, eps_range))
    out.array("eps_cond", display_signed(eps_c, eps_range))
    out.array("eps_diff", display_signed(diff, diff_range))
    out.array("eps_guided", display_signed(guided, eps_range))  # [n_display, 64, 64, 3]
    sched = make_scheduler(model, config["sampler"])
    sched.set_timesteps(config["steps"])
    t = int(sched.timesteps[k])
    alpha_bar = float(sched.alphas_cumprod[t])
    x_t = arith.x_t[k].astype(np.float64)
    x0 = (x_t[None] - np.sqrt(1 - alpha_bar) * guided) / np.sqrt(alpha_bar)  # what each ε predicts at step k
    out.array("x0_guided", display_signed(x0, 1.0))

    # The needle at step k in every run of the fixed seed.
    fixed_runs = [results[i * len(seeds)] for i in range(len(scales))]
    diff_rms = np.array([rms(r.eps_cond[k] - r.eps_uncond[k]) for r in fixed_runs])
    needle = np.abs(np.asarray(scales)) * diff_rms
    out.array("needle", needle.astype(np.float32))  # RMS of s·(ε_c − ε_u) per s
    out.array("diff_rms", diff_rms.astype(np.float32))

    # Adherence and colour per s over all seeds.
    judge = load_judge()
    subject = judge.classes["subject"].index(config["subject"])
    flat = images.reshape(-1, *images.shape[2:])
    probs = judge.predict(flat)["subject"].reshape(len(scales), len(seeds), -1)
    prob = probs[..., subject].mean(1)
    top1 = (probs.argmax(-1) == subject).mean(1)
    sat = saturation(flat).reshape(len(scales), len(seeds)).mean(1)
    contrast = rms_contrast(flat).reshape(len(scales), len(seeds)).mean(1)
    clipped = clipped_fraction(flat).reshape(len(scales), len(seeds)).mean(1)
    for name, value in (("adherence_prob", prob), ("adherence_top1", top1), ("saturation", sat),
                        ("contrast", contrast), ("clipped", clipped)):
        out.array(name, value.astype(np.float32))

    i_def, i_max = scales.index(default), len(scales) - 1
    ratio = lambda v: round(float(v[i_max] / max(v[i_def], 1e-12)), 2)  # noqa: E731
    peak = int(prob.argmax())
    out.fact("run", prompt=config["prompt"], seeds=len(seeds), fixed_seed=fixed, steps=config["steps"],
             sampler=config["sampler"], smallest_scale=scales[0], largest_scale=scales[-1], default_scale=default)
    out.fact("arithmetic", step=k + 1, timestep=t, scale=default, display_scales=shown, eps_display_range=eps_range,
             diff_display_range=round(diff_range, 4), diff_display_gain=round(eps_range / diff_range, 1),
             uncond_rms=round(rms(eps_u), 3), cond_rms=round(rms(eps_c), 3), diff_rms=round(rms(diff), 4),
             diff_to_uncond_pct=round(100 * rms(diff) / rms(eps_u), 1))
    out.fact("needle", at_default=round(float(needle[i_def]), 4), at_max=round(float(needle[i_max]), 4),
             max_to_default_ratio=round(float(needle[i_max] / max(needle[i_def], 1e-12)), 2),
             diff_rms_min=round(float(diff_rms.min()), 4), diff_rms_max=round(float(diff_rms.max()), 4))
    out.fact("adherence", at_zero=round(float(prob[0]), 3), at_default=round(float(prob[i_def]), 3),
             at_max=round(float(prob[i_max]), 3), top1_at_zero=round(float(top1[0]), 3),
             top1_at_default=round(float(top1[i_def]), 3), top1_at_max=round(float(top1[i_max]), 3),
             peak_scale=scales[peak], peak=round(float(prob[peak]), 3),
             guidance_helps=bool(prob[i_def] > prob[0]), falls_after_peak=bool(prob[i_max] < prob[peak]),
             fall_from_peak_pct=round(100 * float(prob[peak] - prob[i_max]) / max(float(prob[peak]), 1e-12), 1))
    out.fact("colour", saturation_at_default=round(float(sat[i_def]), 3), saturation_at_max=round(float(sat[i_max]), 3),
             guidance_saturation_ratio=ratio(sat), contrast_at_default=round(float(contrast[i_def]), 3),
             contrast_at_max=round(float(contrast[i_max]), 3), guidance_contrast_ratio=ratio(contrast),
             clipped_at_default=round(float(clipped[i_def]), 4), clipped_at_max=round(float(clipped[i_max]), 4),
             guidance_clipped_ratio=ratio(clipped),
             saturation_at_zero=round(float(sat[0]), 3), clipped_at_zero=round(float(clipped[0]), 4),
             clipped_pct_at_default=round(100 * float(clipped[i_def]), 1),
             clipped_pct_at_max=round(100 * float(clipped[i_max]), 1))
