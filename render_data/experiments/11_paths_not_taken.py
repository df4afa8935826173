"""Chapter 11 data: when is the picture decided? One stochastic walk (the trunk) and branches off it.

A DDPM sampler adds fresh noise at every step, so a walk can be continued from any of its states with a new
seed and end somewhere else. From 5 points along one trunk, 6 branches each (new seeds) run to the end
(render_data.capture: ``Trajectory.start_from``). Measured: how far apart each point's 6 endpoints are
(mean pairwise RMS difference, in 0..255 colour levels) against how late they branched; the picture is
"mostly decided" after the first branch step whose spread is below a quarter of the spread of branches from
the very first step. The tree is drawn on the plane of the two directions in which the 31 endpoints differ
most (PCA), every state of the trunk and the branches projected onto it.

A branch given the trunk's own seed does not replay the trunk: its noise generator restarts at the branch
point (tests/test_maps_data.py), so the seeds here are simply new ones.
"""

import numpy as np

from render_data.capture import capture
from render_data.loading import bf16_is_fast, load_model
from render_data.maps import PCA2D, mean_pairwise_rms

CONFIG = {
    "model": "embedded",
    "prompt": "a strawberry",
    "seed": 7,  # the trunk's seed
    "guidance_scale": 4.0,
    "scheduler": "ddpm",
    "steps": 30,
    "branch_steps": [0, 5, 10, 15, 20],  # steps already taken when the branches leave the trunk
    "branches": 6,  # new seeds per branch point: branch_seed_base + 100 * point + j
    "branch_seed_base": 1000,
    "decided_below": 0.25,  # "decided": endpoint spread below this fraction of the spread at the first point
    # bf16 where the CPU has it (~2x faster; the picture is what is compared, not pipeline parity), else fp32:
    # without AVX512-bf16 a bf16 UNet call is emulated, ~80x slower (21 s vs 0.25 s for 12 images).
    "precision": "bf16",
}
TINY_CONFIG = dict(CONFIG, steps=6, branch_steps=[0, 2, 4, 5], branches=3)
USES_MODEL = True


def branch_seeds(config: dict, point: int) -> list[int]:
    return [config["branch_seed_base"] + 100 * point + j for j in range(config["branches"])]


def decided_point(spread: np.ndarray, below: float) -> int | None:
    """Index of the first branch point whose spread is below ``below`` x the first point's spread."""
    hits = np.flatnonzero(spread < below * spread[0])
    return int(hits[0]) if len(hits) else None


def run(out, config, model_info):
    model = load_model(config["model"])
    steps, points = config["steps"], config["branch_steps"]
    if sorted(set(points)) != list(points) or points[0] != 0 or points[-1] >= steps:
        raise ValueError(f"branch_steps {points}: increasing, starting at 0, below steps={steps}")
    precision = config["precision"] if bf16_is_fast(model.device) else "fp32"
    common = dict(prompts=config["prompt"], guidance_scales=config["guidance_scale"], num_steps=steps,
                  scheduler=config["scheduler"], precision=precision, progress=False)
    trunk = capture(model, seeds=config["seed"], **common)
    trunk_final = trunk.final_images()[0]

    grid, spread, to_trunk, states = [], [], [], []
    for p, k in enumerate(points):
        branch = capture(model, seeds=branch_seeds(config, p), **common, **trunk.start_from(k, sample=0))
        ends = branch.final_images()
        grid.append(ends)
        levels = ends.astype(np.float64)
        spread.append(mean_pairwise_rms(levels))
        to_trunk.append(float(np.sqrt(((levels - trunk_final) ** 2).mean(axis=(1, 2, 3))).mean()))
        # Each branch's states entering steps k..S-1, then its final sample: [S-k+1, B, C, h, w].
        states.append(np.concatenate([branch.x_t, branch.final[None]]))
    spread, to_trunk = np.array(spread), np.array(to_trunk)

    # The tree on a plane: the two directions in which the endpoints differ most (PCA of the trunk's and
    # every branch's final sample); every state is projected onto it. A plane fitted to all states would
    # mostly show the trunk's own starting noise, which dominates the early states.
    trunk_states = np.concatenate([trunk.x_t[:, 0], trunk.final[:1]])  # [S+1, C, h, w]
    pca = PCA2D(np.concatenate([trunk.final] + [s[-1] for s in states]))
    trunk_xy = pca.project(trunk_states)
    tree = np.repeat(trunk_xy[None, None], config["branches"], axis=1).repeat(len(points), axis=0)
    for p, (k, s) in enumerate(zip(points, states)):
        flat = pca.project(s.reshape(-1, *s.shape[2:])).reshape(s.shape[0], s.shape[1], 2)
        tree[p, :, k:] = flat.transpose(1, 0, 2)  # before step k a branch is the trunk

    out.array("grid", np.stack(grid))  # uint8 [P, B, 64, 64, 3]: endpoints, a row per branch point
    out.array("trunk_final", trunk_final)  # uint8 [64, 64, 3]
    out.array("trunk_xt_frames", trunk.xt_frames[:, 0])  # uint8 [S, 64, 64, 3]: the state entering each step
    out.array("branch_xt_frames", trunk.xt_frames[points, 0])  # uint8 [P, 64, 64, 3]: where each branch leaves
    out.array("branch_x0_frames", trunk.x0_frames[points, 0])  # uint8 [P, ...]: the trunk's guess there
    out.array("tree_trunk", trunk_xy.astype(np.float32))  # [S+1, 2]: trunk states on the PCA plane
    out.array("tree_branches", tree.astype(np.float32))  # [P, B, S+1, 2]: whole paths (the trunk's up to k)
    out.array("spread", spread.astype(np.float32))  # [P] mean pairwise RMS of endpoints, 0..255 levels
    out.array("to_trunk", to_trunk.astype(np.float32))  # [P] mean RMS of endpoints vs the trunk's image

    decided = decided_point(spread, config["decided_below"])
    relative = spread / spread[0]
    out.fact("run", prompt=config["prompt"], seed=config["seed"], guidance=config["guidance_scale"], steps=steps,
             scheduler=config["scheduler"].upper(), precision=precision, branch_points=len(points), branches=config["branches"],
             endpoints=len(points) * config["branches"], branch_steps=list(points),
             branch_percent=[round(100 * k / steps) for k in points],
             branch_seeds=[branch_seeds(config, p) for p in range(len(points))])
    out.fact("spread", levels=[round(float(v), 1) for v in spread], percent_of_first=[round(100 * v) for v in relative],
             to_trunk=[round(float(v), 1) for v in to_trunk], first=round(float(spread[0]), 1),
             last=round(float(spread[-1]), 1), shrinks=bool(np.all(np.diff(spread) < 0)),
             last_over_first=round(float(relative[-1]), 3),
             # signal fraction (alpha_bar) of the state each branch left from: how much of it was still noise
             signal_percent=[round(100 * float(trunk.alpha_bar[k])) for k in points])
    out.fact("decided", threshold_percent=round(100 * config["decided_below"]), found=decided is not None,
             step=None if decided is None else int(points[decided]),
             percent_of_walk=None if decided is None else round(100 * points[decided] / steps),
             spread_percent=None if decided is None else round(100 * float(relative[decided])),
             signal_percent=None if decided is None else round(100 * float(trunk.alpha_bar[points[decided]])))
    out.fact("tree", plane="PCA of the endpoints", endpoints=len(points) * config["branches"] + 1,
             states=int(sum(s.shape[0] * s.shape[1] for s in states) + len(trunk_states)),
             explained_percent=[round(100 * float(v), 1) for v in pca.explained])  # of the endpoints' variance
