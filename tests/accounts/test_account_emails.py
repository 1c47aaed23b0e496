"""The account e-mails (verification, password reset) are written in the family's language: the
language of the phone that signed up becomes the account's, and later e-mails follow the account's
preferredLanguage even when the request asking for them is anonymous."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.helpers import client_for

# The subject and the first line of each e-mail, as each language says them.
VERIFICATION = {
    "en": (
        "[InfiniteStories] Please confirm your e-mail address",
        "Please confirm the e-mail address of your InfiniteStories account by opening this link:",
    ),
    "es": (
        "[InfiniteStories] Confirma tu dirección de correo electrónico",
        "Confirma la dirección de correo electrónico de tu cuenta de InfiniteStories abriendo "
        "este enlace:",
    ),
    "fr": (
        "[InfiniteStories] Confirmez votre adresse e-mail",
        "Merci de confirmer l'adresse e-mail de votre compte InfiniteStories en ouvrant ce lien :",
    ),
    "de": (
        "[InfiniteStories] Bitte bestätige deine E-Mail-Adresse",
        "Bitte bestätige die E-Mail-Adresse deines InfiniteStories-Kontos, indem du diesen Link "
        "öffnest:",
    ),
    "it": (
        "[InfiniteStories] Conferma il tuo indirizzo email",
        "Conferma l'indirizzo email del tuo account InfiniteStories aprendo questo link:",
    ),
}
GREETING = {"en": "Hello", "es": "Hola,", "fr": "Bonjour", "de": "Hallo", "it": "Ciao"}
SIGN_OFF = {
    "en": "Sweet dreams,",
    "es": "Dulces sueños,",
    "fr": "Faites de beaux rêves,",
    "de": "Süße Träume,",
    "it": "Sogni d'oro,",
}


@pytest.mark.parametrize("language", list(VERIFICATION))
def test_signup_in_a_language_verifies_in_it_and_keeps_it(
    client, django_capture_on_commit_callbacks, language
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/auth/signup",
            {"email": "parent@example.com", "password": "SecurePass123!", "name": "Camille"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=f"{language};q=0.9,ja;q=0.5",
        )

    assert response.status_code == 201
    assert User.objects.get().preferred_language == language
    (message,) = mail.outbox
    subject, first_line = VERIFICATION[language]
    assert message.subject == subject
    assert message.to == ["parent@example.com"]
    assert message.body.startswith(f"{GREETING[language]} Camille")
    assert first_line in " ".join(message.body.split())
    assert re.search(r"http://testserver/auth/verify-email/\S+", message.body)
    assert message.body.rstrip().endswith(f"{SIGN_OFF[language]}\nInfiniteStories")


def test_signup_from_a_phone_in_another_language_keeps_english(client):
    client.post(
        "/api/auth/signup",
        {"email": "parent@example.com", "password": "SecurePass123!"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert User.objects.get().preferred_language == "en"


def test_the_verification_link_page_speaks_the_browsers_language(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/auth/signup",
            {"email": "parent@example.com", "password": "SecurePass123!"},
            format="json",
        )
    path = re.search(r"(/auth/verify-email/\S+)", mail.outbox[0].body).group(1)

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 200
    assert "Votre adresse e-mail est confirmée." in page.content.decode()
    assert '<html lang="fr">' in page.content.decode()


def test_resent_verification_follows_the_account_not_the_request(client):
    parent = UserFactory(email="parent@example.com", preferred_language="it", name="")
    EmailAddress.objects.create(user=parent, email=parent.email, primary=True, verified=False)

    response = client.post(
        "/api/auth/email/resend",
        {"email": "parent@example.com"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.subject == VERIFICATION["it"][0]
    assert message.body.startswith("Ciao,\n")


RESET = {
    "en": ("[InfiniteStories] Choose a new password", "your password stays the same."),
    "es": (
        "[InfiniteStories] Elige una contraseña nueva",
        "tu contraseña seguirá siendo la misma.",
    ),
    "fr": (
        "[InfiniteStories] Choisissez un nouveau mot de passe",
        "votre mot de passe reste le même.",
    ),
    "de": ("[InfiniteStories] Wähle ein neues Passwort", "Dein Passwort bleibt unverändert."),
    "it": ("[InfiniteStories] Scegli una nuova password", "la tua password resta la stessa."),
}


@pytest.mark.parametrize("language", list(RESET))
def test_password_reset_speaks_the_accounts_language_to_an_anonymous_request(client, language):
    parent = UserFactory(email="parent@example.com", preferred_language=language)
    signed_in_elsewhere = client_for(parent)

    requested = client.post(
        "/api/auth/password/reset",
        {"email": "parent@example.com"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de" if language != "de" else "fr",
    )

    assert requested.status_code == 200
    (message,) = mail.outbox
    subject, last_words = RESET[language]
    assert message.subject == subject
    assert message.body.startswith(f"{GREETING[language]} {parent.name}")
    assert " ".join(message.body.split()).endswith(
        f"{last_words} {SIGN_OFF[language]} InfiniteStories"
    )
    # and the link in it still resets the password (and signs the old session out)
    uid, token = re.search(r"/auth/reset-password/([^/\s]+)/(\S+)", message.body).groups()
    confirmed = client.post(
        "/api/auth/password/reset/confirm",
        {"uid": uid, "token": token, "newPassword1": "BrandNew123", "newPassword2": "BrandNew123"},
        format="json",
    )
    assert confirmed.status_code == 200
    assert signed_in_elsewhere.get("/api/auth/session").status_code == 401
