"""The provider interface every implementation follows, and the results it returns.

Each result carries what the metering wrapper needs: the model that answered and the units used.
`usage_reported` says whether the units came from the vendor's own answer (tokens) or were
counted by us (characters, images).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Usage:
    unit: str  # "tokens" | "characters" | "images" | "requests"
    input_units: int = 0
    output_units: int = 0
    reported: bool = False


@dataclass
class TextResult:
    text: str
    model: str
    usage: Usage


@dataclass
class StructuredResult:
    data: dict[str, Any]
    model: str
    usage: Usage


@dataclass
class SpeechResult:
    audio: bytes
    model: str
    usage: Usage


@dataclass
class ImageResult:
    image: bytes
    model: str
    usage: Usage
    generation_id: str = ""


@dataclass
class ModerationResult:
    flagged: bool
    model: str
    usage: Usage
    categories: list[str] = field(default_factory=list)


class Provider(Protocol):
    name: str
    supports_reference_images: bool

    def chat(
        self, *, task: str, tier: str, system: str, user: str, data: dict, max_output_tokens: int
    ) -> TextResult: ...

    def structured(
        self,
        *,
        task: str,
        tier: str,
        system: str,
        user: str,
        data: dict,
        schema: dict,
        schema_name: str,
        max_output_tokens: int,
    ) -> StructuredResult: ...

    def speech(self, *, text: str, voice: str, instructions: str) -> SpeechResult: ...

    def image(self, *, prompt: str, size: str) -> ImageResult: ...

    def image_edit(self, *, prompt: str, reference: bytes, size: str) -> ImageResult: ...

    def moderate(self, *, text: str) -> ModerationResult: ...
