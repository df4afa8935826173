"""The end card: credits for the artwork the model learned from, the voice, the text encoder, the ideas.

Not a chapter (no narration): assembly appends it to the full video, silent, with a "Credits" marker.
Its lines come from credits.toml.
"""

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Scene, VGroup

from journey_base.credits import end_card_rows

from . import layout
from .pieces import text
from .style import BACKGROUND, GAP, MUTED, PROMPT, TEXT, Pace, Slots, Type, use_house_tex

SECONDS = 7.0


class EndCard(Scene):
    def construct(self):
        self.camera.background_color = BACKGROUND
        use_house_tex()
        rows = end_card_rows()
        roles = VGroup(*[text(role, size=Type.LABEL, color=MUTED) for role, _ in rows])
        credits = VGroup(*[text(credit, size=Type.LABEL, color=TEXT) for _, credit in rows])
        table = VGroup()
        for role, credit in zip(roles, credits):
            credit.next_to(role, RIGHT, buff=GAP).align_to(role, UP)
            table.add(VGroup(role, credit))
        table.arrange(DOWN, aligned_edge=LEFT, buff=GAP)
        for credit in credits:  # one column for the credits, right of the widest role
            credit.set_x(roles.get_right()[0] + GAP + credit.width / 2)
        page = VGroup(text("Credits", size=Type.HEADING, color=PROMPT), table).arrange(DOWN, buff=GAP * 2)
        Slots.PAGE.place(page)
        note = text("Artwork cropped, resized and composited onto coloured backgrounds to train the model.",
                    size=Type.LABEL, color=MUTED)
        Slots.BOTTOM_STRIP.place(note)
        self.play(FadeIn(page, lag_ratio=0.05), FadeIn(note), run_time=Pace.SLOW)
        layout.check("the end card", "after it appears", self.mobjects)
        self.wait(SECONDS - Pace.SLOW)
