"""python -m render_data [CHAPTER ...]: compute chapter data (reuses fresh artifacts)."""

from diffusion_journey.cli import main

if __name__ == "__main__":
    main(["data", *__import__("sys").argv[1:]])
