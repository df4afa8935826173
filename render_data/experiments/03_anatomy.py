"""Chapter 03 data: the parts of the model and the tensor passed between them, read from the model itself.

The prompt goes through the loaded model once (render_data.anatomy.describe_anatomy): its real tokens and
ids, the shape of the text encoder's token states, every top-level part of the denoiser with its parameter
count and output shape, the scheduler, the image. For contrast, Stable Diffusion 1.5 built from its
published configuration with empty weights (render_data/sd15_configs.json; nothing downloaded): a latent
model, whose VAE lets the denoiser work on 48x fewer numbers than the image has.
"""

from journey_base.freshness import sha
from render_data.anatomy import SD15_CONFIGS, describe_anatomy, describe_published, read_configs
from render_data.loading import load_model

CONFIG = {
    "model": "embedded",
    "prompt": "a strawberry",  # chapter 02's prompt: the walk the viewer has just seen
    "word_pieces_prompt": "a watermelon",  # MiniLM's vocabulary splits it: tokens are not always words
    "steps": 30,  # the sampling loop as chapter 02 ran it (DDIM, 30 steps, guidance 4)
    "guidance_scale": 4.0,
    # The contrast model's configs are data, not code: their hash makes this chapter stale when they change.
    "contrast_configs_sha": sha(SD15_CONFIGS.read_bytes()),
}
TINY_CONFIG = CONFIG  # already small: one prompt through the model once, and a shape-only pass of SD 1.5
USES_MODEL = True


def millions(n: int) -> float:
    return round(n / 1e6, 1)


def run(out, config, model_info):
    model = load_model(config["model"])
    ours = describe_anatomy(model, config["prompt"])
    sd = describe_published(read_configs(SD15_CONFIGS))
    pieces = describe_anatomy(model, config["word_pieces_prompt"])["tokenizer"]
    out.fact("anatomy", embedded=ours, sd15=sd)  # the whole descriptions, for the diagram

    tok, text, unet, image = ours["tokenizer"], ours["text_encoder"], ours["denoiser"], ours["image"]
    out.fact("model", name=model_info["name"], kind=ours["kind"], pixel_space=ours["decoder"] is None,
             parameters=ours["parameters"], parameters_millions=millions(ours["parameters"]))
    out.fact("tokens", prompt=config["prompt"], tokenizer=tok["class"], vocab_size=tok["vocab_size"],
             tokens=tok["tokens"], ids=tok["ids"], count=tok["count"], padded_to=tok["padded_to"],
             pad_token=tok["pad_token"], padding=tok["padded_to"] - tok["count"])
    words = config["word_pieces_prompt"].split()
    out.fact("word_pieces", prompt=config["word_pieces_prompt"], tokens=pieces["tokens"], ids=pieces["ids"],
             words=len(words), pieces=pieces["count"] - pieces["special"])
    out.fact("text", encoder=text["name"], cls=text["class"], layers=text["layers"], width=text["width"],
             tokens=text["states_shape"][1], states_shape=text["states_shape"], parameters=text["parameters"],
             parameters_millions=millions(text["parameters"]), padding_masked=text["padding_masked"])
    out.fact("denoiser", cls=unet["class"], parameters=unet["parameters"],
             parameters_millions=millions(unet["parameters"]), input_shape=unet["input_shape"],
             output_shape=unet["output_shape"], same_shape_out=unet["input_shape"] == unet["output_shape"],
             cross_attention_parameters=unet["cross_attention_parameters"],
             cross_attention_percent=round(100 * unet["cross_attention_parameters"] / unet["parameters"], 1),
             attention_resolutions=unet["attention_resolutions"],
             smallest_resolution=min(p["shape"][-1] for p in unet["parts"] if len(p["shape"]) == 4),
             widest_channels=max(unet["block_out_channels"]), part_count=len(unet["parts"]))
    out.fact("loop", scheduler=ours["scheduler"]["class"], steps=config["steps"], guidance=config["guidance_scale"],
             unet_calls=2 * config["steps"],  # classifier-free guidance: with and without the prompt
             train_timesteps=ours["scheduler"]["num_train_timesteps"])
    out.fact("image", height=image["height"], width=image["width"], channels=image["channels"],
             values=image["values"], sample_values=image["sample_values"], compression=image["compression"])

    sd_unet, sd_vae, sd_text, sd_image = sd["denoiser"], sd["decoder"], sd["text_encoder"], sd["image"]
    out.fact("sd15", name=sd["name"], parameters=sd["parameters"], parameters_millions=millions(sd["parameters"]),
             unet_parameters=sd_unet["parameters"], unet_millions=millions(sd_unet["parameters"]),
             vae_parameters=sd_vae["parameters"], vae_millions=millions(sd_vae["parameters"]),
             vae_decoder_millions=millions(sd_vae["decoder_parameters"]),
             text_parameters=sd_text["parameters"], text_millions=millions(sd_text["parameters"]),
             text_states_shape=sd_text["states_shape"], latent_shape=sd_vae["latent_shape"],
             image_shape=sd_vae["image_shape"], scale_factor=sd_vae["scale_factor"],
             image_values=sd_image["values"], latent_values=sd_image["sample_values"],
             compression=sd_image["compression"], attention_resolutions=sd_unet["attention_resolutions"],
             scheduler=sd["scheduler"]["class"],
             unet_times_ours=round(sd_unet["parameters"] / unet["parameters"], 1),
             parameters_times_ours=round(sd["parameters"] / ours["parameters"], 1))
