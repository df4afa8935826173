"""Evaluation pieces: the committed label judge on real composed images, distances, the contact sheet, the card."""

import numpy as np

from render_data.judge import LABELS, load_judge
from render_data.model_factory.captions import caption_for
from render_data.model_factory.compose import make_batch
from render_data.model_factory.contact_sheet import contact_sheet, save_png
from render_data.model_factory.evaluate import mean_pairwise_distance
from render_data.model_factory.specs import make_spec, sample_specs


def test_mean_pairwise_distance():
    same = np.zeros((3, 4, 4, 3), np.uint8)
    assert mean_pairwise_distance(same) == 0
    two = np.stack([np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)])
    assert mean_pairwise_distance(two) == 1.0


def test_committed_judge_reads_composed_images(sprites):
    judge = load_judge()
    assert set(judge.classes) == set(LABELS) and judge.accuracy["subject"] > 0.9
    specs = [make_spec("snail", "fluent3d", "small", "top left", "purple"),
             make_spec("car", "noto", "large", "centre", "white"),
             make_spec("apple", "twemoji", "medium", "bottom right", "blue")]
    images, _, _ = make_batch(sprites, specs)
    read = judge.top1(images)
    assert read["subject"] == ["snail", "car", "apple"]
    assert read["size"] == ["small", "large", "medium"]
    assert read["position"] == ["top left", "centre", "bottom right"]
    assert read["background"] == ["purple", "white", "blue"]
    probs = judge.predict(images)["subject"]
    assert probs.shape == (3, len(judge.classes["subject"])) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_judge_accuracy_on_fresh_samples(sprites):
    images, _, labels = make_batch(sprites, sample_specs(64, seed=12345, two_object_fraction=0.0))
    probs = load_judge().predict(images)
    assert (probs["subject"].argmax(1) == labels["subject"]).mean() > 0.85
    assert (probs["background"].argmax(1) == labels["background"]).mean() > 0.95


def test_contact_sheet(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    path = save_png(contact_sheet(images, [caption_for(make_spec("snail"), 0)] * 5, cols=3, scale=1),
                    tmp_path / "sheet.png")
    from PIL import Image

    sheet = np.asarray(Image.open(path).convert("RGB"))
    tile = np.argwhere((sheet[:70, :80] == images[0][0, 0]).all(axis=2))  # the first image's corner pixel
    assert sheet.shape[1] == 3 * (64 + 56) and len(tile)


def test_model_card_reports_detailed_prompt_adherence(tmp_path):
    import json

    from render_data.model_factory.model_card import write_model_card

    ev = {"judge_accuracy": {"subject": 0.97}, "subjects": 48, "prompts_per_scale": 48,
          "adherence_top1": {"1.0": 0.25, "4.0": 0.71}, "guidance_gain": 2.83,
          "detailed_adherence": {"subject": 0.46, "position": 0.06}, "chance": {"subject": 1 / 48, "position": 1 / 9},
          "diversity": {"vague": 0.18, "detailed": 0.17, "ratio": 1.05},
          "sampler": {"scheduler": "ddim", "steps": 20, "default_guidance": 4.0, "precision": "bf16"}, "seconds": 300}
    (tmp_path / "eval.json").write_text(json.dumps(ev))
    (tmp_path / "training.json").write_text(json.dumps({"label": "interim", "parameters": 7_000_000}))
    card = write_model_card(tmp_path).read_text()
    assert "# diffusion-journey emoji model (interim)" in card
    assert "| 4.0 | 71.0% |" in card and "2.83x" in card
    assert "subject 46% (chance 2%), position 6% (chance 11%)" in card
    assert "UNet in bf16" in card


def test_varied_detailed_prompts_vary_every_attribute():
    """A model that always drew a medium object in the centre must score about chance on size and position."""
    from render_data.model_factory.evaluate import varied_specs

    specs = varied_specs(48)
    for key, n in (("subject", 20), ("style", 3), ("size", 3), ("position", 8), ("background", 9)):
        assert len({getattr(s, key) for s in specs}) >= n, key
    centre_medium = np.mean([s.position == 4 and s.size == 1 for s in specs])
    assert centre_medium < 0.15


def test_border_colour_reads_the_ring_not_the_object():
    from render_data.model_factory.evaluate import border_colour

    img = np.zeros((1, 64, 64, 3), np.uint8)
    img[:, :, :] = (200, 10, 10)
    img[:, 8:56, 8:56] = (0, 255, 0)  # the object, inside the ring
    assert np.allclose(border_colour(img), [[200, 10, 10]])
