"""Chapters 06-10's data: each experiment's run() on its tiny config with the real model, and the measures.

The experiments are loaded by file and run on their tiny configs into a temporary ArtifactWriter (the
full configs run in the layout checks, which are slow). The label judge is the committed one (render_data.judge): its
readings are checked as probabilities here, their meaning is the judge's own tests' business.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from journey_base.chapters import EXPERIMENTS_DIR, load_module
from render_data import knob_measures as km
from render_data.artifacts import ArtifactWriter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:diffusers")

MODEL_INFO = {"name": "embedded", "width": 64, "height": 64}


def _experiment(chapter_id: str):
    return load_module(EXPERIMENTS_DIR / f"{chapter_id}.py", f"render_data.experiments.test_{chapter_id}")


def _run_tiny(chapter_id: str, tmp_path) -> tuple[dict, dict[str, np.ndarray], object]:
    exp = _experiment(chapter_id)
    config = exp.tiny_config()
    assert set(config) == set(exp.CONFIG) and exp.USES_MODEL
    writer = ArtifactWriter(tmp_path)
    exp.run(writer, config, MODEL_INFO)
    arrays = {p.stem: np.load(p) for p in tmp_path.glob("*.npy")}
    return writer.facts, arrays, config


def _is_image(a: np.ndarray, lead: tuple) -> bool:
    return a.dtype == np.uint8 and a.shape == (*lead, 64, 64, 3) and a.std() > 1


# ------------------------------------------------------------------------------------------ experiments


def test_06_starting_point(tmp_path):
    facts, arrays, config = _run_tiny("06_starting_point", tmp_path)
    r, s = len(config["seeds"]), config["steps"]
    assert _is_image(arrays["endpoints"], (r,)) and _is_image(arrays["xt_frames"], (r, s))
    assert arrays["paths"].shape == (r, s + 1, 2) and arrays["paths"].dtype == np.float32
    assert np.ptp(arrays["paths"][:, 0], axis=0).min() > 0  # the starts are scattered
    spread = facts["spread"]
    assert 0.6 < spread["start"] < 0.8  # two unit-noise states: sqrt(2)/2 apart in image units
    assert 0 < spread["end"] < spread["start"]
    assert 0 < spread["plane_start"] <= spread["start"] and spread["plane_end"] > 0
    assert 0 < facts["plane"]["explained_variance_pct"] <= 100
    assert 0 <= facts["judge"]["subject_count"] <= r
    assert np.all((arrays["subject_prob"] >= 0) & (arrays["subject_prob"] <= 1))


def test_07_dividing_the_path(tmp_path):
    facts, arrays, config = _run_tiny("07_dividing_the_path", tmp_path)
    k = len(config["step_counts"])
    assert _is_image(arrays["images"], (k,)) and _is_image(arrays["reference"], ())
    d = arrays["distance"]
    assert d.shape == (k,) and d[0] > d[-1] > 0  # one big step misses the long walk by most
    assert arrays["change_pct"].shape == (k - 1,)
    big, small = config["walk_step_counts"]
    assert arrays["walk_big"].shape == (big + 1, 2) and arrays["walk_small"].shape == (small + 1, 2)
    assert np.allclose(arrays["walk_big"][0], arrays["walk_small"][0], atol=1e-3)  # same seed: same start
    walk = facts["walk"]
    assert walk["landing_timestep"] == 480 and walk["landing_miss"] > 0
    assert walk["big_end_miss"] == pytest.approx(float(d[1]), abs=1e-4)
    assert facts["curve"]["distance_first"] == pytest.approx(float(d[0]), abs=1e-4)


def test_08_weight_of_words(tmp_path):
    facts, arrays, config = _run_tiny("08_weight_of_words", tmp_path)
    levels, seeds = len(config["levels"]), len(config["level_seeds"])
    words = config["levels"][-1]["prompt"].split()
    assert _is_image(arrays["level_grids"], (levels, seeds))
    assert _is_image(arrays["grow_images"], (len(words),)) and arrays["grow_change"].shape == (len(words) - 1,)
    assert _is_image(arrays["binding_images"], (len(config["binding"]), len(config["binding_seeds"])))
    detail = facts["detail"]
    assert detail["spread"] == pytest.approx(arrays["level_spread"].tolist(), abs=1e-4)
    assert detail["spread_ratio"] == pytest.approx(detail["spread_vague"] / detail["spread_detailed"], abs=0.01)
    adherence = facts["adherence"]
    assert adherence["background"][0] is None and adherence["style"][:3] == [None] * 3
    assert all(0 <= v <= 1 for vs in adherence.values() if isinstance(vs, list) for v in vs if v is not None)
    grow = facts["grow"]
    assert grow["prefixes"][-1] == config["levels"][-1]["prompt"] and grow["biggest_change_word"] in words
    # The full prompt at the grow seed is level 3 at that seed: the same run, the same image.
    assert np.array_equal(arrays["grow_images"][-1], arrays["level_grids"][-1, config["level_seeds"].index(0)])
    binding = facts["binding"]
    assert len(binding["prompts"]) == 4 and "placement" not in binding["prompts"][-1]
    for key in ("placement_accuracy", "size_accuracy", "binding_accuracy", "judge_reads_both"):
        assert 0 <= binding[key] <= 1
    assert -1 <= binding["order_effect"] <= 1 and -1 <= binding["size_binding_effect"] <= 1
    # reordering words vs a new seed, both measured (a swap that moved nothing would read 0)
    assert binding["order_change_pct"] >= 0 and binding["seed_change_pct"] > 0


def test_09_between_words(tmp_path):
    facts, arrays, config = _run_tiny("09_between_words", tmp_path)
    p = config["points"]
    assert _is_image(arrays["images"], (p,)) and arrays["t"].tolist() == [0.0, 0.5, 1.0]
    assert arrays["map_prompts"].shape == (len(config["neighbourhood"]), 2) and arrays["map_path"].shape == (p, 2)
    # The path's ends are the two prompts themselves, on the map too.
    hood = config["neighbourhood"]
    assert np.allclose(arrays["map_path"][0], arrays["map_prompts"][hood.index(config["prompt_a"])], atol=1e-5)
    assert np.allclose(arrays["map_path"][-1], arrays["map_prompts"][hood.index(config["prompt_b"])], atol=1e-5)
    assert facts["tokens"] == {"a": 4, "b": 4, "union": 4}
    assert facts["map"]["nearest_prompt_per_point"][0] == config["prompt_a"]
    assert 0 < facts["map"]["cosine_a_b"] < 1
    assert np.all((arrays["prob_a"] >= 0) & (arrays["prob_a"] <= 1))


def test_10_pull_of_the_prompt(tmp_path):
    facts, arrays, config = _run_tiny("10_pull_of_the_prompt", tmp_path)
    n_s, n_seeds = len(config["scales"]), len(config["seeds"])
    assert _is_image(arrays["images"], (n_s, n_seeds))
    for name in ("eps_uncond", "eps_cond", "eps_diff"):
        assert _is_image(arrays[name], ())
    assert _is_image(arrays["eps_guided"], (len(config["display_scales"]),))
    assert _is_image(arrays["x0_guided"], (len(config["display_scales"]),))
    needle = arrays["needle"]
    assert needle[0] == 0 and np.all(np.diff(needle) > 0)  # s = 0 pulls nowhere; more s, a longer needle
    # The needle is s times the measured difference, per run.
    assert np.allclose(needle, np.asarray(config["scales"]) * arrays["diff_rms"], rtol=1e-5)
    a = facts["arithmetic"]
    assert 0 < a["diff_rms"] < a["uncond_rms"] and a["diff_display_gain"] > 1
    for name in ("saturation", "contrast", "clipped", "adherence_prob", "adherence_top1"):
        assert arrays[name].shape == (n_s,) and np.all((arrays[name] >= 0) & (arrays[name] <= 1)), name
    colour = facts["colour"]
    ratio = colour["contrast_at_max"] / colour["contrast_at_default"]
    assert colour["guidance_contrast_ratio"] == pytest.approx(ratio, rel=0.02)
    # s = 0 ignores the prompt: any other prompt gives the same image.
    from render_data.sweep import Run, load_sweep_model, sweep

    other = sweep(load_sweep_model(), [Run("a dog", seed=config["seeds"][0], steps=config["steps"], guidance=0.0,
                                           sampler=config["sampler"])])[0].image
    assert np.abs(other.astype(int) - arrays["images"][0, 0]).max() <= 1


# ------------------------------------------------------------------------------------------ measures


def test_colour_and_spread_measures():
    red = np.zeros((1, 4, 4, 3), np.uint8)
    red[..., 0] = 255
    grey = np.full((1, 4, 4, 3), 128, np.uint8)
    assert km.saturation(red)[0] == 1 and km.saturation(grey)[0] == 0
    assert km.rms_contrast(grey)[0] == 0
    half = grey.copy()
    half[:, :2] = 0
    assert km.rms_contrast(half)[0] == pytest.approx(0.5 * 128 / 255)
    assert km.clipped_fraction(red)[0] == 1 and km.clipped_fraction(grey)[0] == 0
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    brute = np.mean([km.rmse(imgs[i], imgs[j]) for i in range(5) for j in range(i + 1, 5)])
    assert km.image_spread(imgs) == pytest.approx(brute, rel=1e-9)
    assert km.image_spread(np.repeat(imgs[:1], 3, 0)) == pytest.approx(0, abs=1e-7)


def test_half_images_keep_one_side_on_its_background():
    img = np.full((1, 64, 64, 3), 40, np.uint8)
    img[:, 10:20, 5:15] = 200  # an object on the left
    img[:, 40:50, 45:55] = 90  # another on the right
    left, right = km.half_images(img, "left"), km.half_images(img, "right")
    assert np.array_equal(left[:, :, :32], img[:, :, :32]) and np.all(left[:, :, 32:] == 40)
    assert np.array_equal(right[:, :, 32:], img[:, :, 32:]) and np.all(right[:, :, :32] == 40)


class _ColourJudge:
    """Reads subject by colour (red = apple, blue = car) and size by the object's pixel count."""

    classes = {"subject": ["apple", "car", "snail"], "size": ["small", "medium", "large"]}

    def predict(self, images):
        x = images.astype(float)
        red = ((x[..., 0] > 150) & (x[..., 2] < 100)).sum((1, 2))
        blue = ((x[..., 2] > 150) & (x[..., 0] < 100)).sum((1, 2))
        subject = np.stack([red + 1, blue + 1, np.ones_like(red)], 1).astype(float)
        area = red + blue
        size = np.stack([area < 200, (area >= 200) & (area < 600), area >= 600], 1).astype(float) + 0.01
        return {"subject": subject / subject.sum(1, keepdims=True), "size": size / size.sum(1, keepdims=True)}


def test_binding_reads_which_object_is_where_and_smaller():
    exp = _experiment("08_weight_of_words")
    img = np.full((2, 64, 64, 3), 128, np.uint8)
    img[0, 20:30, 5:15] = (230, 20, 20)  # small apple on the left ...
    img[0, 10:35, 35:60] = (20, 20, 230)  # ... medium car on the right
    img[1] = img[0][:, ::-1]  # mirrored: car left, apple right
    read = exp.binding_reads(_ColourJudge(), img, ["apple", "car"])
    assert read["a_left"].tolist() == [True, False]
    assert read["a_smaller"].tolist() == [True, True]
    assert read["both"].tolist() == [True, True]


def test_settle_reads_n_and_x_from_the_curve():
    exp = _experiment("07_dividing_the_path")
    ref = np.zeros((8, 8, 3), np.uint8)
    # distances to the reference shrink: 100, 40, 12, 6, 3 levels; changes between counts 60, 28, 6, 3
    images = np.stack([np.full((8, 8, 3), v, np.uint8) for v in (100, 40, 12, 6, 3)])
    s = exp.settle([1, 2, 4, 8, 16], images, ref, threshold_pct=10.0)
    assert s["distance"] == pytest.approx([v / 255 for v in (100, 40, 12, 6, 3)])
    assert s["change_pct"] == pytest.approx([60, 28, 6, 3])
    assert s["n"] == 4 and s["x_pct"] == 6
    assert exp.settle([1, 2, 4, 8, 16], images, ref, threshold_pct=2.0)["n"] is None


def test_slerp_and_padding():
    exp = _experiment("09_between_words")
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    mid = exp.slerp(a, b, 0.5)
    assert torch.allclose(mid, torch.tensor([[2 ** -0.5, 2 ** -0.5]]))  # on the circle, not the chord
    assert torch.allclose(exp.slerp(a, a * 2, 0.25), a * 1.25)  # parallel: a straight line
    from render_data.loading import TextEmbedding

    states = torch.randn(2, 1, 5, 3)
    ea = TextEmbedding(states[0], None, torch.tensor([[1, 1, 1, 0, 0]]))
    eb = TextEmbedding(states[1], None, torch.tensor([[1, 1, 1, 1, 0]]))
    pts = exp.interpolate(ea, eb, [0.0, 0.5, 1.0])
    assert pts[0] is ea and pts[2] is eb  # the ends are the prompts, masks included
    assert pts[1].mask.tolist() == [[1, 1, 1, 1, 0]]  # in between: the union
    assert torch.allclose(pts[1].pooled.norm(dim=1), torch.ones(1))
