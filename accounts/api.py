"""The account endpoints: auth (signup, login, sessions, password reset, e-mail verification),
the profile, the export and deleting the account; and the pages e-mailed links open."""

import ipaddress

from allauth.account.models import EmailConfirmation, EmailConfirmationHMAC
from dj_rest_auth import views as dj_rest_auth_views
from dj_rest_auth.registration import views as registration_views
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from infinitestories.api import ratelimit
from infinitestories.api.errors import ApplicationError
from infinitestories.api.ratelimit import client_ip
from infinitestories.api.schema import (
    DetailSerializer,
    ErrorSerializer,
    SuccessSerializer,
    error_responses,
)
from infinitestories.api.views import AuthenticatedAPIView, PublicAPIView, RateLimitedMixin
from notifications.services import device_forget

from . import apple_services, selectors, services
from .errors import EMAIL_NOT_VERIFIED
from .serializers import (
    AppleLinkInputSerializer,
    AppleNotificationInputSerializer,
    AppleSignInInputSerializer,
    ConsentEnvelopeSerializer,
    ConsentInputSerializer,
    ExportOutputSerializer,
    LoginInputSerializer,
    LoginOutputSerializer,
    LoginUserSerializer,
    LogoutInputSerializer,
    PasswordResetConfirmInputSerializer,
    ProfileEnvelopeSerializer,
    ProfileOutputSerializer,
    ProfileUpdateInputSerializer,
    SessionOutputSerializer,
    SessionUserSerializer,
    SignupInputSerializer,
    SignupOutputSerializer,
    consent_body,
    session_body,
)


def _client(request) -> dict:
    try:
        address = str(ipaddress.ip_address(client_ip(request)))
    except ValueError:  # a header we could not trust or parse: keep no address
        address = None
    return {"ip_address": address, "user_agent": request.META.get("HTTP_USER_AGENT", "")}


class SignupView(PublicAPIView):
    # Per account first: guesses at one e-mail stop there and do not use up the network's count.
    rate_limits = {"POST": ("signup_account", "signup", "signup_56", "signup_48")}

    @extend_schema(
        summary="Create an account",
        description=(
            "Creates a parent account and answers with the user and a bearer session: keep "
            "`session.token` in the Keychain and send it as `Authorization: Bearer <token>`. When "
            "e-mail verification is mandatory, `session` is null until the e-mailed link is "
            "opened. A password needs at least 8 characters, an uppercase letter and a digit, and "
            "must not be a common one. An address that already has an account (in any case) is "
            "409 `EMAIL_TAKEN`. At most 5 attempts an hour for one address, and 20 sign-ups an "
            "hour from one network (an IPv4 address or an IPv6 /64), 30 from one IPv6 /56 and 60 "
            "from one IPv6 /48. A network staff blocked for abuse is 403 `SIGNUP_BLOCKED`. The "
            "account's `preferredLanguage` is the best of en, es, fr, de, it for the request's "
            "`Accept-Language` (en when none fits): the verification e-mail is written in it."
        ),
        request=SignupInputSerializer,
        responses={
            201: SignupOutputSerializer,
            **error_responses(400, 403, 409, 429, authenticated=False),
        },
    )
    def post(self, request):
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, opened = services.user_signup(
            request=request._request,
            **data.validated_data,
            language=request.LANGUAGE_CODE,
            **_client(request),
        )
        session = session_body(*opened) if opened is not None else None
        return Response(
            {"user": LoginUserSerializer(user).data, "session": session},
            status=status.HTTP_201_CREATED,
        )


class LoginView(PublicAPIView):
    # Every attempt counts against the network; wrong passwords count per (account, network) in
    # the view, so a stranger's guesses lock the stranger's network out, never the parent.
    rate_limits = {"POST": ("login",)}

    @extend_schema(
        summary="Sign in",
        description=(
            "Answers the user and a new bearer session, valid for 30 days after its last use. A "
            "wrong e-mail or password is 401 `INVALID_CREDENTIALS` (the answer never says which); "
            "an address not yet verified, when verification is mandatory, is 403 "
            "`EMAIL_NOT_VERIFIED`. An account made with Sign in with Apple has no password: "
            "401 `APPLE_SIGN_IN_REQUIRED` says to use Sign in with Apple. After 10 wrong "
            "passwords for one account from one network (an IPv4 address, an IPv6 /64) in an hour, "
            "that network is refused for that account (429 `RATE_LIMITED`) until the hour ends; "
            "other networks, the parent's own among them, keep signing in. At most 100 attempts "
            "an hour from one network."
        ),
        request=LoginInputSerializer,
        responses={
            200: LoginOutputSerializer,
            **error_responses(400, 401, 403, 429, authenticated=False),
        },
    )
    def post(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        ratelimit.failures_charge(name="login_account", request=request, account=email)
        try:
            user = services.user_login(request=request._request, **data.validated_data)
        except ApplicationError as refused:
            # the right password for an address not yet verified is no guess; anything else
            # (a wrong password, an Apple-only account) counts
            if refused.code == EMAIL_NOT_VERIFIED:
                ratelimit.failures_forgive(name="login_account", request=request, account=email)
            raise
        ratelimit.failures_forgive(name="login_account", request=request, account=email)
        bearer, token = services.session_create(user=user, **_client(request))
        return Response(
            {"user": LoginUserSerializer(user).data, "session": session_body(bearer, token)}
        )


# --- Sign in with Apple


def _apple_errors(*statuses: int, authenticated: bool) -> dict:
    """The error envelope, with what each status means on the Apple endpoints."""
    texts = {
        400: "VALIDATION_ERROR or MALFORMED_JSON; APPLE_EVENT_REPLAYED (a notification's jti "
        "seen before).",
        401: "APPLE_TOKEN_INVALID (details.reason: malformed, algorithm, unknown_key, signature, "
        "issuer, audience, expired, not_yet_valid, claims, nonce), APPLE_CODE_INVALID (the "
        "authorization code was refused: sign in with Apple again), APPLE_EVENT_INVALID; "
        "UNAUTHORIZED for a missing or expired session where one is needed.",
        403: "APPLE_ACCOUNT_CLOSED: the account is being deleted.",
        409: "APPLE_EMAIL_IN_USE (a password account has this e-mail: sign in with the password, "
        "then link Apple), APPLE_ID_LINKED_ELSEWHERE, APPLE_ALREADY_LINKED.",
        429: "RATE_LIMITED (details.limit names it; Retry-After header).",
        503: "APPLE_NOT_CONFIGURED (the server has no Apple credentials) or APPLE_UNAVAILABLE "
        "(Apple could not be reached; Retry-After).",
    }
    codes = set(statuses) | ({401, 429} if authenticated else set())
    return {code: OpenApiResponse(ErrorSerializer, description=texts[code]) for code in codes}


class AppleSignInView(PublicAPIView):
    # The network's login limit: tokens are guessed no faster than passwords.
    rate_limits = {"POST": ("login",)}

    @extend_schema(
        summary="Sign in with Apple",
        description=(
            "Signs in, or creates the account on first use, with the credential from "
            "ASAuthorizationAppleIDProvider: `identityToken`, `authorizationCode` (send it every "
            "time; the server exchanges it once at Apple so that deleting the account can revoke "
            "the app's access), the raw `nonce` whose SHA-256 hex was put in the request, and "
            "`fullName` (Apple gives it on the very first sign-in only; it names a new account "
            "and fills an empty name, never overwrites one). Answers as login does: 201 for a new "
            "account, 200 for an existing one. Accounts are found by Apple ID, never by e-mail: "
            "an e-mail that a password account already has is 409 `APPLE_EMAIL_IN_USE` (sign in "
            "with the password, then POST /api/auth/apple/link). Limited as login is."
        ),
        request=AppleSignInInputSerializer,
        responses={
            200: OpenApiResponse(LoginOutputSerializer, description="An existing account."),
            201: OpenApiResponse(LoginOutputSerializer, description="A new account."),
            **_apple_errors(400, 401, 403, 409, 429, 503, authenticated=False),
        },
    )
    def post(self, request):
        data = AppleSignInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, created, (bearer, token) = apple_services.apple_sign_in(
            **data.validated_data, language=request.LANGUAGE_CODE, **_client(request)
        )
        return Response(
            {"user": LoginUserSerializer(user).data, "session": session_body(bearer, token)},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AppleLinkView(AuthenticatedAPIView):
    rate_limits = {"POST": ("login",)}

    @extend_schema(
        summary="Link an Apple ID to this account",
        description=(
            "For a signed-in account (typically a password one whose e-mail Apple sign-in "
            "answered 409 `APPLE_EMAIL_IN_USE`): the same `identityToken`, `authorizationCode` "
            "and `nonce` as for sign-in. From then on Sign in with Apple opens this account. An "
            "Apple ID another account has is 409 `APPLE_ID_LINKED_ELSEWHERE`; an account linked "
            "to a different Apple ID is 409 `APPLE_ALREADY_LINKED`. Answers the profile."
        ),
        request=AppleLinkInputSerializer,
        responses={
            200: ProfileEnvelopeSerializer,
            **_apple_errors(400, 409, 503, authenticated=True),
        },
    )
    def post(self, request):
        data = AppleLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = apple_services.apple_link(user=request.user, **data.validated_data)
        return Response({"user": ProfileOutputSerializer(user).data})


class AppleNotificationsView(PublicAPIView):
    rate_limits = {"POST": ("apple_notifications",)}

    @extend_schema(
        summary="Apple's server-to-server notifications",
        description=(
            "Called by Apple, not by the app (the endpoint registered in the developer portal). "
            "`payload` is a JWT Apple signs: verified like identity tokens, and each `jti` "
            "accepted once. `consent-revoked` and `account-delete` sign the Apple ID's account "
            "out everywhere (`account-delete` also deletes the account); `email-disabled` and "
            "`email-enabled` say whether mail reaches its relay address."
        ),
        request=AppleNotificationInputSerializer,
        responses={
            200: SuccessSerializer,
            **_apple_errors(400, 401, 429, 503, authenticated=False),
        },
    )
    def post(self, request):
        data = AppleNotificationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        apple_services.apple_notification_receive(payload=data.validated_data["payload"])
        return Response({"success": True})


class LogoutView(AuthenticatedAPIView):
    default_rate_limits = ()  # the PRD puts no limit on logout

    @extend_schema(
        summary="Sign out",
        description=(
            "Revokes the session whose token signs this request. The user's other devices stay "
            "signed in. Send the phone's APNs `deviceToken` too (optional) and it gets no more "
            "pushes for this account."
        ),
        request=LogoutInputSerializer,
        responses={200: SuccessSerializer, **error_responses(400)},
    )
    def post(self, request):
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_revoke(session=request.auth)
        if data.validated_data.get("device_token"):
            device_forget(user=request.user, token=data.validated_data["device_token"])
        return Response({"success": True})


class SessionView(AuthenticatedAPIView):
    @extend_schema(
        summary="Current session",
        description=(
            "The signed-in user and when this session expires. Call it when the app starts: 401 "
            "means the stored token is no longer valid and the user signs in again."
        ),
        responses={200: SessionOutputSerializer, **error_responses()},
    )
    def get(self, request):
        return Response(
            {
                "user": SessionUserSerializer(request.user).data,
                "session": session_body(request.auth),
            }
        )


# --- The profile, the export, the account


class ProfileView(AuthenticatedAPIView):
    """GET, PATCH /api/user/profile."""

    rate_limits = {"PATCH": ("profile_update",)}

    @extend_schema(
        summary="Get the profile",
        description="The user's name, language, theme, subscription tier and monthly limits.",
        responses={200: ProfileEnvelopeSerializer, **error_responses()},
    )
    def get(self, request):
        return Response({"user": ProfileOutputSerializer(request.user).data})

    @extend_schema(
        summary="Edit the profile",
        description=(
            "Changes `name`, `preferredLanguage` (en, es, fr, de, it) or `themePreference` "
            "(system, light, dark). The tier, limits and usage belong to the server and cannot be "
            "set."
        ),
        request=ProfileUpdateInputSerializer,
        responses={200: ProfileEnvelopeSerializer, **error_responses(400)},
    )
    def patch(self, request):
        data = ProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_profile_update(user=request.user, **data.validated_data)
        return Response({"user": ProfileOutputSerializer(user).data})


class ConsentView(AuthenticatedAPIView):
    """GET, POST, DELETE /api/user/consent: a parent's consent to AI processing and to disclosure
    to the AI vendors the policy names. Without it, AI work answers 403 CONSENT_REQUIRED."""

    rate_limits = {"POST": ("profile_update",), "DELETE": ("profile_update",)}

    @extend_schema(
        summary="Parental consent",
        description=(
            "The parent's consent in force (`consent`, or null) and the policy version the app "
            "must show (`currentPolicyVersion`). Without consent to the current version, every AI "
            "request answers 403 `CONSENT_REQUIRED`; reading the library keeps working."
        ),
        responses={200: ConsentEnvelopeSerializer, **error_responses()},
    )
    def get(self, request):
        return Response(consent_body(request.user))

    @extend_schema(
        summary="Give parental consent",
        description=(
            "Records a parent's consent to AI processing and to disclosure to the AI vendors the "
            "policy names, for `policyVersion` (the current one), with when, the app version and "
            "the address it came from. 201 when recorded, 200 when the same consent was already "
            "in force."
        ),
        request=ConsentInputSerializer,
        responses={
            200: OpenApiResponse(ConsentEnvelopeSerializer, description="Already in force."),
            201: ConsentEnvelopeSerializer,
            **error_responses(400),
        },
    )
    def post(self, request):
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, created = services.consent_record(
            user=request.user, **data.validated_data, **_client(request)
        )
        return Response(
            consent_body(request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Withdraw parental consent",
        description=(
            "Withdraws the consent in force: AI work stops at once (403 `CONSENT_REQUIRED`) and "
            "the family's waiting narration and picture jobs fail; the library stays."
        ),
        request=None,
        responses={200: ConsentEnvelopeSerializer, **error_responses()},
    )
    def delete(self, request):
        services.consent_withdraw(user=request.user)
        return Response(consent_body(request.user))


class ExportView(AuthenticatedAPIView):
    """GET /api/user/export: everything the user owns, as a JSON file download."""

    rate_limits = {"GET": ("export",)}

    @extend_schema(
        summary="Export my data",
        description=(
            "Everything the user owns (profile, heroes, stories, custom events, usage) as a JSON "
            "file download, without any password or token."
        ),
        responses={
            200: OpenApiResponse(
                ExportOutputSerializer,
                description="A JSON file (Content-Disposition: attachment; "
                'filename="infinitestories-export-<UTC timestamp>.json").',
            ),
            **error_responses(),
        },
    )
    def get(self, request):
        data = ExportOutputSerializer(selectors.user_export(user=request.user)).data
        body = CamelCaseJSONRenderer().render(data)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="infinitestories-export-{stamp}.json"'
        )
        return response


class AccountView(AuthenticatedAPIView):
    """DELETE /api/user/account: the account, everything it owns, its sessions and its files."""

    rate_limits = {"DELETE": ("delete",)}

    @extend_schema(
        summary="Delete my account",
        description=(
            "Deletes the account and everything it owns, signs out every device and removes the "
            "files. It cannot be undone. An account that signs in with Apple has the app's "
            "access revoked at Apple first (retried in the background if Apple is down; the "
            "deletion never waits for it)."
        ),
        request=None,
        responses={200: SuccessSerializer, **error_responses()},
    )
    def delete(self, request):
        services.user_account_delete(user=request.user)
        return Response({"success": True})


# --- Pages that e-mailed links open


def email_confirm_page(request, key: str):
    """The link in the verification e-mail: confirms the address and says so."""
    confirmation = EmailConfirmationHMAC.from_key(key)
    if confirmation is None:
        confirmation = EmailConfirmation.objects.all_valid().filter(key=key.lower()).first()
    verified = confirmation is not None and confirmation.confirm(request) is not None
    return render(
        request,
        "accounts/email_verified.html",
        {"verified": verified},
        status=200 if verified else 400,
    )


def password_reset_page(request, uidb36: str, key: str):
    """The link in the reset e-mail: the app opens it; a browser is told what to do."""
    return render(request, "accounts/password_reset.html", {"uid": uidb36, "token": key})


# --- Password reset and e-mail verification: dj-rest-auth's views, under our limits -------------


@extend_schema_view(
    post=extend_schema(
        summary="Ask for a password reset",
        description=(
            "E-mails a link to reset the password when an account has this address. Always 200 "
            "for a well-formed address: the answer never says whether it is registered. At most 5 "
            "e-mails an hour from one network, and 3 a day for one address (429 `RATE_LIMITED`). "
            "A link stops working once the password changes or the account signs in again."
        ),
        responses={200: DetailSerializer, **error_responses(400, 429, authenticated=False)},
    )
)
class PasswordResetView(RateLimitedMixin, dj_rest_auth_views.PasswordResetView):
    """Sends a reset link (always 200: never says whether the e-mail exists)."""

    authentication_classes: list = []
    rate_limits = {"POST": ("email_send_account", "email_send")}


@extend_schema_view(
    post=extend_schema(
        summary="Set a new password",
        description=(
            "With `uid` and `token` from the e-mailed link and the new password twice "
            "(`newPassword2` must equal `newPassword1`; the password rules are signup's). Every "
            "session of the account is revoked: each device signs in again. A link that is wrong, "
            "used or expired is 404 `NOT_FOUND`: ask for a new one."
        ),
        responses={200: DetailSerializer, **error_responses(400, 404, 429, authenticated=False)},
    )
)
class PasswordResetConfirmView(RateLimitedMixin, dj_rest_auth_views.PasswordResetConfirmView):
    """Sets the new password and signs the account out of every device: whoever held a session
    (perhaps the reason for the reset) holds it no more."""

    authentication_classes: list = []
    rate_limits = {"POST": ("login",)}
    serializer_class = PasswordResetConfirmInputSerializer

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        services.sessions_revoke_all(user=serializer.user)
        return Response({"detail": _("Password has been reset with the new password.")})


@extend_schema_view(
    post=extend_schema(
        summary="Verify the e-mail address",
        description=(
            "With the `key` from the e-mailed link (the link itself also works in a browser). An "
            "unknown or used key is 404."
        ),
        responses={200: DetailSerializer, **error_responses(400, 404, 429, authenticated=False)},
    )
)
class VerifyEmailView(RateLimitedMixin, registration_views.VerifyEmailView):
    authentication_classes: list = []
    rate_limits = {"POST": ("login",)}


@extend_schema_view(
    post=extend_schema(
        summary="Send the verification e-mail again",
        description=(
            "Always 200 for a well-formed address, whether or not it is registered or already "
            "verified. At most 5 e-mails an hour from one network, and 3 a day for one address."
        ),
        responses={200: DetailSerializer, **error_responses(400, 429, authenticated=False)},
    )
)
class ResendEmailVerificationView(RateLimitedMixin, registration_views.ResendEmailVerificationView):
    authentication_classes: list = []
    rate_limits = {"POST": ("email_send_account", "email_send")}
