"""A scene's anchor (its first words in the story) finds where it starts, so its picture shows on
that word of the narration."""

import pytest

from infinitestories.ai.scenes import anchor_position


@pytest.mark.parametrize(
    ("content", "anchor", "position"),
    [
        ("Once the dragon flew high.", "dragon flew high", 2),
        # punctuation standing alone (a spaced dash, French quotes, an emoji) is not a word
        ("The dragon — flew high.", "dragon — flew high", 1),
        ("The dragon — flew high.", "dragon flew high", 1),
        ("Léo sourit. « Regarde ! » cria Léo.", "« Regarde ! » cria Léo", 3),
        ("Mia laughed 🌟 and ran home.", "laughed and ran", 1),
        ("Mia laughed and ran home.", "Laughed, and ran!", 1),
    ],
)
def test_an_anchor_is_found_at_its_first_word(content, anchor, position):
    assert anchor_position(content, anchor) == position


def test_the_search_starts_after_the_scenes_before_it():
    content = "The owl hooted. Later the owl hooted again."

    assert anchor_position(content, "the owl hooted", start=1) == 4


def test_an_anchor_that_is_not_in_the_story_is_not_placed():
    assert anchor_position("The owl hooted.", "a cat purred") is None
    assert anchor_position("The owl hooted.", "— « »") is None
