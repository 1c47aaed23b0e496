"""Password rules from the PRD (one uppercase letter, one digit), as Django password validators."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy


class _CharacterClassValidator:
    code = ""
    message = ""

    def matches(self, char: str) -> bool:
        raise NotImplementedError

    def validate(self, password: str, user=None) -> None:
        if not any(self.matches(char) for char in password):
            raise ValidationError(self.message, code=self.code)

    def get_help_text(self) -> str:
        return self.message


class UppercaseValidator(_CharacterClassValidator):
    code = "password_no_upper"
    message = gettext_lazy("Your password must contain at least one uppercase letter.")

    def matches(self, char: str) -> bool:
        return char.isupper()


class DigitValidator(_CharacterClassValidator):
    code = "password_no_digit"
    message = gettext_lazy("Your password must contain at least one digit.")

    def matches(self, char: str) -> bool:
        return char.isdigit()
