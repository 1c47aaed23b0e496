"""Use case: the hero's canonical visual profile, extracted once from the avatar's description.

Model: AI_SMALL_MODEL: a short structured extraction. Every illustration prompt starts with the
profile's canonical_prompt, which is what keeps the hero looking the same from picture to picture.
"""

from usage.models import Operation

from . import chain, prompts

PROMPT_VERSION = "visual_profile/v1"
MAX_OUTPUT_TOKENS = 800
FIELDS = [
    "hair_color",
    "hair_style",
    "eye_color",
    "skin_tone",
    "body_type",
    "height",
    "clothing_style",
    "art_style",
    "canonical_prompt",
    "simplified_prompt",
]
LIST_FIELDS = ["color_palette", "accessories"]
SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string"} for name in FIELDS},
        **{name: {"type": "array", "items": {"type": "string"}} for name in LIST_FIELDS},
    },
    "required": FIELDS + LIST_FIELDS,
    "additionalProperties": False,
}


def visual_profile_extract(*, ctx: chain.CallContext, hero, avatar_prompt: str) -> dict:
    data = {
        "name": hero.name,
        "age": hero.age,
        "appearance": hero.appearance,
        "traits": list(hero.traits or []),
        "avatar_prompt": avatar_prompt,
    }
    result = chain.call(
        ctx=ctx.but(operation=Operation.VISUAL_PROFILE, prompt_version=PROMPT_VERSION),
        method="structured",
        task="visual_profile",
        tier="small",
        system="You are a character designer for children's picture books.",
        user=prompts.render("visual_profile/v1.txt", data=prompts.fence(data)),
        data=data,
        schema=SCHEMA,
        schema_name="visual_profile",
        max_output_tokens=MAX_OUTPUT_TOKENS,
    )
    profile = {name: str(result.data.get(name) or "")[:200] for name in FIELDS}
    profile["canonical_prompt"] = str(result.data.get("canonical_prompt") or "")
    profile["simplified_prompt"] = str(result.data.get("simplified_prompt") or "")
    for name in LIST_FIELDS:
        value = result.data.get(name) or []
        profile[name] = [str(v) for v in value][:10] if isinstance(value, list) else []
    return profile
