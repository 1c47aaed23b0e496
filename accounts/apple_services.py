"""Sign in with Apple: accounts keyed by Apple's `sub`, linking, revoking at deletion, and
Apple's server-to-server events. Apple's side (keys, JWTs, HTTP) is accounts.apple.

Apple's own pitfalls shape this: the name comes only with the very first authorization; e-mails
are often private relay addresses that differ per app, so an account is found by `sub` (kept in
`User.apple_id`), never by e-mail; and only a refresh token from the authorization code gives
something to revoke when the account is deleted.
"""

import hashlib
import logging

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from infinitestories.api.errors import ApplicationError
from infinitestories.languages import LANGUAGES

from . import apple
from . import services as account_services
from .errors import (
    APPLE_ACCOUNT_CLOSED,
    APPLE_ALREADY_LINKED,
    APPLE_CODE_INVALID,
    APPLE_EMAIL_IN_USE,
    APPLE_EVENT_INVALID,
    APPLE_EVENT_REPLAYED,
    APPLE_ID_LINKED_ELSEWHERE,
    APPLE_NOT_CONFIGURED,
    APPLE_TOKEN_INVALID,
    APPLE_UNAVAILABLE,
)
from .models import (
    NO_EMAIL_DOMAIN,
    AppleCredential,
    AppleNotification,
    AppleTokenRevocation,
    User,
)

logger = logging.getLogger(__name__)


NOT_CONFIGURED_MESSAGE = gettext_lazy("Sign in with Apple is not available on this server.")
UNAVAILABLE_MESSAGE = gettext_lazy(
    "We could not reach Apple to check this sign-in. Please try again in a moment."
)


def apple_configured_check() -> None:
    """503 APPLE_NOT_CONFIGURED until the four APPLE_* credentials are set."""
    if not apple.configured():
        raise ApplicationError(APPLE_NOT_CONFIGURED, NOT_CONFIGURED_MESSAGE, status=503)


def _unavailable() -> ApplicationError:
    return ApplicationError(
        APPLE_UNAVAILABLE, UNAVAILABLE_MESSAGE, status=503, headers={"Retry-After": "5"}
    )


def _identity(*, identity_token: str, nonce: str | None) -> apple.AppleIdentity:
    """The verified identity, or 401 APPLE_TOKEN_INVALID (details.reason says which check)."""
    try:
        return apple.identity_token_verify(token=identity_token, nonce=nonce)
    except apple.AppleTokenError as exc:
        raise ApplicationError(
            APPLE_TOKEN_INVALID,
            _("Apple could not confirm this sign-in. Please sign in with Apple again."),
            status=401,
            details={"reason": exc.reason},
        ) from None
    except apple.AppleUnavailable as exc:
        logger.warning("Apple keys unavailable: %s", exc)
        raise _unavailable() from None


def _refresh_token(*, code: str, identity: apple.AppleIdentity) -> str:
    """Exchange the authorization code; the tokens it gives must be for the same Apple ID."""
    try:
        tokens = apple.authorization_code_exchange(code=code, client_id=identity.client_id)
        exchanged = apple.identity_token_verify(token=tokens.id_token, check_nonce=False)
    except apple.AppleCodeRejected:
        raise _code_invalid() from None
    except apple.AppleTokenError:
        raise _code_invalid() from None
    except apple.AppleUnavailable as exc:
        logger.warning("Apple code exchange unavailable: %s", exc)
        raise _unavailable() from None
    if exchanged.sub != identity.sub:
        raise _code_invalid()
    return tokens.refresh_token


def _code_invalid() -> ApplicationError:
    return ApplicationError(
        APPLE_CODE_INVALID,
        _("Apple did not accept this sign-in's code. Please sign in with Apple again."),
        status=401,
    )


def _full_name(full_name: dict | None) -> str:
    if not full_name:
        return ""
    parts = (full_name.get("given_name") or "", full_name.get("family_name") or "")
    return " ".join(part.strip() for part in parts if part and part.strip())[:100]


def _credential_save(*, user: User, identity: apple.AppleIdentity, refresh_token: str) -> None:
    """Keep what Apple said about the account; a new refresh token replaces the old one (each
    authorization's token revokes the whole authorization), none sent keeps it."""
    credential, _ = AppleCredential.objects.get_or_create(
        user=user, defaults={"client_id": identity.client_id}
    )
    credential.client_id = identity.client_id
    if identity.email:
        credential.email = identity.email
        credential.is_private_email = identity.is_private_email
    if refresh_token:
        credential.refresh_token_encrypted = apple.token_encrypt(refresh_token)
    credential.save()


def _placeholder_email(sub: str) -> str:
    return f"{hashlib.sha256(sub.encode()).hexdigest()[:32]}@{NO_EMAIL_DOMAIN}"


def _email_in_use() -> ApplicationError:
    return ApplicationError(
        APPLE_EMAIL_IN_USE,
        _(
            "An account with this e-mail already exists. Sign in with your password, then link "
            "your Apple ID in the app's settings."
        ),
        status=409,
    )


def apple_sign_in(
    *,
    identity_token: str,
    authorization_code: str = "",
    nonce: str | None = None,
    full_name: dict | None = None,
    language: str = "",
    ip_address: str | None,
    user_agent: str,
) -> tuple[User, bool, tuple]:
    """Sign in with Apple; returns (user, created, (session, token)).

    1. Verify the identity token (accounts.apple): 401 APPLE_TOKEN_INVALID with no session on
       any failure; 503 APPLE_UNAVAILABLE when Apple's keys cannot be had.
    2. Find the account by `sub`. None: an e-mail Apple vouches for that an account already
       has is 409 APPLE_EMAIL_IN_USE (never merged silently: the owner signs in with the
       password and links Apple).
    3. Exchange the authorization code, when sent, for a refresh token (checked to be for the
       same Apple ID); before any write, so a refused code leaves nothing behind.
    4. Create the account (no usable password; the name from `fullName`, which Apple sends on
       the very first authorization only) or keep it, filling an empty name but never
       overwriting one; store the refresh token encrypted; open a session.
    """
    apple_configured_check()
    identity = _identity(identity_token=identity_token, nonce=nonce)
    existing = User.objects.filter(apple_id=identity.sub).first()
    if (
        existing is None
        and identity.email
        and User.objects.filter(email__iexact=identity.email).exists()
    ):
        raise _email_in_use()
    if existing is not None and not existing.is_active:
        raise _closed()
    refresh_token = (
        _refresh_token(code=authorization_code, identity=identity) if authorization_code else ""
    )
    name = _full_name(full_name)
    with transaction.atomic():
        user, created = _account_for(identity=identity, name=name, language=language)
        _credential_save(user=user, identity=identity, refresh_token=refresh_token)
        opened = account_services.session_create(
            user=user, ip_address=ip_address, user_agent=user_agent
        )
        # a login like any other: a password-reset link mailed before it stops working
        update_last_login(None, user)
    return user, created, opened


def _closed() -> ApplicationError:
    return ApplicationError(
        APPLE_ACCOUNT_CLOSED,
        _("This account was closed and is being deleted."),
        status=403,
    )


def _account_for(*, identity: apple.AppleIdentity, name: str, language: str) -> tuple[User, bool]:
    user = User.objects.select_for_update().filter(apple_id=identity.sub).first()
    if user is not None:
        if not user.is_active:
            raise _closed()
        if name and not user.name:
            user.name = name
            user.save(update_fields=["name", "updated_at"])
        return user, False
    email = identity.email or _placeholder_email(identity.sub)
    if language not in dict(LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=None,
                name=name,
                preferred_language=language,
                apple_id=identity.sub,
            )
    except IntegrityError:
        # A concurrent first sign-in of the same Apple ID won the race: that account is it.
        user = User.objects.select_for_update().filter(apple_id=identity.sub).first()
        if user is None:
            raise _email_in_use() from None
        return user, False
    if identity.email:
        EmailAddress.objects.create(
            user=user, email=email, primary=True, verified=identity.email_verified
        )
    return user, True


def apple_link(
    *, user: User, identity_token: str, authorization_code: str = "", nonce: str | None = None
) -> User:
    """Link an Apple ID to the signed-in account (how a password account with the same e-mail
    gets Apple sign-in). 409 APPLE_ID_LINKED_ELSEWHERE when another account has that Apple ID,
    409 APPLE_ALREADY_LINKED when this one has a different Apple ID; linking the same one again
    only refreshes what Apple said."""
    apple_configured_check()
    identity = _identity(identity_token=identity_token, nonce=nonce)
    if User.objects.filter(apple_id=identity.sub).exclude(pk=user.pk).exists():
        raise ApplicationError(
            APPLE_ID_LINKED_ELSEWHERE,
            _("This Apple ID already signs in to another account."),
            status=409,
        )
    if user.apple_id and user.apple_id != identity.sub:
        raise ApplicationError(
            APPLE_ALREADY_LINKED,
            _("This account is already linked to another Apple ID."),
            status=409,
        )
    refresh_token = (
        _refresh_token(code=authorization_code, identity=identity) if authorization_code else ""
    )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.apple_id != identity.sub:
            locked.apple_id = identity.sub
            try:
                with transaction.atomic():
                    locked.save(update_fields=["apple_id", "updated_at"])
            except IntegrityError:  # linked elsewhere meanwhile
                raise ApplicationError(
                    APPLE_ID_LINKED_ELSEWHERE,
                    _("This Apple ID already signs in to another account."),
                    status=409,
                ) from None
        _credential_save(user=locked, identity=identity, refresh_token=refresh_token)
    user.refresh_from_db()
    return user


# --- Account deletion: revoke at Apple first ---------------------------------------------------


def apple_authorization_revoke(*, user: User) -> None:
    """Revoke the account's Apple refresh token (App Store rule 5.1.1(v)), before its data goes.

    Never blocks the deletion: when Apple fails or cannot be reached (bounded by APPLE_TIMEOUT),
    the token is handed to an AppleTokenRevocation row and a retried task, and the deletion
    goes on.
    """
    credential = AppleCredential.objects.filter(user=user).first()
    if credential is None or not credential.refresh_token_encrypted:
        return
    token = apple.token_decrypt(credential.refresh_token_encrypted)
    if token is None:
        return
    try:
        apple.refresh_token_revoke(token=token, client_id=credential.client_id)
    except apple.AppleUnavailable as exc:
        logger.warning("Apple revocation failed, retried in the background: %s", exc)
        revocation = AppleTokenRevocation.objects.create(
            client_id=credential.client_id,
            token_encrypted=credential.refresh_token_encrypted,
            attempts=1,
            last_attempt_at=timezone.now(),
            last_error=str(exc)[:255],
        )
        from .tasks import apple_token_revoke_task

        # robust: a broker that is down must not undo a deletion; the sweep sends it again.
        transaction.on_commit(lambda: apple_token_revoke_task.delay(revocation.pk), robust=True)
    AppleCredential.objects.filter(pk=credential.pk).update(refresh_token_encrypted="")


def apple_revocation_retry(*, revocation_id: str) -> bool:
    """One more try at a revocation that failed; True when done (or nothing was left to do).
    Raises AppleUnavailable when Apple fails again (the task retries with backoff)."""
    revocation = AppleTokenRevocation.objects.filter(pk=revocation_id).first()
    if revocation is None:
        return True
    token = apple.token_decrypt(revocation.token_encrypted)
    if token is None:
        return False
    try:
        apple.refresh_token_revoke(token=token, client_id=revocation.client_id)
    except apple.AppleUnavailable as exc:
        AppleTokenRevocation.objects.filter(pk=revocation.pk).update(
            attempts=revocation.attempts + 1,
            last_attempt_at=timezone.now(),
            last_error=str(exc)[:255],
        )
        raise
    revocation.delete()
    return True


def apple_revocations_resend() -> int:
    """Send every revocation still waiting to the task again (its retries may have run out while
    Apple was down, or the broker lost one). A periodic job."""
    from .tasks import apple_token_revoke_task

    ids = list(AppleTokenRevocation.objects.values_list("pk", flat=True))
    for pk in ids:
        apple_token_revoke_task.delay(pk)
    return len(ids)


# --- Apple's server-to-server events ------------------------------------------------------------

EVENT_EMAIL_DISABLED = "email-disabled"
EVENT_EMAIL_ENABLED = "email-enabled"
EVENT_CONSENT_REVOKED = "consent-revoked"
EVENT_ACCOUNT_DELETE = "account-delete"


def apple_notification_receive(*, payload: str) -> str:
    """Act on one of Apple's server-to-server events; returns its type.

    1. Verify it as identity tokens are (signature, issuer, audience): 401 APPLE_EVENT_INVALID
       otherwise. A `jti` seen before is 400 APPLE_EVENT_REPLAYED. Either changes nothing.
    2. consent-revoked (the user stopped using Apple sign-in with the app) and account-delete
       (the Apple ID is gone) end every session of that Apple ID and drop the refresh token,
       which Apple has already invalidated; account-delete also closes the account at once and
       deletes it in the background, as DELETE /api/user/account does.
    3. email-disabled / email-enabled: whether mail reaches the relay address.
    An Apple ID no account has, or an event type we do not know, is acknowledged and ignored.
    """
    apple_configured_check()
    try:
        event = apple.notification_verify(payload=payload)
    except apple.AppleTokenError as exc:
        raise ApplicationError(
            APPLE_EVENT_INVALID,
            _("This notification could not be verified."),
            status=401,
            details={"reason": exc.reason},
        ) from None
    except apple.AppleUnavailable as exc:
        logger.warning("Apple keys unavailable for a notification: %s", exc)
        raise _unavailable() from None
    with transaction.atomic():
        try:
            with transaction.atomic():
                AppleNotification.objects.create(jti=event.jti, event_type=event.type[:40])
        except IntegrityError:
            raise ApplicationError(
                APPLE_EVENT_REPLAYED, _("This notification was already received."), status=400
            ) from None
        user = User.objects.select_for_update().filter(apple_id=event.sub).first()
        if user is not None:
            _event_apply(user=user, kind=event.type)
    return event.type


def _event_apply(*, user: User, kind: str) -> None:
    if kind in (EVENT_EMAIL_DISABLED, EVENT_EMAIL_ENABLED):
        AppleCredential.objects.filter(user=user).update(
            email_reachable=kind == EVENT_EMAIL_ENABLED, updated_at=timezone.now()
        )
    elif kind in (EVENT_CONSENT_REVOKED, EVENT_ACCOUNT_DELETE):
        account_services.sessions_revoke_all(user=user)
        AppleCredential.objects.filter(user=user).update(
            refresh_token_encrypted="", updated_at=timezone.now()
        )
        if kind == EVENT_ACCOUNT_DELETE:
            User.objects.filter(pk=user.pk).update(is_active=False)
            from .tasks import user_account_delete_task

            transaction.on_commit(lambda: user_account_delete_task.delay(user.pk), robust=True)
    else:
        logger.info("Apple event of unknown type %r ignored", kind)
