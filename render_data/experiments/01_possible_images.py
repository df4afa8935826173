"""Chapter 01 data: how many possible images the model's canvas holds, and real noise to flicker."""

import numpy as np

from render_data.counting import (ATOMS_IN_UNIVERSE_LOG10, ImageSpace, nested_universe_layers,
                                  years_to_view_all_log10)

CONFIG = {
    "model": "embedded",
    "levels": 256,  # 8-bit colour
    "noise_seed": 1,
    "noise_frames": 90,
    "images_per_second": 60,  # the guide's flicker rate, for the "how long to look at them all" figure
    "heat_death_years_log10": 100,  # order-of-magnitude estimate for the universe's heat death
}
USES_MODEL = True  # the canvas size is the model's


def run(out, config, model):
    space = ImageSpace(model["width"], model["height"], model["channels"], config["levels"])
    out.fact("model", name=model["name"], width=space.width, height=space.height, channels=space.channels)
    out.fact(
        "possible_images",
        values=space.values,
        levels=space.levels,
        log10=round(space.log10_count, 3),
        exponent=space.exponent,
        mantissa=round(space.mantissa, 2),
        digits=space.exponent + 1,
    )
    out.fact(
        "atoms",
        exponent=ATOMS_IN_UNIVERSE_LOG10,
        layers=nested_universe_layers(space.log10_count),
    )
    years = years_to_view_all_log10(space.log10_count, config["images_per_second"])
    out.fact(
        "viewing",
        images_per_second=config["images_per_second"],
        years_exponent=int(years),
        heat_death_exponent=config["heat_death_years_log10"],
    )
    rng = np.random.default_rng(config["noise_seed"])
    frames = rng.integers(0, 256, size=(config["noise_frames"], space.height, space.width, space.channels),
                          dtype=np.uint8)
    out.array("noise_frames", frames)
    out.fact("noise", frames=config["noise_frames"], seed=config["noise_seed"])
