"""Error answers speak the family's language: Accept-Language for a request without a session, the
user's preferredLanguage once the bearer token is read; Content-Language says which. The `code`
never changes with the language."""

import pytest
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from infinitestories.api.middleware import ADMIN_PREFIX, LanguageMiddleware
from tests.accounts.factories import UserFactory
from tests.helpers import client_for
from tests.heroes.factories import HeroFactory
from tests.usage.factories import set_quota

BAD_SIGNUP = {"email": "not-an-email", "password": "short"}

# Our envelope message, Django's e-mail message and our password rule, as each language says them.
SIGNUP_REFUSED = {
    "en": (
        "The request has invalid fields.",
        "Enter a valid email address.",
        "Your password must contain at least 8 characters.",
    ),
    "es": (
        "La solicitud tiene campos no válidos.",
        "Introduzca una dirección de correo electrónico válida.",
        "Tu contraseña debe tener al menos 8 caracteres.",
    ),
    "fr": (
        "La requête contient des champs non valides.",
        "Saisissez une adresse e-mail valide.",
        "Votre mot de passe doit contenir au moins 8 caractères.",
    ),
    "de": (
        "Die Anfrage enthält ungültige Felder.",
        "Gib eine gültige E-Mail Adresse an.",
        "Dein Passwort muss mindestens 8 Zeichen enthalten.",
    ),
    "it": (
        "La richiesta contiene campi non validi.",
        "Inserisci un indirizzo email valido.",
        "La password deve contenere almeno 8 caratteri.",
    ),
}


@pytest.mark.parametrize("language", list(SIGNUP_REFUSED))
def test_an_anonymous_refusal_speaks_the_accept_language(client, language):
    response = client.post(
        "/api/auth/signup", BAD_SIGNUP, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    envelope, email, password = SIGNUP_REFUSED[language]
    body = response.json()
    assert response.status_code == 400
    assert (body["code"], body["error"], body["details"]["email"]) == (
        "VALIDATION_ERROR",
        envelope,
        email,
    )
    assert body["details"]["password"].startswith(password)
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(
    ("accept_language", "answered_in"),
    [
        ("", "en"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("pt-BR,pt;q=0.9,it;q=0.5", "it"),  # the best of ours the phone accepts
        ("ja", "en"),  # none of ours: English
    ],
)
def test_the_closest_of_our_five_languages_answers(client, accept_language, answered_in):
    response = client.get("/api/nowhere", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 404
    assert response["Content-Language"] == answered_in


# Each language a signed-in family can choose, with what it reads when a hero is not theirs.
HERO_NOT_FOUND = {
    "en": "Hero not found.",
    "es": "No se ha encontrado el héroe.",
    "fr": "Héros introuvable.",
    "de": "Held nicht gefunden.",
    "it": "Eroe non trovato.",
}


@pytest.mark.parametrize("language", list(HERO_NOT_FOUND))
def test_a_signed_in_familys_own_language_wins_over_the_phones(other_user, language):
    parent = UserFactory(preferred_language=language)
    someone_elses = HeroFactory(user=other_user)

    response = client_for(parent).get(
        f"/api/heroes/{someone_elses.pk}", HTTP_ACCEPT_LANGUAGE="fr" if language != "fr" else "de"
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": HERO_NOT_FOUND[language],
        "code": "NOT_FOUND",
        "details": {},
    }
    assert response["Content-Language"] == language


def test_changing_the_profile_language_changes_the_next_answer(auth_client):
    auth_client.patch("/api/user/profile", {"preferredLanguage": "it"}, format="json")

    response = auth_client.get("/api/heroes/hero_missing")

    assert response.json()["error"] == "Eroe non trovato."
    assert response["Content-Language"] == "it"


def test_quota_exceeded_in_german(hero_with_parent):
    parent, hero = hero_with_parent("de")
    set_quota(parent, used=3, limit=3)

    response = client_for(parent).post(
        "/api/stories",
        {"heroId": hero.pk, "eventType": "bedtime", "generateAudio": False},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 429
    body = response.json()
    assert (body["code"], body["error"]) == (
        "QUOTA_EXCEEDED",
        "Du hast alle Geschichten für diesen Monat genutzt. Am Monatsersten gibt es neue.",
    )
    assert body["details"]["storiesLimit"] == 3
    assert response["Content-Language"] == "de"


CONSENT_REQUIRED = {
    "en": "A parent needs to agree to how we use AI before stories, pictures or narration can "
    "be made.",
    "es": "Un padre o una madre debe aceptar cómo usamos la IA antes de que podamos crear "
    "cuentos, imágenes o narraciones.",
    "fr": "Un parent doit accepter la façon dont nous utilisons l'IA avant que nous puissions "
    "créer des histoires, des images ou des narrations.",
    "de": "Ein Elternteil muss zustimmen, wie wir KI verwenden, bevor Geschichten, Bilder oder "
    "Vertonungen entstehen können.",
    "it": "Un genitore deve accettare il modo in cui usiamo l'IA prima che possiamo creare "
    "storie, immagini o narrazioni.",
}


@pytest.mark.parametrize("language", list(CONSENT_REQUIRED))
def test_consent_required_in_the_familys_language_with_the_same_code(hero_with_parent, language):
    parent, hero = hero_with_parent(language, consent=False)

    response = client_for(parent).post(
        "/api/stories", {"heroId": hero.pk, "eventType": "bedtime"}, format="json"
    )

    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["error"]) == ("CONSENT_REQUIRED", CONSENT_REQUIRED[language])
    assert list(body["details"]) == ["currentPolicyVersion"]


def test_a_bad_token_is_refused_in_the_phones_language(client):
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)

    response = client.get("/api/heroes", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 401
    assert response.json()["error"] == "Tu sesión ha caducado o no es válida."
    assert response.json()["code"] == "UNAUTHORIZED"


def test_the_admin_stays_in_english(staff_browser):
    page = staff_browser.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert "Log out" in page.content.decode()
    assert "Déconnexion" not in page.content.decode()


@pytest.fixture
def hero_with_parent():
    def make(language: str, consent: bool = True):
        parent = UserFactory(preferred_language=language, consent=consent)
        return parent, HeroFactory(user=parent)

    return make


@pytest.mark.parametrize(
    "path", ["/api/auth/session", "/api/nowhere", "/admin/login/", "/s/secret", "/en/api/heroes"]
)
@pytest.mark.parametrize(
    "accept_language", [None, "de", "fr-CA,fr;q=0.9", "pt-BR", "es;q=0.1,it;q=0.8", "*", "x" * 300]
)
def test_the_answers_language_is_what_djangos_locale_middleware_chooses(rf, path, accept_language):
    """LanguageMiddleware is LocaleMiddleware without its URL-prefix handling, which nothing
    here uses: for any path and Accept-Language, the language, Vary and Content-Language agree."""

    def answered(middleware_class, request):
        def view(request):
            return HttpResponse(status=404 if "nowhere" in request.path_info else 200)

        with translation.override(None):
            response = middleware_class(view)(request)
            return request.LANGUAGE_CODE, response.get("Vary"), response["Content-Language"]

    def request():
        headers = {} if accept_language is None else {"HTTP_ACCEPT_LANGUAGE": accept_language}
        return rf.get(path, **headers)

    expected = answered(LocaleMiddleware, request())
    if path.startswith(ADMIN_PREFIX):  # ours keeps the admin in English whatever was asked
        expected = ("en", expected[1], "en")
    assert answered(LanguageMiddleware, request()) == expected
