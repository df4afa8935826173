"""Chapter 2's data: a real trajectory of the committed embedded model, and the measures its narration states."""

import numpy as np

from journey_base.chapters import get_chapter, load_module
from render_data.artifacts import build_chapter_data
from render_data.models import describe_model

CH = get_chapter("02")


def _experiment():
    return load_module(CH.experiment_file, f"render_data.experiments.ch{CH.id}")


def test_measures():
    exp = _experiment()
    final = np.zeros((1, 4, 4, 3), np.uint8)
    frames = np.stack([np.full((4, 4, 3), 100, np.uint8), final[0]])
    assert exp.mean_level_error(frames, final[0]).tolist() == [100.0, 0.0]


def test_embedded_model_is_committed_and_described():
    info = describe_model("embedded")
    assert (info["width"], info["height"], info["channels"]) == (64, 64, 3)
    assert len(info["hash"]) == 16


def test_trajectory_from_the_embedded_model(monkeypatch):
    monkeypatch.setitem(_experiment().CONFIG, "steps", 6)  # a short run of the real model
    data, _ = build_chapter_data(CH, force=True)
    xt, x0, final = data.array("xt_frames"), data.array("x0_frames"), data.array("final")
    assert xt.shape == x0.shape == (6, 64, 64, 3) and final.shape == (64, 64, 3)
    assert xt.dtype == np.uint8
    error = data.array("x0_error")
    assert error[-1] < error[0]  # the guess ends where the walk ends
    assert error[-1] < 3  # x̂0 at the last step is the final image (up to 8-bit rounding)
    facts = data.facts
    assert facts["run"]["steps"] == 6 and facts["xhat"]["error_first"] == int(round(error[0]))
    assert facts["xhat"]["noise_error"] > 0


def test_model_hash_covers_weights_not_evaluation(monkeypatch, tmp_path):
    import shutil

    from render_data import models

    copy = tmp_path / "embedded"
    shutil.copytree(models.EMBEDDED_DIR, copy)
    monkeypatch.setattr(models, "EMBEDDED_DIR", copy)
    before = describe_model("embedded")["hash"]
    (copy / "eval.json").write_text('{"seconds": 1}')  # re-running make eval
    (copy / "README.md").write_text("card")
    assert describe_model("embedded")["hash"] == before
    weights = next((copy / "unet").glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-2] + b"\x00\x01")  # other weights: chapter data is stale
    assert describe_model("embedded")["hash"] != before
