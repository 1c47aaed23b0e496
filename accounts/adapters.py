from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made through the API only; links in e-mails point at the API's own pages."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return request.build_absolute_uri(
            reverse("account_confirm_email", args=[emailconfirmation.key])
        )
