"""Chapter 05 data: the compass. A real learned 2D vector field (render_data.toy2d), walkers on it, the needle.

The toy model is trained (or read from its cache) here: three labelled shapes, one per "prompt", with the image
model's noise schedule and DDIM sampler. Everything is measured against the 500 drawn points of each shape
(``data_<shape>``): a point's "miss" is its distance to the nearest drawn point of its shape, and the shape's
bulk is everything within the bulk radius of a drawn point, the 95th percentile of the drawn points' distances to
their nearest neighbour, so a fresh point of the shape itself falls outside only about 5% of the time.

Claims it backs: few big steps land off the data (mean miss of the endpoints, by step count) and strong guidance
pushes walkers past the shape's bulk (share of endpoints outside it, by guidance scale). Both are averaged over
the three shapes, each shape's walkers starting from the same seeded points.

Arrays:
  data_<shape>      float32 [500, 2]  drawn points of each shape
  field             float32 [L, 4, G, G, 2]  unit direction x̂0 − x at grid point (x=grid[j], y=grid[i]) as
                    [level, class, i, j]; class 0 = no prompt, 1..3 = SHAPES; levels = field_timesteps
  field_norm        float32 [L, 4, G, G]  the length of x̂0 − x before normalising
  grid              float32 [G]  grid coordinates (the same on both axes)
  paths             float32 [3, W, S+1, 2]  walkers per shape (same starts), every position, x_T first
  walk_timesteps    int64 [S]  the DDIM timestep of each step
  needle            float32 [S, 2]  unit x̂0 − x at each step of walker 0 on the guided shape
  guided_paths      float32 [len(guidance_scales), W, S+1, 2]  the same walkers on the guided shape, per scale
  miss_by_steps     float32 [K]  mean miss of the endpoints per step count (miss_steps), over the shapes
  miss_by_steps_shape  float32 [3, K]  the same per shape
  spread_by_guidance   float32 [2, M]  per scale (spread_scales): row 0 share of endpoints outside the bulk,
                       row 1 their mean miss; over the shapes
  spread_by_guidance_shape  float32 [3, 2, M]  the same per shape
  loss_curve        float32  the training loss on a fixed batch, before training and every curve_every steps
"""

import numpy as np

from render_data import toy2d

CONFIG = {
    "train": dict(toy2d.TRAIN_CONFIG),
    "data_points": 500,  # drawn per shape (the first points of the training set); distances are measured to them
    "field_timesteps": [900, 600, 300, 100, 20],
    "grid": 17,
    "extent": 1.6,  # the grid spans [-extent, extent]^2
    "walkers": 48,
    "walker_seed": 5,
    "steps": 30,  # the image model's default
    "guidance_scale": 1.0,  # the walkers' and the curves' default: the conditional model as trained
    "guided_shape": "spiral",
    "guidance_scales": [0, 1, 3, 7],
    "curve_walkers": 300,  # per shape, for the measured curves
    "curve_seed": 11,
    "miss_steps": [1, 2, 3, 5, 10, 20, 30, 50],  # must hold 1 and the default steps
    "spread_scales": [0, 1, 3, 7, 15],  # must hold 0 and 1: the claims compare against them
    "bulk_percentile": 95,
}
TINY_CONFIG = dict(CONFIG, train=dict(toy2d.TRAIN_CONFIG, steps=300), grid=5, walkers=4, curve_walkers=32)
USES_MODEL = False  # the toy model is trained here; its code and config are in this chapter's key


def starts(n: int, seed: int) -> np.ndarray:
    """Walkers' starting points x_T ~ N(0, I)."""
    return np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)


def endpoint_miss(model, points, label, steps, guidance, data) -> np.ndarray:
    ends = model.walk(points, label, steps, guidance)[0][-1]
    return toy2d.nearest_distance(ends, data)


def check(config: dict) -> None:
    if 1 not in config["miss_steps"] or config["steps"] not in config["miss_steps"]:
        raise ValueError(f"05_compass config: miss_steps {config['miss_steps']} must hold 1 and steps={config['steps']}")
    if not {0, 1} <= set(config["spread_scales"]):
        raise ValueError(f"05_compass config: spread_scales {config['spread_scales']} must hold 0 and 1")
    if config["guided_shape"] not in toy2d.SHAPES:
        raise ValueError(f"05_compass config: guided_shape {config['guided_shape']!r} is not one of {toy2d.SHAPES}")


def run(out, config, model_info):
    check(config)
    model = toy2d.load_or_train(config["train"])
    shapes = toy2d.SHAPES
    drawn = {s: model.data[s][: config["data_points"]] for s in shapes}
    for s in shapes:
        out.array(f"data_{s}", drawn[s])
    out.array("loss_curve", np.asarray(model.info["loss_curve"], np.float32))

    # The field: one arrow per grid point, class and noise level.
    g = config["grid"]
    grid = np.linspace(-config["extent"], config["extent"], g, dtype=np.float32)
    xs, ys = np.meshgrid(grid, grid)  # [i, j] = (grid[j], grid[i])
    points = np.stack([xs.ravel(), ys.ravel()], 1)
    levels = config["field_timesteps"]
    field = np.zeros((len(levels), len(shapes) + 1, g, g, 2), np.float32)
    norm = np.zeros((len(levels), len(shapes) + 1, g, g), np.float32)
    for li, t in enumerate(levels):
        for label in range(len(shapes) + 1):
            unit, length = model.field(points, t, label)
            field[li, label], norm[li, label] = unit.reshape(g, g, 2), length.reshape(g, g)
    out.array("grid", grid)
    out.array("field", field)
    out.array("field_norm", norm)

    # Walkers: the same starts for every shape, then for every guidance scale on the guided shape.
    steps, s_default = config["steps"], config["guidance_scale"]
    x_T = starts(config["walkers"], config["walker_seed"])
    guided = shapes.index(config["guided_shape"]) + 1
    paths = []
    for label in range(1, len(shapes) + 1):
        positions, x0s, timesteps = model.walk(x_T, label, steps, s_default)
        paths.append(positions.transpose(1, 0, 2))
        if label == guided:
            pull = x0s[:, 0] - positions[:-1, 0]
            out.array("needle", (pull / np.linalg.norm(pull, axis=1, keepdims=True)).astype(np.float32))
    out.array("paths", np.stack(paths).astype(np.float32))
    out.array("walk_timesteps", timesteps)
    out.array("guided_paths", np.stack([model.walk(x_T, guided, steps, s)[0].transpose(1, 0, 2)
                                        for s in config["guidance_scales"]]).astype(np.float32))

    # Measured curves, over many walkers per shape.
    x_T = starts(config["curve_walkers"], config["curve_seed"])
    miss = np.array([[endpoint_miss(model, x_T, k + 1, n, s_default, drawn[s]).mean() for n in config["miss_steps"]]
                     for k, s in enumerate(shapes)], np.float32)
    bulk = {s: toy2d.bulk_radius(drawn[s], config["bulk_percentile"]) for s in shapes}
    spread = np.zeros((len(shapes), 2, len(config["spread_scales"])), np.float32)
    for k, s in enumerate(shapes):
        for j, scale in enumerate(config["spread_scales"]):
            d = endpoint_miss(model, x_T, k + 1, steps, scale, drawn[s])
            spread[k, :, j] = (d > bulk[s]).mean(), d.mean()
    out.array("miss_by_steps", miss.mean(0))
    out.array("miss_by_steps_shape", miss)
    out.array("spread_by_guidance", spread.mean(0))
    out.array("spread_by_guidance_shape", spread)

    info = model.info
    out.fact("toy", shapes=list(shapes), train_seconds=round(info["seconds"], 1), cached=info["cached"],
             train_steps=config["train"]["steps"], batch=config["train"]["batch"],
             loss_start=round(info["loss_start"], 3), loss_final=round(info["loss_final"], 3),
             parameters=sum(p.numel() for p in model.net.parameters()), data_points=config["data_points"],
             timesteps=toy2d.SCHEDULE["num_train_timesteps"], beta_schedule=toy2d.SCHEDULE["beta_schedule"],
             sampler="DDIM", spacing=toy2d.SCHEDULE["timestep_spacing"])
    out.fact("field", grid=g, extent=config["extent"], timesteps=levels, levels=len(levels),
             classes=["no prompt", *shapes])
    out.fact("walk", steps=steps, walkers=config["walkers"], guidance=s_default, guided_shape=config["guided_shape"],
             guidance_scales=config["guidance_scales"])

    curve, n = miss.mean(0), config["miss_steps"]
    at_default = float(curve[n.index(steps)])
    out.fact("miss", steps=n, miss_1_step=round(float(curve[n.index(1)]), 3),
             miss_default_steps=round(at_default, 3), miss_most_steps=round(float(curve[-1]), 3),
             most_steps=n[-1], miss_ratio=round(float(curve[n.index(1)]) / at_default, 1),
             few_steps_miss=bool(curve[n.index(1)] > 2 * at_default),
             **{f"miss_1_step_{s}": round(float(miss[k, n.index(1)]), 3) for k, s in enumerate(shapes)})

    scales = config["spread_scales"]
    outside, distance = spread.mean(0)
    by_scale = {}
    for j, scale in enumerate(scales):
        by_scale[f"outside_pct_s{scale:g}"] = int(round(100 * float(outside[j])))
        by_scale[f"distance_s{scale:g}"] = round(float(distance[j]), 3)
    strongest, plain = scales.index(max(scales)), scales.index(1)
    out.fact("guidance", scales=scales, bulk_percentile=config["bulk_percentile"],
             expected_outside_pct=100 - config["bulk_percentile"],
             bulk_radius={s: round(r, 3) for s, r in bulk.items()}, **by_scale,
             strongest=max(scales), strong_guidance_overshoots=bool(outside[strongest] > outside[plain]),
             guidance_pulls_toward_shape=bool(distance[plain] < distance[scales.index(0)]))
