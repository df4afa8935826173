"""How big is image space? Exact where the numbers fit, logarithms where they do not."""

from __future__ import annotations

import math
from dataclasses import dataclass

ATOMS_IN_UNIVERSE_LOG10 = 80  # ~10^80 atoms in the observable universe (standard estimate)
SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclass(frozen=True)
class ImageSpace:
    width: int
    height: int
    channels: int
    levels: int = 256

    @property
    def values(self) -> int:
        """Numbers that make up one image."""
        return self.width * self.height * self.channels

    @property
    def log10_count(self) -> float:
        """log10 of the number of distinct images, levels ** values."""
        return self.values * math.log10(self.levels)

    @property
    def exponent(self) -> int:
        """The power of ten just below the count: count = m x 10^exponent with 1 <= m < 10."""
        exp = math.floor(self.log10_count)
        # Guard float rounding at exact powers of ten (e.g. 10 levels): check exactly while cheap.
        if self.values * math.log2(self.levels) < 4000:
            exp = len(str(self.exact_count())) - 1
        return exp

    @property
    def mantissa(self) -> float:
        return 10 ** (self.log10_count - self.exponent)

    def exact_count(self) -> int:
        return self.levels ** self.values


def nested_universe_layers(log10_count: float, atoms_log10: int = ATOMS_IN_UNIVERSE_LOG10) -> int:
    """Universes nested inside atoms: L layers hold 10^(atoms_log10 * L) atoms; the L that reaches the count."""
    return max(1, math.ceil(log10_count / atoms_log10))


def years_to_view_all_log10(log10_count: float, images_per_second: float) -> float:
    return log10_count - math.log10(images_per_second * SECONDS_PER_YEAR)
