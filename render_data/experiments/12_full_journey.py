"""Chapter 12 data: the recap. The four knobs, each turned once, and the walk from noise to the image.

Computed here, cheaply, rather than read from other chapters (each chapter owns its data): the walk is
chapter 02's (same prompt, seed, sampler, steps, guidance, fp32, so the same images), and each knob gets two
stills that differ in that knob only; one of each pair is the walk's own image. Measured: how much each
knob's turn changes the image (mean difference per colour value, 0..255 levels).
"""

import numpy as np

from render_data.capture import capture
from render_data.loading import load_model

CONFIG = {
    "model": "embedded",
    # The walk: chapter 02's settings.
    "prompt": "a strawberry",
    "seed": 7,
    "steps": 30,
    "guidance_scale": 4.0,
    "scheduler": "ddim",
    # The other setting of each knob (the first is always the walk's own).
    "other_seed": 42,
    "other_prompt": "a snail",
    "other_steps": 3,
    "other_guidance_scale": 1.0,
}
TINY_CONFIG = dict(CONFIG, steps=4, other_steps=2)
USES_MODEL = True
KNOBS = ("seed", "prompt", "steps", "guidance")


def mean_level_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference per colour value of two uint8 images, in 0..255 levels."""
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def run(out, config, model_info):
    model = load_model(config["model"])
    walk = capture(model, [config["prompt"]], seeds=[config["seed"]], guidance_scales=[config["guidance_scale"]],
                   num_steps=config["steps"], scheduler=config["scheduler"], progress=False)
    final = walk.final_images()[0]
    # Seed, prompt and guidance turned: one batch (each sample has its own seed, prompt and scale).
    turned = capture(model, [config["prompt"], config["other_prompt"], config["prompt"]],
                     seeds=[config["other_seed"], config["seed"], config["seed"]],
                     guidance_scales=[config["guidance_scale"], config["guidance_scale"],
                                      config["other_guidance_scale"]],
                     num_steps=config["steps"], scheduler=config["scheduler"], progress=False).final_images()
    few = capture(model, [config["prompt"]], seeds=[config["seed"]], guidance_scales=[config["guidance_scale"]],
                  num_steps=config["other_steps"], scheduler=config["scheduler"], progress=False).final_images()[0]
    # [knob, 2, H, W, 3]: (the walk's setting, the other) for seed and prompt and guidance; steps in
    # increasing order (few, the walk's).
    stills = np.stack([[final, turned[0]], [final, turned[1]], [few, final], [final, turned[2]]])

    out.array("xt_frames", walk.xt_frames[:, 0])  # uint8 [S, 64, 64, 3]: the state entering each step
    out.array("x0_frames", walk.x0_frames[:, 0])  # uint8 [S, 64, 64, 3]: the model's guess at each step
    out.array("final", final)
    out.array("knob_stills", stills)  # uint8 [4 (seed, prompt, steps, guidance), 2, 64, 64, 3]

    change = {k: round(mean_level_difference(*stills[i]), 1) for i, k in enumerate(KNOBS)}
    out.fact("walk", prompt=config["prompt"], seed=config["seed"], steps=config["steps"],
             guidance=config["guidance_scale"], scheduler=config["scheduler"].upper(), model=model_info["name"])
    out.fact("knobs", order=list(KNOBS),
             seed=[config["seed"], config["other_seed"]], prompt=[config["prompt"], config["other_prompt"]],
             steps=[config["other_steps"], config["steps"]],
             guidance=[config["guidance_scale"], config["other_guidance_scale"]],
             change_levels=change, every_knob_changes_image=all(v > 1.0 for v in change.values()),
             biggest_change=max(change, key=change.get), smallest_change=min(change, key=change.get))
