"""The AI layer: one provider interface (text, structured output, speech, images, moderation),
an OpenAI and an offline implementation, a provider chain with cool-down, metering, prompts and
safety. Services call the use-case modules (story_text, scenes, visual_profile, speech, images,
moderation); nothing outside this package builds an HTTP call to an AI vendor.
"""
