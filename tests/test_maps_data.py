"""Data of the map chapters: 03 anatomy, 04 where words live, 11 paths not taken, 12 the full journey.

Real models throughout: the committed embedded model, a tiny random SD-style pipeline built offline, and
Stable Diffusion 1.5's published configuration built on the meta device. Each experiment runs its
TINY_CONFIG through ArtifactWriter into a temp folder (their full data is built by the layout checks).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_pipelines import save_tiny_sd  # noqa: E402

from journey_base.chapters import Chapter, load_module  # noqa: E402
from render_data import maps  # noqa: E402
from render_data.anatomy import describe_anatomy, describe_published, read_configs  # noqa: E402
from render_data.artifacts import ArtifactWriter  # noqa: E402
from render_data.capture import capture  # noqa: E402
from render_data.loading import load_model  # noqa: E402
from render_data.models import describe_model  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:diffusers", "ignore::UserWarning:umap")


def experiment(chapter_id: str):
    return load_module(Chapter(chapter_id).experiment_file, f"render_data.experiments.ch{chapter_id}")


def run_tiny(chapter_id: str, folder: Path, **overrides) -> tuple[dict, ArtifactWriter]:
    exp = experiment(chapter_id)
    config = dict(exp.TINY_CONFIG, **overrides)
    writer = ArtifactWriter(folder)
    exp.run(writer, config, describe_model(config["model"]))
    json.dumps(writer.facts)  # facts are plain JSON
    return writer.facts, writer


def arrays(folder: Path) -> dict[str, np.ndarray]:
    return {p.stem: np.load(p, allow_pickle=False) for p in folder.glob("*.npy")}


@pytest.fixture(scope="module")
def embedded():
    return load_model("embedded")


# ------------------------------------------------------------------------------------------ 03 anatomy


def test_anatomy_of_the_embedded_model(embedded):
    a = describe_anatomy(embedded, "a watermelon")
    tok = a["tokenizer"]
    assert tok["tokens"] == ["[CLS]", "a", "water", "##mel", "##on", "[SEP]"]  # a word in three pieces
    assert tok["ids"] == embedded.tokenizer("a watermelon")["input_ids"]
    assert (tok["count"], tok["special"], tok["padded_to"], tok["pad_token"]) == (6, 2, 24, "[PAD]")
    text = a["text_encoder"]
    assert text["states_shape"] == [1, 24, 384] and text["pooled_shape"] == [1, 384]
    assert (text["class"], text["layers"], text["width"], text["parameters"]) == ("BertModel", 6, 384, 22_713_216)
    unet = a["denoiser"]
    assert unet["input_shape"] == unet["output_shape"] == [1, 3, 64, 64] and unet["text_shape"] == [1, 24, 384]
    # The hooked parts are the whole UNet: their parameters add up to its count (7.1M, the model card's).
    assert sum(p["parameters"] for p in unet["parts"]) == unet["parameters"] == 7_064_547
    names = [p["name"] for p in unet["parts"]]
    assert names[:3] == ["time_proj", "time_embedding", "conv_in"] and names[-1] == "conv_out"
    assert [p["shape"][-1] for p in unet["parts"] if p["name"].startswith("down_blocks")] == [32, 16, 8, 8]
    assert unet["attention_resolutions"] == [16, 8]  # attention only at 16x16 and 8x8 (CPU speed)
    assert 0 < unet["cross_attention_parameters"] < unet["parameters"]
    assert a["decoder"] is None and a["image"]["compression"] == 1.0 and a["kind"] == "pixel"
    assert a["parameters"] == text["parameters"] + unet["parameters"]


def test_anatomy_of_a_tiny_sd_pipeline(tmp_path):
    folder = save_tiny_sd(tmp_path / "tiny-sd")
    model = load_model(folder)
    a = describe_anatomy(model, "a cat")
    assert a["tokenizer"]["tokens"] == ["<|startoftext|>", "a</w>", "cat</w>", "<|endoftext|>"]
    assert a["tokenizer"]["padded_to"] == 77 and a["tokenizer"]["special"] == 2
    assert a["text_encoder"]["states_shape"] == [1, 77, 32] and not a["text_encoder"]["padding_masked"]
    vae = a["decoder"]
    assert (vae["latent_shape"], vae["image_shape"], vae["scale_factor"]) == ([1, 4, 16, 16], [1, 3, 32, 32], 2)
    assert vae["parameters"] > vae["decoder_parameters"] > 0 and vae["encoder_parameters"] > 0
    assert a["image"]["compression"] == 32 * 32 * 3 / (16 * 16 * 4)
    assert sum(p["parameters"] for p in a["denoiser"]["parts"]) == a["denoiser"]["parameters"]
    assert a["parameters"] == a["text_encoder"]["parameters"] + a["denoiser"]["parameters"] + vae["parameters"]
    # Described the same way as the embedded model, from its folder alone.
    info = describe_model(folder)
    assert set(info) == {"name", "width", "height", "channels", "hash"}
    assert (info["width"], info["height"], info["channels"]) == (32, 32, 3)


def test_embedded_description_unchanged(embedded):
    info = describe_model("embedded")
    assert list(info) == ["name", "width", "height", "channels", "hash"]
    assert (info["width"], info["height"], info["channels"]) == (embedded.image_size[1], embedded.image_size[0], 3)


def test_sd15_built_from_its_published_configs():
    sd = describe_published(read_configs())
    assert sd["denoiser"]["parameters"] == 859_520_964  # 859.5M
    assert sd["decoder"]["parameters"] == 83_653_863  # 83.7M
    assert sd["text_encoder"]["parameters"] == 123_060_480  # 123.1M
    assert sd["text_encoder"]["states_shape"] == [1, 77, 768]
    assert sd["decoder"]["latent_shape"] == [1, 4, 64, 64] and sd["decoder"]["image_shape"] == [1, 3, 512, 512]
    assert sd["image"]["compression"] == 48.0  # 512*512*3 numbers vs 64*64*4
    assert sd["denoiser"]["attention_resolutions"] == [64, 32, 16, 8]
    assert sum(p["parameters"] for p in sd["denoiser"]["parts"]) == sd["denoiser"]["parameters"]
    assert sd["tokenizer"]["tokens"] is None  # no vocabulary offline: not listed rather than invented


def test_chapter_03_facts(tmp_path):
    facts, _ = run_tiny("03_anatomy", tmp_path)
    assert facts["tokens"]["tokens"] == ["[CLS]", "a", "strawberry", "[SEP]"] and facts["tokens"]["padding"] == 20
    assert facts["word_pieces"]["words"] == 2 and facts["word_pieces"]["pieces"] == 4
    assert facts["denoiser"]["parameters_millions"] == 7.1 and facts["denoiser"]["same_shape_out"]
    assert facts["loop"]["unet_calls"] == 60 and facts["image"]["compression"] == 1.0
    sd = facts["sd15"]
    assert (sd["unet_millions"], sd["vae_millions"], sd["text_millions"]) == (859.5, 83.7, 123.1)
    assert sd["compression"] == 48.0 and sd["scale_factor"] == 8 and sd["unet_times_ours"] > 100
    assert facts["anatomy"]["embedded"]["denoiser"]["parts"][0]["name"] == "time_proj"


# ------------------------------------------------------------------------------- 04 where words live


def test_map_measures():
    labels = np.array([0, 0, 0, 1, 1, 1])
    points = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], float)
    distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
    assert maps.silhouette(distance, labels) > 0.9
    assert maps.silhouette(distance, np.array([0, 1, 0, 1, 0, 1])) < 0
    near = maps.nearest(-distance, 2)
    assert maps.knn_label_agreement(near, labels) == 1.0
    assert maps.chance_agreement(labels) == pytest.approx(2 / 5)
    assert maps.neighbour_overlap(near, near) == 1.0
    line = np.outer(np.arange(5.0), [1.0, 2.0, 2.0])
    pca = maps.PCA2D(line)
    assert pca.explained[0] == pytest.approx(1.0)
    assert np.allclose(np.abs(pca.project(line)[:, 0]), np.abs(np.arange(5.0) - 2) * 3)
    assert maps.mean_pairwise_rms(np.array([[0.0, 0.0], [3.0, 3.0]])) == 3.0


def test_chapter_04_map(tmp_path):
    facts, _ = run_tiny("04_where_words_live", tmp_path)
    got = arrays(tmp_path)
    n = facts["map"]["prompts"]
    assert n == 18 and got["points"].shape == (n, 2) and got["labels"].shape == (n,)
    assert np.abs(got["points"]).max() == pytest.approx(1.0, abs=1e-6)
    assert facts["map"]["method"] == "UMAP" and not facts["map"]["fallback"]
    assert "text encoder" in facts["map"]["space"] and "not image space" in facts["map"]["space"]
    clusters = facts["clusters"]
    assert clusters["agreement"] > clusters["chance"] and clusters["well_above_chance"]
    assert -1 <= clusters["silhouette"] <= 1
    prompt = facts["prompt"]
    assert prompt["nearest"] == "a bowl of strawberries" and prompt["category"] == "food"
    assert prompt["similarities"] == sorted(prompt["similarities"], reverse=True)
    assert facts["phrasings"]["pairs"][0]["rank"] == 1  # "a kitten" is nearest to "a cat"
    # Seeded: the same map again.
    (tmp_path / "again").mkdir()
    run_tiny("04_where_words_live", tmp_path / "again")
    assert np.array_equal(np.load(tmp_path / "again" / "points.npy"), got["points"])


def test_chapter_04_pca_fallback(tmp_path):
    exp = experiment("04_where_words_live")
    facts, _ = run_tiny("04_where_words_live", tmp_path,
                        projection=dict(exp.TINY_CONFIG["projection"], method="pca"))
    assert facts["map"]["method"] == "PCA" and facts["clusters"]["map_agreement"] > facts["clusters"]["chance"]


# ------------------------------------------------------------------------------ 11 paths not taken


def test_decided_point():
    exp = experiment("11_paths_not_taken")
    assert exp.decided_point(np.array([40.0, 20.0, 9.0, 5.0]), 0.25) == 2
    assert exp.decided_point(np.array([40.0, 20.0, 11.0]), 0.25) is None


def test_chapter_11_branches(tmp_path):
    facts, _ = run_tiny("11_paths_not_taken", tmp_path)
    got = arrays(tmp_path)
    exp = experiment("11_paths_not_taken")
    cfg = exp.TINY_CONFIG
    points, b, s = cfg["branch_steps"], cfg["branches"], cfg["steps"]
    assert got["grid"].shape == (len(points), b, 64, 64, 3) and got["grid"].dtype == np.uint8
    spread = got["spread"]
    assert spread[0] > 5 * spread[-2]  # branches from pure noise end far apart; late ones close together
    # DDPM adds no noise on its last step: branches from there all end on the same image, the trunk's (up
    # to bf16 rounding: the trunk ran as a batch of 1, the branches as a batch of 3).
    assert spread[-1] == 0 and got["to_trunk"][-1] < 1.0
    assert np.abs(got["grid"][-1].astype(int) - got["trunk_final"]).mean() < 0.5
    tree = got["tree_branches"]
    assert tree.shape == (len(points), b, s + 1, 2) and got["tree_trunk"].shape == (s + 1, 2)
    for p, k in enumerate(points):  # a branch is the trunk up to its branch step, then leaves it
        assert np.allclose(tree[p, :, : k + 1], got["tree_trunk"][: k + 1], atol=1e-4)
    assert np.abs(tree[0, :, -1] - got["tree_trunk"][-1]).max() > 0
    d = facts["decided"]
    assert d["found"] and d["step"] in points and d["spread_percent"] < 25
    assert facts["spread"]["percent_of_first"][0] == 100 and facts["tree"]["endpoints"] == len(points) * b + 1


def test_branch_with_the_trunks_own_seed_does_not_replay_it(embedded):
    """The branch's noise generator restarts at the branch point, so the trunk's seed gives a new path;
    only the whole run from step 0 replays it."""
    kw = dict(prompts="a strawberry", guidance_scales=4.0, num_steps=6, scheduler="ddpm", progress=False)
    trunk = capture(embedded, seeds=7, **kw)
    again = capture(embedded, seeds=7, **kw)
    branch = capture(embedded, seeds=7, **kw, **trunk.start_from(2))
    assert np.array_equal(again.final_image, trunk.final_image)
    assert np.abs(branch.final_image - trunk.final_image).max() > 0.1


# ------------------------------------------------------------------------------ 12 the full journey


def test_chapter_12_recap(tmp_path):
    facts, _ = run_tiny("12_full_journey", tmp_path)
    got = arrays(tmp_path)
    cfg = experiment("12_full_journey").TINY_CONFIG
    assert got["xt_frames"].shape == got["x0_frames"].shape == (cfg["steps"], 64, 64, 3)
    stills = got["knob_stills"]
    assert stills.shape == (4, 2, 64, 64, 3)
    # One still of every pair is the walk's own image (for steps, the second: few steps first).
    for knob, own in ((0, 0), (1, 0), (2, 1), (3, 0)):
        assert np.array_equal(stills[knob, own], got["final"])
    assert facts["knobs"]["every_knob_changes_image"]
    assert set(facts["knobs"]["change_levels"]) == {"seed", "prompt", "steps", "guidance"}


def test_chapter_12_walk_is_chapter_02s():
    walk, ch02 = experiment("12_full_journey").CONFIG, experiment("02_noise_to_image").CONFIG
    for key in ("model", "prompt", "seed", "steps", "guidance_scale", "scheduler"):
        assert walk[key] == ch02[key], key
