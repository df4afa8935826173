# diffusion-journey. The two commands: `make video` and `make test`. Both set everything up on a fresh machine.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CLI   := $(PY) -m diffusion_journey
Q     ?=
CH    ?=
VOICE ?=
VIDEO ?=
J     ?=
EXECUTOR ?=

.PHONY: video test bench scene data voice check new review course list dataset train eval setup system clean help

help:  ## show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  (scene: make scene CH=01_possible_images Q=l|m|h)"

video: setup  ## the whole narrated video -> build/video/diffusion-journey.mp4 (+ .srt, .vtt) and the course site; VOICE=piper: draft voice; J=2: tasks at once (default: all cores); EXECUTOR=ray: on Ray (RAY_ADDRESS)
	$(CLI) video $(if $(VOICE),--voice-engine $(VOICE)) $(if $(J),-j $(J)) $(if $(EXECUTOR),--executor $(EXECUTOR))

test: setup  ## lint (ruff), then the test suite (renders chapters 1-2 at low quality); FAST=1: not the slow tests
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(if $(FAST),-m "not slow")

bench: setup  ## render-s per video-s (480p15, 720p30; BENCH_Q="l m h"), denoiser evals/s, sweep engine vs naive, the edit loop and -j 2 / Ray vs -j 1 (after make video; CH="01 07" for fewer chapters)
	$(PY) benchmarks/sampling_speed.py
	$(PY) benchmarks/sweep_speed.py
	$(PY) benchmarks/render_speed.py --qualities $(or $(BENCH_Q),l m)
	$(PY) benchmarks/build_speed.py $(if $(CH),--chapters $(CH)) --ray --hq 01

scene: setup  ## one chapter, voiced and subtitled: make scene CH=01 Q=l
	@test -n "$(CH)" || { echo "usage: make scene CH=<chapter id or number> [Q=l|m|h]"; $(CLI) list; exit 2; }
	$(CLI) scene $(CH) $(if $(Q),-q $(Q)) $(if $(VOICE),--voice-engine $(VOICE))

data: setup  ## compute chapter data into build/data (fresh data is reused)
	$(CLI) data $(CH)

voice: setup  ## voice the narration into build/audio
	$(CLI) voice $(CH) $(if $(VOICE),--voice-engine $(VOICE))

check: setup  ## check every chapter's narration and scene against its data, and its layout
	$(CLI) check --layout $(CH)

new: setup  ## scaffold a chapter (narration, scene, experiment) that make check accepts: make new CH=13_name [TITLE="..."] [CUES=a,b,c]
	@test -n "$(CH)" || { echo "usage: make new CH=<NN_name> [TITLE=\"the chapter's question\"] [CUES=cue,cue,...]"; exit 2; }
	$(CLI) new $(CH) $(if $(TITLE),--title "$(TITLE)") $(if $(CUES),--cues $(CUES))

dataset: setup  ## build the emoji sprites (npm packages) + a preview contact sheet
	$(PY) -m render_data.model_factory.dataset --preview 36

train: setup  ## train the embedded model (resumable chunks; GPU if present). TRAIN_ARGS="--minutes 30 --mini-eval"
	$(PY) -m render_data.model_factory.train $(TRAIN_ARGS)

eval: setup  ## evaluate the embedded model: adherence (varied prompts, paraphrases), noise leak, guidance, diversity, binding -> eval.json + card
	$(PY) -m render_data.model_factory.evaluate $(EVAL_ARGS)

review: setup  ## quality report of the built video (subtitles, pace, holds, loudness, DNSMOS, layout) -> build/video/review.json
	$(CLI) review $(if $(Q),-q $(Q)) $(VIDEO)

course: setup  ## the course site (video, chapters, transcript, explorers) -> build/course/index.html (after make video)
	$(CLI) course $(if $(Q),-q $(Q)) $(VIDEO)

list: setup  ## list chapters
	@$(CLI) list

setup: $(STAMP)

system:
	@bash scripts/install_system_deps.sh

# Torch is installed first and pinned: the machine holds a CPU wheel of 2.13.0; an unpinned torch pulls CUDA.
$(STAMP): pyproject.toml scripts/install_system_deps.sh
	@bash scripts/install_system_deps.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	@touch $@

clean:  ## remove generated output (keeps .venv)
	rm -rf build
