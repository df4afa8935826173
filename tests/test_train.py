"""The trainer on the real recipe (a few steps at batch 2): resume from a checkpoint, start from an
exported model with the learning rate warming up again, refuse a checkpoint of another recipe, survive a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from render_data.model_factory import train
from render_data.model_factory.recipe import SCHEDULER_CONFIG

pytestmark = pytest.mark.slow  # real training steps and a killed training process: ~2 min

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--batch", "2", "--minutes", "5", "--save-every", "1", "--warmup", "4", "--lr", "1e-3"]


def _run(tmp: Path, *args: str, checkpoint: str = "ck.pt") -> dict:
    train.main([*TINY, "--checkpoint", str(tmp / checkpoint), "--export", str(tmp / "model"), *args])
    return torch.load(tmp / checkpoint, map_location="cpu", weights_only=False)


def test_resume_carries_on_and_init_from_warms_up_again(tmp_path):
    first = _run(tmp_path, "--steps", "2")
    assert first["step"] == 2 and first["lr_sched"]["last_epoch"] == 2
    resumed = _run(tmp_path, "--steps", "3")
    assert resumed["step"] == 3 and resumed["lr_sched"]["last_epoch"] == 3  # the schedule carried on
    assert resumed["ema"]["optimization_step"] == 3
    info = json.loads((tmp_path / "model" / "training.json").read_text())
    assert info["steps"] == 3 and info["prediction_type"] == SCHEDULER_CONFIG["prediction_type"]
    # The exported model loads as the data stage loads it.
    from render_data.loading import load_model

    assert load_model(tmp_path / "model").prediction_type == "v_prediction"

    fresh = _run(tmp_path, "--steps", "4", "--init-from", str(tmp_path / "model"), checkpoint="ck2.pt")
    assert fresh["step"] == 4 and fresh["origin"] == 3  # step count carried on from the export
    assert fresh["lr_sched"]["last_epoch"] == 1  # ... but the schedule started afresh: warming up again
    assert fresh["opt"]["param_groups"][0]["lr"] < 1e-3 / 2


def test_checkpoint_of_another_recipe_is_refused(tmp_path):
    _run(tmp_path, "--steps", "1")
    state = torch.load(tmp_path / "ck.pt", map_location="cpu", weights_only=False)
    state["recipe"]["scheduler"] = dict(state["recipe"]["scheduler"], prediction_type="epsilon")
    torch.save(state, tmp_path / "ck.pt")
    with pytest.raises(SystemExit, match="another UNet or noise schedule"):
        _run(tmp_path, "--steps", "2")


def test_kill_during_training_keeps_the_checkpoint_and_the_next_run_finishes(tmp_path):
    ck, model = tmp_path / "ck.pt", tmp_path / "model"
    cmd = [sys.executable, "-m", "render_data.model_factory.train", *TINY, "--steps", "400",
           "--checkpoint", str(ck), "--export", str(model)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not ck.exists():
            time.sleep(0.5)
        assert ck.exists(), "no checkpoint within 240 s"
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    killed_at = torch.load(ck, map_location="cpu", weights_only=False)["step"]
    assert 1 <= killed_at < 400
    # The next run resumes where the checkpoint stood (no temp file left in the way) and finishes.
    state = _run(tmp_path, "--steps", str(killed_at + 1))
    assert state["step"] == killed_at + 1
