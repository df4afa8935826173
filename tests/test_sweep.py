"""The sweep engine on the committed embedded model: batching changes nothing but the time.

fp32 throughout: batched results must equal each run made alone and the diffusers pipeline's image for the
same settings (max abs diff <= 1e-3 in [0, 1] image units). A batch rounds differently from a single
run (the CPU kernels block by batch size: ~1e-6 per UNet call), and a walk magnifies that with guidance:
at s <= 4 the images agree to ~3e-4; at s = 7.5 in 6 steps to ~1.3e-3, and at s = 15 the pipeline itself
disagrees with itself by ~1e-3 between batch sizes (benchmarks/sweep_speed.py measures it). So the scales
here stay <= 4.
"""

from __future__ import annotations

import numpy as np
import pytest

from render_data.capture import capture, make_scheduler
from render_data.loading import load_model
from render_data.sweep import Run, naive_image, plan, prepare, sweep

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:diffusers")

TOL = 1e-3
STEPS = 5


@pytest.fixture(scope="module")
def model():
    return prepare(load_model("embedded"))


def test_batched_equals_single_runs_and_the_pipeline(model):
    emb = model.encode(["a butterfly"])
    named = {
        "s0": Run("a snail", seed=0, steps=STEPS, guidance=0.0),  # the empty prompt alone
        "s1": Run("a snail", seed=0, steps=STEPS, guidance=1.0),  # the prompt alone
        "s4": Run("a snail", seed=0, steps=STEPS, guidance=4.0),
        "seed1": Run("a snail", seed=1, steps=STEPS, guidance=2.5),
        "emb": Run(embedding=emb, seed=0, steps=STEPS, guidance=4.0),  # precomputed conditioning ...
        "text": Run("a butterfly", seed=0, steps=STEPS, guidance=4.0),  # ... equals its prompt
        "dup": Run("a snail", seed=1, steps=STEPS, guidance=2.5, eps_steps=(2,)),  # a duplicate that keeps more
        "walk": Run("a small car left of a medium apple", seed=3, steps=STEPS - 2, guidance=2.5, states=True,
                    frames=True),
        "eta": Run("a snail", seed=2, steps=STEPS, guidance=4.0, sampler="ddim", eta=1.0),  # stochastic DDIM
    }
    runs = list(named.values())
    got = dict(zip(named, sweep(model, runs, precision="fp32")))
    assert [g.run for g in got.values()] == runs
    for name, run in named.items():
        alone = sweep(model, [run], precision="fp32")[0]
        assert np.abs(got[name].image_float - alone.image_float).max() <= TOL, name
        assert got[name].image.dtype == np.uint8 and got[name].image.shape == (64, 64, 3)
    for name in ("s0", "s4", "seed1", "emb", "walk", "eta"):
        ref = naive_image(model, named[name])
        assert ref.std() > 0.02
        assert np.abs(got[name].image_float - ref).max() <= TOL, name
    assert np.abs(got["emb"].image_float - got["text"].image_float).max() <= TOL
    # Different settings make different images (the comparisons above could not pass by accident).
    for a, b in (("s0", "s4"), ("s1", "s4"), ("s4", "seed1"), ("s4", "eta")):
        assert np.abs(got[a].image_float - got[b].image_float).max() > 0.1, (a, b)
    # What each run asked to keep, and only that.
    dup, first = got["dup"], got["seed1"]
    assert set(dup.eps_cond) == set(dup.x_t) == {2} and dup.eps_cond[2].shape == (3, 64, 64)
    assert first.eps_cond == {} and np.array_equal(dup.image, first.image)
    walk = got["walk"]
    assert walk.states.shape == (STEPS - 2 + 1, 3, 64, 64) and walk.states.dtype == np.float16
    assert walk.xt_frames.shape == walk.x0_frames.shape == (STEPS - 2, 64, 64, 3)
    final = np.clip(walk.states[-1].astype(np.float32) / 2 + 0.5, 0, 1)  # the last state is the image
    assert np.abs(final - walk.image_float.transpose(2, 0, 1)).max() < 2e-3
    assert got["s4"].states is None and got["s4"].xt_frames is None


def test_plan_groups_and_merges():
    a = Run("a snail", seed=0, steps=20)
    runs = [a, Run("a snail", seed=1, steps=20), Run("a snail", seed=0, steps=20, eps_steps=(3,)),
            Run("a snail", seed=0, steps=8, states=True), Run("a snail", seed=0, steps=20, sampler="ddim")]
    batches = plan(runs)
    assert [(b.key, len(b.runs)) for b in batches] == [
        ((20, "ddim_from_noise", 0.0), 2), ((8, "ddim_from_noise", 0.0), 1), ((20, "ddim", 0.0), 1)]
    merged = batches[0].runs[0]
    assert merged.key == a.key and merged.eps_steps == (3,)
    assert batches[0].record_steps == [3, 19]  # only what some run keeps (and the last step)
    assert batches[1].record_steps == list(range(8))  # states: every step
    assert len(plan([Run("x", seed=s) for s in range(10)], max_batch=4)) == 3
    with pytest.raises(ValueError, match="exactly one"):
        Run()
    with pytest.raises(ValueError, match="eps_steps"):
        Run("x", steps=4, eps_steps=(4,))


def test_identical_unet_rows_are_computed_once(model):
    """A guidance sweep at one seed: the first step's inputs are the same for every scale."""
    scales = [0.0, 2.0, 4.0, 8.0]
    traj = capture(model, "a snail", 5, scales, 3, scheduler="ddim_from_noise", progress=False,
                   record_steps=[0])
    b = len(scales)
    assert traj.settings["unet_evaluations"] == 2 + 2 * b * 2  # step 0: one uncond + one cond row
    assert traj.step_indices.tolist() == [0, 2]
    # Shared rows are the same numbers every sample would have got on its own.
    alone = capture(model, "a snail", 5, 8.0, 3, scheduler="ddim_from_noise", progress=False, record_steps=[0])
    assert alone.settings["unet_evaluations"] == 2 * 3
    assert np.abs(traj.eps_cond[0, 3] - alone.eps_cond[0, 0]).max() < 1e-5
    # One seed, two prompts: only the unconditional row of the first step is shared.
    prompts = capture(model, ["a snail", "a dog"], 1, 4.0, 2, scheduler="ddim_from_noise", progress=False)
    assert prompts.settings["unet_evaluations"] == 3 + 4
    # Different seeds: different noise, nothing is shared.
    seeds = capture(model, "a snail", [1, 2], 4.0, 2, scheduler="ddim_from_noise", progress=False)
    assert seeds.settings["unet_evaluations"] == 4 + 4


def test_precomputed_conditioning_in_capture(model):
    emb = model.encode(["a snail"])
    by_text = capture(model, ["a snail", "a dog"], [0, 1], 4.0, 3, scheduler="ddim_from_noise", progress=False)
    by_emb = capture(model, [emb, "a dog"], [0, 1], 4.0, 3, scheduler="ddim_from_noise", progress=False)
    assert np.array_equal(by_text.final, by_emb.final)
    assert by_emb.settings["prompts"] == ["<embedding>", "a dog"]
    wrong = emb._replace(states=emb.states[:, :5])
    with pytest.raises(ValueError, match="precomputed conditioning must be"):
        capture(model, [wrong], [0], 4.0, 2, progress=False)


def test_ddim_from_noise_starts_every_count_at_pure_noise(model):
    zero_snr = bool(model.scheduler_config.get("rescale_betas_zero_snr"))
    for k in (1, 2, 3, 5, 8, 12, 20, 30, 50, 99, 246):
        sched = make_scheduler(model, "ddim_from_noise")
        sched.set_timesteps(k)
        t = sched.timesteps.tolist()
        # zero terminal SNR: t = 999 is pure noise; otherwise the first step stays where x̂0 is well conditioned
        assert len(t) == k and (t[0] == 999 if zero_snr else 970 <= t[0] <= 980) and 0 <= t[-1] < 1000, k
        assert all(a - b == 1000 // k for a, b in zip(t, t[1:])), k  # the stride DDIM's update assumes
        assert not sched.config.clip_sample
    if not zero_snr:
        with pytest.raises(ValueError, match="246 steps can"):
            make_scheduler(model, "ddim_from_noise").set_timesteps(250)
