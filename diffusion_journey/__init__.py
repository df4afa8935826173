"""diffusion-journey: narration, voice, rendering and assembly of the explainer video (the top layer)."""
