"""The embedded model's recipe saves into the layout the loader reads, and samples at 64x64."""

import json

import numpy as np
import torch

from render_data.capture import capture
from render_data.model_factory.recipe import TEXT_ENCODER, UNET_CONFIG, build_unet, save_embedded
from render_data.loading import load_model


def test_recipe_round_trip(tmp_path):
    torch.manual_seed(0)
    unet = build_unet()
    params = sum(p.numel() for p in unet.parameters())
    assert params < 15_000_000  # fp16 weights well under the 60 MB budget
    save_embedded(unet, tmp_path, {"label": "test"})
    weights = list((tmp_path / "unet").glob("*.safetensors"))
    assert weights and sum(w.stat().st_size for w in weights) < 2.2 * params + 1_000_000  # stored as fp16
    assert json.loads((tmp_path / "text_encoder.json").read_text()) == TEXT_ENCODER

    model = load_model(tmp_path)
    assert model.kind == "pixel" and model.sample_shape == (3, UNET_CONFIG["sample_size"], UNET_CONFIG["sample_size"])
    emb = model.encode(["a small glossy 3d snail in the top left on a purple background", "a snail"])
    assert emb.states.shape == (2, TEXT_ENCODER["max_length"], 384)
    assert emb.mask.sum(1).tolist()[1] < emb.mask.sum(1).tolist()[0]  # padding is masked
    traj = capture(model, ["a snail", "a cat"], seeds=[1, 2], guidance_scales=[1.0, 4.0], num_steps=2,
                   progress=False)
    images = traj.final_images()
    assert images.shape == (2, 64, 64, 3) and images.dtype == np.uint8


def test_training_can_start_from_exported_weights(tmp_path):
    import argparse

    from diffusers.training_utils import EMAModel

    import pytest

    from render_data.model_factory.train import init_from_export

    torch.manual_seed(0)
    trained = build_unet()
    save_embedded(trained, tmp_path, {"label": "interim", "steps": 7, "loss_log": [[5, 0.25]], "train_seconds": 3.0})
    torch.manual_seed(1)
    unet = build_unet()
    ema = EMAModel(unet.parameters())
    args = argparse.Namespace(label="")
    step, log, seconds = init_from_export(tmp_path, unet, ema, args)
    assert (step, log, seconds, args.label) == (7, [[5, 0.25]], 3.0, "interim")
    trained_params = dict(trained.named_parameters())
    for (name, param), shadow in zip(unet.named_parameters(), ema.shadow_params):  # the exported fp16 weights,
        expected = trained_params[name].detach().half().float()                   # in both copies
        assert torch.equal(param.detach(), expected) and torch.equal(shadow, expected), name

    cfg = tmp_path / "unet" / "config.json"
    cfg.write_text(cfg.read_text().replace('"norm_num_groups": 16', '"norm_num_groups": 8'))
    with pytest.raises(SystemExit, match="norm_num_groups"):
        init_from_export(tmp_path, unet, ema, args)
