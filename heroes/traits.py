"""The published list of valid hero traits (PRD 6.2: "1-5 strings from valid list").

It includes every trait the PRD's own examples use (brave, kind, curious, playful, clever). The
app shows this list as choices; GET /api/heroes/traits serves it.
"""

VALID_TRAITS: tuple[str, ...] = (
    "adventurous",
    "brave",
    "calm",
    "caring",
    "cheerful",
    "clever",
    "creative",
    "curious",
    "determined",
    "energetic",
    "friendly",
    "funny",
    "generous",
    "gentle",
    "helpful",
    "honest",
    "imaginative",
    "kind",
    "loyal",
    "patient",
    "playful",
    "shy",
    "smart",
    "thoughtful",
)
