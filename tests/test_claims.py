"""Guarded claims: the narration says only what its data makes true."""

import pytest

from diffusion_journey.narration import NarrationError, parse, plan

SCRIPT = """@title Detail
Before the claim.
@claim detail.ratio >= 1.2 and detail.measured
A vague prompt is a wobbly compass: {detail.ratio} times the spread.
@or detail.ratio > 1
Detail helps a little.
@otherwise
Our small model barely notices the extra words.
@end
[[next]] After the claim.
"""


@pytest.mark.parametrize("ratio, measured, spoken, chosen", [
    (1.5, True, "A vague prompt is a wobbly compass: 1.5 times the spread.", "detail.ratio >= 1.2 and detail.measured"),
    (1.5, False, "Detail helps a little.", "detail.ratio > 1"),
    (1.1, True, "Detail helps a little.", "detail.ratio > 1"),
    (0.9, True, "Our small model barely notices the extra words.", "@otherwise"),
])
def test_the_data_chooses_the_wording(ratio, measured, spoken, chosen):
    p = plan(parse(SCRIPT, "ch.txt"), {"detail": {"ratio": ratio, "measured": measured}}, known_cues=["next"])
    assert p.sentences == ["Before the claim.", spoken, "After the claim."]
    (decision,) = p.claims
    assert decision.chosen == chosen and decision.line == 3 and decision.values["detail.ratio"] == ratio


def test_a_claim_no_wording_makes_true_fails_naming_claim_and_value():
    source = SCRIPT.replace("@otherwise\nOur small model barely notices the extra words.\n", "")
    with pytest.raises(NarrationError) as failure:
        plan(parse(source, "ch.txt"), {"detail": {"ratio": 0.9, "measured": True}}, known_cues=["next"])
    message = str(failure.value)
    assert message.startswith("ch.txt:3: the claim 'detail.ratio >= 1.2 and detail.measured' is not true")
    assert "detail.ratio = 0.9" in message


@pytest.mark.parametrize("source, line, fragment", [
    ("@title T\n@claim a.b >= 1\nwords\n", 2, "never closed"),
    ("@title T\n@or a.b >= 1\nwords\n@end\n", 2, "@or without a '@claim'"),
    ("@title T\n@claim a.b => 1\nwords\n@end\n", 2, "cannot read the condition"),
    ("@title T\n@claim a.b >= 1\n[[cue]] words\n@end\n", 3, "cue [[cue]] inside a claim"),
    ("@title T\n@claim a.b >= 1\nx\n@otherwise\ny\n@or a.b < 1\nz\n@end\n", 6, "after '@otherwise'"),
    ("@title T\n@claim a.b >= 1\n@end\n", 3, "no wording"),
])
def test_malformed_claims_name_their_line(source, line, fragment):
    with pytest.raises(NarrationError) as failure:
        parse(source, "ch.txt")
    assert str(failure.value).startswith(f"ch.txt:{line}:") and fragment in str(failure.value)


def test_unknown_figures_in_conditions_and_dropped_wordings_are_caught():
    with pytest.raises(NarrationError, match="ch.txt:5: the claim names detail.ratoi"):
        plan(parse(SCRIPT.replace("@or detail.ratio", "@or detail.ratoi"), "ch.txt"),
             {"detail": {"ratio": 1.5, "measured": True}}, known_cues=["next"])
    with pytest.raises(NarrationError, match="unknown placeholder {detail.nope}"):
        plan(parse(SCRIPT.replace("Detail helps a little.", "Detail helps {detail.nope}."), "ch.txt"),
             {"detail": {"ratio": 1.5, "measured": True}}, known_cues=["next"])
