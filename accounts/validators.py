"""Password rules from the PRD (at least 8 characters, one uppercase letter, one digit), as Django
password validators, their messages in our catalogs (locale/)."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy, ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, in the words of our other rules: Django 5.2's Italian catalog misses its
    message (it changed in 5.2), so an Italian family would read it in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


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
