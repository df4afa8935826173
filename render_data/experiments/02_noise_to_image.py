"""Chapter 02 data: one real trajectory of the embedded model, x_t and the predicted x̂0 at every step.

Claim it backs: the model's early guess of the final image (x̂0) is a rough average, far from where the
walk ends (measured: mean error per colour value against the final image, step by step).
"""

import numpy as np

from render_data.capture import capture
from render_data.loading import load_model

CONFIG = {
    "model": "embedded",
    "prompt": "a strawberry",  # the interim model follows subjects, not yet position or background (see its card)
    "seed": 7,
    "steps": 30,
    "guidance_scale": 4.0,
    "scheduler": "ddim",
}
USES_MODEL = True


def mean_level_error(images: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean absolute difference per colour value, in the 0..255 levels of an 8-bit image."""
    return np.abs(images.astype(np.float64) - target.astype(np.float64)).mean(axis=(1, 2, 3))


def run(out, config, model_info):
    model = load_model(config["model"])
    traj = capture(model, [config["prompt"]], seeds=[config["seed"]], guidance_scales=[config["guidance_scale"]],
                   num_steps=config["steps"], scheduler=config["scheduler"])
    xt = traj.xt_frames[:, 0]  # [S, 64, 64, 3]: the image the model is given at each step (x_T first)
    x0 = traj.x0_frames[:, 0]  # [S, 64, 64, 3]: its prediction of the finished image at that step
    final = traj.final_images()[0]
    out.array("xt_frames", xt)
    out.array("x0_frames", x0)
    out.array("final", final)
    error = mean_level_error(x0, final)
    out.array("x0_error", error.astype(np.float32))
    steps = len(xt)
    quarter = steps // 4
    out.fact("model", name=model_info["name"], width=model_info["width"], height=model_info["height"])
    out.fact("run", prompt=config["prompt"], seed=config["seed"], steps=steps, guidance=config["guidance_scale"],
             scheduler=config["scheduler"].upper())
    out.fact("xhat", error_first=int(round(error[0])), error_quarter=int(round(error[quarter])),
             error_half=int(round(error[steps // 2])), quarter_step=quarter + 1, half_step=steps // 2 + 1,
             noise_error=int(round(mean_level_error(xt[:1], final)[0])))
