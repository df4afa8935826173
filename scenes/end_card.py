"""The end card: credits for the artwork the model learned from, the voice, the text encoder, the ideas.

Not a chapter (no narration): assembly appends it to the full video, silent, with a "Credits" marker.
"""

from manim import DOWN, LEFT, FadeIn, Scene, VGroup

from journey_base.credits import end_card_rows
from scenes.house_style import BACKGROUND, MUTED, PROMPT, TEXT, text, use_house_tex

SECONDS = 7.0


class EndCard(Scene):
    def construct(self):
        self.camera.background_color = BACKGROUND
        use_house_tex()
        title = text("Credits", size=44, color=PROMPT)
        rows = end_card_rows()
        lines = VGroup(*[VGroup(text(k, size=20, color=MUTED), text(v, size=20, color=TEXT)).arrange(
            DOWN, aligned_edge=LEFT, buff=0.06) for k, v in rows]).arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        lines.scale_to_fit_height(min(lines.height, 5.4))
        VGroup(title, lines).arrange(DOWN, buff=0.45)
        note = text("Artwork cropped, resized and composited onto coloured backgrounds to train the model.",
                    size=18, color=MUTED).to_edge(DOWN, buff=0.3)
        self.play(FadeIn(title), FadeIn(lines, lag_ratio=0.05), FadeIn(note), run_time=1.5)
        self.wait(SECONDS - 1.5)
