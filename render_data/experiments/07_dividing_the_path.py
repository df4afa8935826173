"""Chapter 07 data: one seed walked in 1 ... 50 steps, each compared with a long walk of the same seed.

Claims it backs: "after about N steps, more steps change the image by less than x %", with N and x read
from the measured curve (see ``settle``); a walk of few big steps lands off the path that many small
steps follow (measured at the same noise level, and at the end).

Every step count starts at pure noise (sampler ``ddim_from_noise``: the first step is at t = 999 for every
count on the embedded model's zero-terminal-SNR schedule), so the counts differ only in how the path is divided; and that sampler walks the probability-flow
ODE without clipping, so more steps converge on one image.
"""

import numpy as np

from render_data.knob_measures import fit_plane, project_paths, rmse
from render_data.sweep import Run, load_sweep_model, sweep

CONFIG = {
    "model": "embedded",
    "prompt": "a snail",
    "seed": 0,
    "step_counts": [1, 2, 3, 5, 8, 12, 20, 30, 50],
    "reference_steps": 246,  # a long walk (stride 4) that starts at pure noise like the others
    "guidance_scale": 4.0,
    "sampler": "ddim_from_noise",
    "change_threshold_pct": 10.0,  # "changes less than x %": x is at most this (see settle)
    "walk_step_counts": [2, 50],  # the big-step walk and the small-step one drawn on the plane
}
USES_MODEL = True


def tiny_config() -> dict:
    return dict(CONFIG, step_counts=[1, 2, 4], reference_steps=8, walk_step_counts=[2, 4])


def settle(step_counts: list[int], images: np.ndarray, reference: np.ndarray, threshold_pct: float) -> dict:
    """When more steps stop mattering.

    distance[i]: RMSE of the image in step_counts[i] steps from the reference (a much longer walk).
    change_pct[i]: how much going on to the next count changes the image, RMSE(image[i], image[i+1]),
      in percent of distance[0] (how far the one-big-step image is from the reference).
    N: the smallest count from which every further change_pct is below ``threshold_pct``;
    x: the largest of those changes, rounded up to a whole percent (so x <= threshold, and the sentence
      "after about N steps, more steps change the image by less than x %" holds for every count measured).
    """
    distance = np.array([rmse(img, reference) for img in images])
    change = np.array([rmse(a, b) for a, b in zip(images[:-1], images[1:])]) / max(distance[0], 1e-12) * 100
    below = change < threshold_pct
    settled = [i for i in range(len(change)) if below[i:].all()]
    i = settled[0] if settled else None
    return {
        "distance": distance,
        "change_pct": change,
        "n": None if i is None else int(step_counts[i]),
        "x_pct": None if i is None else int(np.ceil(change[i:].max())),
    }


def runs(config, model) -> list[Run]:
    """One run per step count (the walks drawn on the plane keep their states), then the reference."""
    kw = dict(seed=config["seed"], guidance=config["guidance_scale"], sampler=config["sampler"])
    return [Run(config["prompt"], steps=k, states=k in config["walk_step_counts"], **kw)
            for k in config["step_counts"]] + [Run(config["prompt"], steps=config["reference_steps"], **kw)]


def run(out, config, model_info):
    model = load_sweep_model(config["model"])
    counts = list(config["step_counts"])
    walk = list(config["walk_step_counts"])
    results = sweep(model, runs(config, model))
    images, reference = np.stack([r.image for r in results[:-1]]), results[-1].image
    s = settle(counts, images, reference, config["change_threshold_pct"])
    out.array("images", images)  # [K, 64, 64, 3], one per step count
    out.array("reference", reference)
    out.array("step_counts", np.asarray(counts, np.int32))
    out.array("distance", s["distance"].astype(np.float32))
    out.array("change_pct", s["change_pct"].astype(np.float32))

    # The big-step walk on a plane fitted to both walks' states (image units: states / 2).
    big, small = (results[counts.index(k)] for k in walk)
    states = [r.states.astype(np.float32) / 2 for r in (big, small)]
    plane = fit_plane(np.concatenate([st.reshape(len(st), -1) for st in states]))
    out.array("walk_big", project_paths(plane, states[0][None])[0])  # [k_big + 1, 2]: start, states, end
    out.array("walk_small", project_paths(plane, states[1][None])[0])
    # Where the first big step lands vs where the small steps are at the same noise level.
    t_big = _timesteps(model, config["sampler"], walk[0])
    t_small = _timesteps(model, config["sampler"], walk[1])
    shared = [t for t in t_big[1:] if t in t_small]
    landing = {}
    if shared:
        t = shared[0]
        a, b = states[0][t_big.index(t)], states[1][t_small.index(t)]
        miss = float(np.sqrt(np.mean((a - b) ** 2)))
        landing = {"timestep": int(t), "miss": round(miss, 4), "miss_pct": round(100 * miss, 1),
                   "step_big": t_big.index(t), "step_small": t_small.index(t)}

    out.fact("run", prompt=config["prompt"], seed=config["seed"], guidance=config["guidance_scale"],
             sampler=config["sampler"], reference_steps=config["reference_steps"], fewest=counts[0], most=counts[-1])
    out.fact("curve", distance_first=round(float(s["distance"][0]), 4),
             distance_last=round(float(s["distance"][-1]), 4),
             first_to_last_ratio=round(float(s["distance"][0] / max(s["distance"][-1], 1e-12)), 1),
             # in percent of the colour range (black to white = 100), for the narration
             distance_first_pct=round(100 * float(s["distance"][0]), 1),
             distance_last_pct=round(100 * float(s["distance"][-1]), 1),
             threshold_pct=config["change_threshold_pct"])
    out.fact("settle", n=s["n"], x_pct=s["x_pct"], found=s["n"] is not None)
    out.fact("walk", big_steps=walk[0], small_steps=walk[1],
             big_end_miss=round(float(s["distance"][counts.index(walk[0])]), 4),
             small_end_miss=round(float(s["distance"][counts.index(walk[1])]), 4),
             big_end_pct=round(100 * float(s["distance"][counts.index(walk[0])]), 1),
             small_end_pct=round(100 * float(s["distance"][counts.index(walk[1])]), 1),
             plane_explained_variance_pct=round(100 * float(plane.explained_variance_ratio_.sum()), 1), **{
                 f"landing_{k}": v for k, v in landing.items()})


def _timesteps(model, sampler: str, steps: int) -> list[int]:
    from render_data.capture import make_scheduler

    sched = make_scheduler(model, sampler)
    sched.set_timesteps(steps)
    return [int(t) for t in sched.timesteps]
