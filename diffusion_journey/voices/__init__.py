"""The offline voice engines (Kokoro, Piper, espeak-ng) and what they share: audio, word timings, spoken forms.

``diffusion_journey.voice`` puts them to work: engine choice, the clip cache and the chapter timeline.
"""
