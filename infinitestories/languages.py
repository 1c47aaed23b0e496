"""The languages families choose for stories and the app (PRD: en, es, fr, de, it)."""

LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
    ("it", "Italian"),
]
