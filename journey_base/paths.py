"""Where the project and its generated output live."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Generated output. DIFFUSION_JOURNEY_BUILD moves it (the tests use a temp folder).
BUILD = Path(os.environ.get("DIFFUSION_JOURNEY_BUILD", ROOT / "build")).resolve()
