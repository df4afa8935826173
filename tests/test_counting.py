import math

import pytest

from render_data.counting import ImageSpace, nested_universe_layers, years_to_view_all_log10


@pytest.mark.parametrize("w, h, c", [(1, 1, 1), (2, 2, 1), (2, 2, 3), (3, 5, 3), (8, 8, 3)])
def test_exact_for_small_sizes(w, h, c):
    space = ImageSpace(w, h, c)
    count = 256 ** (w * h * c)
    assert space.exact_count() == count
    assert space.exponent == len(str(count)) - 1
    assert 1 <= space.mantissa < 10
    assert math.isclose(math.log10(space.mantissa) + space.exponent, math.log10(count), rel_tol=1e-12)


def test_exact_power_of_ten_is_not_off_by_one():
    # 10 levels, 3 values: exactly 1000 images, so the exponent must be 3 (float log10 could give 2.999...).
    assert ImageSpace(1, 1, 3, levels=10).exponent == 3


def test_model_canvas():
    space = ImageSpace(64, 64, 3)
    assert space.values == 12288
    assert space.exponent == 29592  # 12288 * log10(256) = 29592.45
    assert nested_universe_layers(space.log10_count) == 370  # ceil(29592.45 / 80)
    assert int(years_to_view_all_log10(space.log10_count, 60)) == 29583


def test_the_guides_figure():
    # The guide's "about 10^400,000 ... about 5,000 layers": 400,000 / 80.
    assert nested_universe_layers(400_000) == 5000
