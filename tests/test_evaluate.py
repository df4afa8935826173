import numpy as np
import torch

from render_data.dataset import load_sprites, make_batch, n_classes, sample_specs
from render_data.evaluate import LabelClassifier, contact_sheet, mean_pairwise_distance, predict


def test_mean_pairwise_distance():
    same = np.zeros((3, 4, 4, 3), np.uint8)
    assert mean_pairwise_distance(same) == 0
    two = np.stack([np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)])
    assert mean_pairwise_distance(two) == 1.0


def test_judge_has_a_head_per_label_and_reads_real_batches():
    sprites = load_sprites(progress=False)
    classes = n_classes(sprites)
    judge = LabelClassifier(classes).eval()
    images, _, labels = make_batch(sprites, sample_specs(5, seed=3, two_object_fraction=0.0))
    out = predict(judge, images)
    assert {k: v.shape for k, v in out.items()} == {k: torch.Size([5, n]) for k, n in classes.items()}
    assert set(classes) <= set(labels)


def test_contact_sheet(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    path = tmp_path / "sheet.png"
    contact_sheet(images, ["a snail"] * 5, path, cols=3, scale=1)
    from PIL import Image

    sheet = np.asarray(Image.open(path))
    assert sheet.shape[1] == 3 * 64 and sheet.shape[0] == 2 * (64 + 22)
    assert np.array_equal(sheet[:64, :64], images[0])


def test_model_card_reports_detailed_prompt_adherence(tmp_path):
    import json

    from render_data.model_card import write_model_card

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
