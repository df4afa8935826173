"""The data stage: runs the experiments behind each chapter and writes compact artifacts.

Scenes and narration only ever read what this stage wrote under ``build/data/<chapter>/``.
"""
