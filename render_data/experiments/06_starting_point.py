"""Chapter 06 data: the seed picks where the walk starts. One prompt, many seeds, one shared 2D plane.

Claims it backs: different seeds start far apart and end at different pictures of the same prompt
(measured: the spread of the starts and of the endpoints, mean pairwise RMSE in image units); how many of
the endpoints the label judge reads as the prompted subject.

``paths`` projects the states x_t into one plane (PCA over all states of all runs). The starts are random
noise, far apart (spread ~0.71 whatever the model), and the walks close in on pictures that still differ:
the plane shows walks that stay apart from start to end, not one path that forks. The plane holds only
part of the motion (``plane.explained_variance_pct``).
"""

import numpy as np

from render_data.judge import load_judge
from render_data.knob_measures import (fit_plane, image_spread, mean_pairwise_distance,
                                       mean_pairwise_rmse, project_paths)
from render_data.sweep import Run, load_sweep_model, sweep

CONFIG = {
    "model": "embedded",
    "prompt": "a snail",
    "subject": "snail",  # the judge's class for the prompt
    "seeds": list(range(16)),
    "steps": 20,
    "guidance_scale": 4.0,
    "sampler": "ddim_from_noise",
}
USES_MODEL = True


def tiny_config() -> dict:
    return dict(CONFIG, seeds=[0, 1, 2], steps=3)


def runs(config, model) -> list[Run]:
    """The chapter's sweep (benchmarks/sweep_speed.py times it too)."""
    return [Run(config["prompt"], seed=s, steps=config["steps"], guidance=config["guidance_scale"],
                sampler=config["sampler"], states=True, frames=True) for s in config["seeds"]]


def run(out, config, model_info):
    model = load_sweep_model(config["model"])
    results = sweep(model, runs(config, model))
    images = np.stack([r.image for r in results])  # [R, 64, 64, 3]
    states = np.stack([r.states for r in results]).astype(np.float32) / 2  # [R, S+1, C, h, w], image units
    # One plane for every walk: PCA over all states of all runs (starts, every step, endpoints).
    plane = fit_plane(states.reshape(-1, states[0, 0].size))
    paths = project_paths(plane, states)  # [R, S+1, 2]
    out.array("endpoints", images)
    out.array("paths", paths)
    out.array("xt_frames", np.stack([r.xt_frames for r in results]))  # [R, S, 64, 64, 3] the walkers' images
    out.array("seeds", np.asarray(config["seeds"], np.int32))

    judge = load_judge()
    subject = judge.classes["subject"].index(config["subject"])
    probs = judge.predict(images)["subject"]
    is_subject = probs.argmax(1) == subject
    out.array("subject_prob", probs[:, subject].astype(np.float32))
    out.array("is_subject", is_subject)  # [R] bool: the judge's top subject is the prompted one

    start_spread = mean_pairwise_rmse(states[:, 0])
    end_spread = image_spread(images)
    # The plane's spreads in the same units (projected distances / sqrt(pixels)): at most the full ones.
    scale = np.sqrt(states[0, 0].size)
    start_plane = mean_pairwise_distance(paths[:, 0]) / scale
    end_plane = mean_pairwise_distance(paths[:, -1]) / scale
    out.fact("run", prompt=config["prompt"], seeds=len(results), steps=config["steps"],
             guidance=config["guidance_scale"], sampler=config["sampler"])
    out.fact("spread", start=round(start_spread, 4), end=round(end_spread, 4),
             start_to_end_ratio=round(start_spread / end_spread, 2),
             # the same in percent of the full colour range (black to white = 100), for the narration
             start_pct=round(100 * start_spread), end_pct=round(100 * end_spread),
             plane_start=round(start_plane, 4), plane_end=round(end_plane, 4))
    out.fact("plane", explained_variance_pct=round(100 * float(plane.explained_variance_ratio_.sum()), 1))
    out.fact("judge", subject_count=int(is_subject.sum()), seeds=len(results),
             subject_fraction=round(float(is_subject.mean()), 3),
             mean_subject_prob=round(float(probs[:, subject].mean()), 3))
