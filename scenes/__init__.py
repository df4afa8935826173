"""Manim scenes, one module per chapter (``01_possible_images.py``), plus the shared house style.

Scenes only read artifacts (``build/data``) and the voiced narration timeline (``build/audio``);
they never run a model.
"""
