"""diffusion-journey: narration, voice, rendering and assembly of the explainer video."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Generated output. DIFFUSION_JOURNEY_BUILD moves it (the tests use a temp folder).
BUILD = Path(os.environ.get("DIFFUSION_JOURNEY_BUILD", ROOT / "build")).resolve()
