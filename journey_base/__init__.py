"""The base layer every other package may import: project paths, chapters by id, atomic files, freshness,
facts by dotted name.

Layers, each importing only from those before it:
    journey_base  ->  render_data (data stage; model factory in render_data.model_factory)
                  ->  scenes (Manim; read artifacts only)  ->  diffusion_journey (narration, voice, assembly, CLI)
"""
