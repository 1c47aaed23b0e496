from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made through the API only; links in e-mails point at the API's own pages."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return request.build_absolute_uri(
            reverse("account_confirm_email", args=[emailconfirmation.key])
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every account e-mail (verification, password reset) in the account's language: the
        request asking for it may be anonymous (a reset) or already answered (after commit).

        An account made with Sign in with Apple has no password: a reset asked for it gets an
        e-mail saying to sign in with Apple, without a link (the API's answer stays the same,
        so it never tells who has an account). Nothing is sent where mail cannot arrive."""
        user = context.get("user")
        if user is not None and not user.mail_reachable:
            return
        if (
            template_prefix == "account/email/password_reset_key"
            and user is not None
            and user.apple_id
            and not user.has_usable_password()
        ):
            template_prefix = "account/email/password_reset_apple"
        language = getattr(user, "preferred_language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def add_message(self, request, *args, **kwargs) -> None:
        """Flash messages are for the site's pages: an API request (no message middleware there,
        see SiteOnlyMiddleware) answers in JSON and keeps no message for a later page."""
        if getattr(request, "_messages", None) is None:
            return
        super().add_message(request, *args, **kwargs)
