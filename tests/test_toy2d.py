"""The 2D toy diffusion model of chapter 05 (render_data.toy2d) and the chapter's experiment, on real training runs
with shortened configs (a few seconds each on 2 cores)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from journey_base.chapters import Chapter, load_module
from render_data import toy2d
from render_data.artifacts import ArtifactWriter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:diffusers")

SHORT = dict(toy2d.TRAIN_CONFIG, steps=800)  # enough for the field to point at the shapes


@pytest.fixture(scope="module")
def model() -> toy2d.ToyModel:
    return toy2d.load_or_train(SHORT)


def test_training_is_deterministic_and_cached():
    tiny = dict(toy2d.TRAIN_CONFIG, steps=40, points_per_shape=200)
    a, _ = toy2d.train(tiny)
    b, _ = toy2d.train(tiny)
    c, _ = toy2d.train(dict(tiny, seed=1))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the seed matters, so equality above means something

    first = toy2d.load_or_train(tiny)
    second = toy2d.load_or_train(tiny)
    assert toy2d.cache_path(tiny).exists() and not first.info["cached"] and second.info["cached"]
    assert all(torch.equal(a[k], v) for k, v in second.net.state_dict().items())


def test_loss_falls_well_below_its_start(model):
    info = model.info
    assert info["loss_final"] < 0.6 * info["loss_start"], info
    assert info["loss_curve"][0] == info["loss_start"] and info["loss_curve"][-1] == info["loss_final"]


@pytest.mark.parametrize("t", [20, 100])
def test_low_noise_field_points_toward_the_data(model, t):
    rng = np.random.default_rng(0)
    for label, shape in enumerate(toy2d.SHAPES, start=1):
        data = model.data[shape]
        points = data[rng.choice(len(data), 400)] + rng.normal(0, 0.15, (400, 2)).astype(np.float32)
        nearest = data[torch.cdist(torch.from_numpy(points), torch.from_numpy(data)).argmin(1).numpy()]
        toward = nearest - points
        distance = np.linalg.norm(toward, axis=1)
        near = (distance > 0.05) & (distance < 0.3)  # off the shape, but near it
        unit, length = model.field(points, t, label)
        cosine = (unit * toward / distance[:, None]).sum(1)[near]
        assert near.sum() > 40 and np.median(cosine) > 0.8, (shape, t, np.median(cosine))
        assert np.allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-5) and (length > 0).all()


def test_guidance_pulls_walkers_onto_the_shape(model):
    starts = np.random.default_rng(3).standard_normal((200, 2)).astype(np.float32)
    spiral = model.data["spiral"]
    miss = {s: toy2d.nearest_distance(model.walk(starts, 1, 30, s)[0][-1], spiral).mean() for s in (0, 1, 3)}
    # s = 0 is the unconditional model (any shape); the prompt and then guidance pull the walkers onto the spiral.
    assert miss[3] < miss[1] < miss[0] and miss[3] < 0.6 * miss[0], miss


def test_walk_is_ddim_on_the_image_models_schedule(model):
    positions, x0s, timesteps = model.walk(np.zeros((3, 2), np.float32), 2, 5)
    assert positions.shape == (6, 3, 2) and x0s.shape == (5, 3, 2)
    assert list(timesteps) == [999, 799, 599, 399, 199]  # trailing spacing: every walk starts at pure noise
    # DDIM with set_alpha_to_one ends exactly on its last prediction of x̂0.
    assert np.allclose(positions[-1], x0s[-1], atol=1e-5)


def test_experiment_writes_the_named_facts_and_arrays(tmp_path):
    exp = load_module(Chapter("05_compass").experiment_file, "render_data.experiments.ch05_compass")
    config = exp.TINY_CONFIG
    writer = ArtifactWriter(tmp_path)
    exp.run(writer, config, None)
    json.dumps(writer.facts)  # facts are plain JSON

    arrays = {p.stem: np.load(p) for p in tmp_path.glob("*.npy")}
    g, w, s = config["grid"], config["walkers"], config["steps"]
    shapes = {
        "field": (5, 4, g, g, 2), "field_norm": (5, 4, g, g), "grid": (g,),
        "paths": (3, w, s + 1, 2), "needle": (s, 2), "walk_timesteps": (s,),
        "guided_paths": (len(config["guidance_scales"]), w, s + 1, 2),
        "miss_by_steps": (len(config["miss_steps"]),), "miss_by_steps_shape": (3, len(config["miss_steps"])),
        "spread_by_guidance": (2, len(config["spread_scales"])),
        "spread_by_guidance_shape": (3, 2, len(config["spread_scales"])),
        **{f"data_{shape}": (config["data_points"], 2) for shape in toy2d.SHAPES},
    }
    for name, shape in shapes.items():
        assert arrays[name].shape == shape, name
        assert np.isfinite(arrays[name]).all(), name
    assert arrays["field"].dtype == np.float32 and arrays["paths"].dtype == np.float32
    assert np.allclose(np.linalg.norm(arrays["needle"], axis=1), 1, atol=1e-5)
    # guidance scale 1 on the guided shape is the plain conditional walk
    assert np.array_equal(arrays["guided_paths"][config["guidance_scales"].index(1)], arrays["paths"][0])

    facts = writer.facts
    for key in ("miss_1_step", "miss_default_steps", "miss_ratio", "few_steps_miss"):
        assert key in facts["miss"], key
    for key in ("outside_pct_s0", "outside_pct_s1", "outside_pct_s7", "outside_pct_s15", "distance_s15",
                "strong_guidance_overshoots", "guidance_pulls_toward_shape"):
        assert key in facts["guidance"], key
    assert facts["toy"]["train_steps"] == 300 and facts["toy"]["loss_final"] < facts["toy"]["loss_start"]
    assert facts["miss"]["miss_1_step"] == pytest.approx(float(arrays["miss_by_steps"][0]), abs=1e-3)
    assert isinstance(facts["miss"]["few_steps_miss"], bool)
