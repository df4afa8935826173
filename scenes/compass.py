"""The compass and the walker: the recurring picture of generation as navigation.

The needle of a :class:`Compass` points along any vector it is given (in chapters 05–12: the model's real
predicted direction at the walker); its length shows how hard the walker follows it (guidance).
A :class:`Walker` is a dot that leaves a fading trail as it moves over a 2D map.
"""

from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, Dot, Line, MoveAlongPath, TracedPath, ValueTracker,
                   VGroup, VMobject, always_redraw, smooth)

from .pieces import text
from .style import GUIDANCE, MUTED, PROMPT, SEED, Type


class Compass(VGroup):
    """A ring with four ticks and a needle. ``turn_to(vector)`` and ``pull(strength)`` return animations."""

    def __init__(self, radius: float = 1.0, color: str = PROMPT, label: str | None = None):
        super().__init__()
        self.radius = radius
        self.angle = ValueTracker(np.pi / 2)  # pointing up
        self.strength = ValueTracker(1.0)  # 1 = needle reaches the ring
        self.ring = Circle(radius=radius, color=color, stroke_width=3)
        ticks = VGroup(*[Line(d * radius * 0.82, d * radius, color=MUTED, stroke_width=2)
                         for d in (UP, DOWN, LEFT, RIGHT)])
        self.hub = Dot(radius=radius * 0.06, color=color)
        self.add(self.ring, ticks, self.hub)
        self.needle = always_redraw(self._needle)
        self.add(self.needle)
        if label:
            self.label = text(label, size=Type.CAPTION, color=color).next_to(self.ring, DOWN, buff=0.15)
            self.add(self.label)

    def _needle(self) -> Arrow:
        a, s = self.angle.get_value(), self.strength.get_value()
        tip = self.hub.get_center() + self.radius * 0.95 * min(s, 1.25) * np.array([np.cos(a), np.sin(a), 0])
        return Arrow(self.hub.get_center(), tip, buff=0, color=GUIDANCE if s > 1.01 else PROMPT,
                     stroke_width=6, max_tip_length_to_length_ratio=0.25)

    def turn_to(self, vector) -> object:
        """Rotate the needle to ``vector`` (2D or 3D), the short way round."""
        target = float(np.arctan2(vector[1], vector[0]))
        now = self.angle.get_value()
        target = now + (target - now + np.pi) % (2 * np.pi) - np.pi
        return self.angle.animate.set_value(target)

    def pull(self, strength: float) -> object:
        """Needle length: guidance strength relative to a 'normal' pull of 1."""
        return self.strength.animate.set_value(strength)


def wander(start, goal, seed: int, turns: int = 4, spread: float = 1.0) -> list[np.ndarray]:
    """Waypoints of a seeded, hesitant walk from ``start`` to ``goal`` (an illustration, not a measured path:
    chapters with data walk the model's real trajectories)."""
    start, goal = np.asarray(start, dtype=float), np.asarray(goal, dtype=float)
    rng = np.random.default_rng(seed)
    along = goal - start
    side = np.array([-along[1], along[0], 0.0]) / (np.linalg.norm(along) + 1e-9)
    fractions = np.sort(rng.uniform(0.15, 0.9, turns))
    offsets = rng.normal(0, spread, turns) * (1 - fractions)  # the walk settles as it nears the goal
    return [start] + [start + f * along + o * side for f, o in zip(fractions, offsets)] + [goal]


class Walker(VGroup):
    """A dot that walks a path and leaves a trail that fades behind it.

    The trail grows as the dot moves, so animate the dot, not the group: ``scene.add(walker)`` and then
    ``FadeIn(walker.dot)`` / ``walker.walk(points)``.
    """

    def __init__(self, start, color: str = SEED, trail_color: str = PROMPT, radius: float = 0.09,
                 fade_after: float | None = 2.5):
        super().__init__()
        self.dot = Dot(np.asarray(start, dtype=float), radius=radius, color=color)
        self.trail = TracedPath(self.dot.get_center, stroke_color=trail_color, stroke_width=4,
                                dissipating_time=fade_after, stroke_opacity=[0, 1])
        self.add(self.trail, self.dot)

    def walk(self, points, smooth_path: bool = True, **kw):
        """Move along the given points (scene coordinates): a smooth curve, or straight steps."""
        path = VMobject()
        pts = [np.asarray(p, dtype=float) for p in points]
        path.set_points_smoothly(pts) if smooth_path else path.set_points_as_corners(pts)
        return MoveAlongPath(self.dot, path, rate_func=kw.pop("rate_func", smooth), **kw)
