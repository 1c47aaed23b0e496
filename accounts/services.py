"""Account writes: sessions, signup and login, the profile, deleting the account."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.account.utils import setup_user_email
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from infinitestories.api.errors import INVALID_FIELDS_MESSAGE, VALIDATION_ERROR, ApplicationError
from infinitestories.api.ratelimit import network_of
from infinitestories.languages import LANGUAGES
from infinitestories.services import model_update
from media.services import media_delete_on_commit
from stories.services.jobs import generation_jobs_cancel, generation_jobs_settle

from .errors import (
    APPLE_SIGN_IN_REQUIRED,
    EMAIL_NOT_VERIFIED,
    EMAIL_TAKEN,
    INVALID_CREDENTIALS,
    SIGNUP_BLOCKED,
)
from .models import BearerSession, BlockedNetwork, ParentalConsent, User, normalize_email
from .selectors import consent_current, session_by_token_hash, user_storage_keys


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_create(
    *, user: User, ip_address: str | None, user_agent: str
) -> tuple[BearerSession, str]:
    """Open a session; return it with its token, which exists only in this return value."""
    token = secrets.token_hex(32)
    now = timezone.now()
    session = BearerSession.objects.create(
        user=user,
        token_hash=token_hash(token),
        expires_at=now + settings.SESSION_TOKEN_TTL,
        ip_address=ip_address or None,
        # Headers are the client's to fill: keep what PostgreSQL text can hold.
        user_agent=(user_agent or "").replace("\x00", "")[:255],
        created_at=now,
        last_used_at=now,
    )
    return session, token


def session_authenticate(*, token: str) -> BearerSession | None:
    """The live session for a token, or None. Slides the expiry at most once a day.

    The lookup is by hash, so the stored value never meets the raw token; the final
    compare_digest keeps the comparison constant-time.
    """
    if not token or len(token) > 128:
        return None
    digest = token_hash(token)
    now = timezone.now()
    session = session_by_token_hash(digest=digest, now=now)
    if session is None or not hmac.compare_digest(session.token_hash, digest):
        return None
    if now - session.last_used_at >= settings.SESSION_TOKEN_REFRESH_INTERVAL:
        session.last_used_at = now
        session.expires_at = now + settings.SESSION_TOKEN_TTL
        session.save(update_fields=["last_used_at", "expires_at"])
        User.objects.filter(pk=session.user_id).update(last_seen_at=now)
        session.user.last_seen_at = now
    return session


def session_revoke(*, session: BearerSession) -> None:
    BearerSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def sessions_revoke_all(*, user: User) -> int:
    return BearerSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def sessions_purge_expired() -> int:
    """Delete sessions that expired or were revoked more than 30 days ago (a beat job)."""
    cutoff = timezone.now() - settings.SESSION_TOKEN_TTL
    expired = BearerSession.objects.filter(expires_at__lt=timezone.now())
    revoked = BearerSession.objects.filter(revoked_at__lt=cutoff)
    deleted, _ = (expired | revoked).delete()
    return deleted


def _duplicate_email() -> ApplicationError:
    """409: the address is well formed, and taken (a conflict with an account, not a typo)."""
    return ApplicationError(
        EMAIL_TAKEN,
        _("An account with this e-mail already exists."),
        status=409,
        details={"email": _("An account with this e-mail already exists.")},
    )


@transaction.atomic
def user_signup(
    *,
    request,
    email: str,
    password: str,
    name: str = "",
    parental_consent: dict | None = None,
    language: str = "",
    ip_address: str | None,
    user_agent: str,
) -> tuple[User, tuple[BearerSession, str] | None]:
    """Create an account and, unless verification is mandatory, its first session (one commit).

    1. Normalise the e-mail and refuse one already taken (any case); check the parental
       consent, when the signup carries one, before anything is written.
    2. Check the password with Django's validators (length, uppercase, digit, common).
    3. Create the user and allauth's e-mail address, and record the consent; send the
       verification e-mail after commit unless verification is off. The account speaks the
       signup request's `language` (from Accept-Language) when it is one of ours, so that the
       verification e-mail and later messages do, until the profile changes it.
    4. Open a session, returned with its token, or None when the e-mail must be verified first.
    """
    email = normalize_email(email)
    signup_network_check(ip_address=ip_address)
    if parental_consent is not None:
        _consent_check(**parental_consent, nested_in="parental_consent")
    if User.objects.filter(email__iexact=email).exists():
        raise _duplicate_email()
    try:
        validate_password(password, user=User(email=email, name=name))
    except DjangoValidationError as exc:
        raise ApplicationError(
            VALIDATION_ERROR,
            INVALID_FIELDS_MESSAGE,
            details={"password": " ".join(exc.messages)},
        ) from None
    if language not in dict(LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                name=name,
                preferred_language=language,
                signup_network=network_of(ip_address, prefix=56) if ip_address else "",
            )
    except IntegrityError:  # a concurrent signup with the same e-mail won the race
        raise _duplicate_email() from None
    signup_network_review(user=user)
    setup_user_email(request, user, [])
    if parental_consent is not None:
        consent_record(user=user, **parental_consent, ip_address=ip_address, user_agent=user_agent)
    if settings.ACCOUNT_EMAIL_VERIFICATION != "none":
        address = EmailAddress.objects.get_primary(user)
        # robust: a mail server hiccup must not turn a created account into an error.
        transaction.on_commit(lambda: address.send_confirmation(request, signup=True), robust=True)
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory":
        return user, None
    return user, session_create(user=user, ip_address=ip_address, user_agent=user_agent)


# --- Networks that make many accounts ----------------------------------------------------------

# An account is flagged for staff review when at least this many accounts (itself included)
# signed up from its network (an IPv4 address, an IPv6 /56) within the window.
SIGNUP_REVIEW_ACCOUNTS = 5
SIGNUP_REVIEW_WINDOW = timedelta(days=7)


def _network_candidates(ip_address: str) -> list[str]:
    """The networks of `ip_address` a block may name: the IPv4 address, or its IPv6 /64, /56
    and /48."""
    return list(dict.fromkeys(network_of(ip_address, prefix=p) for p in (64, 56, 48)))


def signup_network_check(*, ip_address: str | None) -> None:
    """403 SIGNUP_BLOCKED when staff blocked the network the signup comes from."""
    if (
        ip_address
        and BlockedNetwork.objects.filter(network__in=_network_candidates(ip_address)).exists()
    ):
        raise ApplicationError(
            SIGNUP_BLOCKED,
            _("New accounts cannot be created from this network. Please contact support."),
            status=403,
        )


def signup_network_review(*, user: User) -> bool:
    """Flag the new account for staff review (AccountStanding) when its network made
    SIGNUP_REVIEW_ACCOUNTS accounts or more within SIGNUP_REVIEW_WINDOW; staff can block the
    network from the admin (network_block). Never blocks by itself: a school or a carrier NAT
    is many families."""
    from usage.services import standing_flag

    if not user.signup_network:
        return False
    since = timezone.now() - SIGNUP_REVIEW_WINDOW
    count = User.objects.filter(signup_network=user.signup_network, created_at__gte=since).count()
    if count < SIGNUP_REVIEW_ACCOUNTS:
        return False
    return standing_flag(
        user_id=user.pk,
        reason=f"{count} accounts signed up from {user.signup_network} within "
        f"{SIGNUP_REVIEW_WINDOW.days} days",
    )


def network_block(*, network: str, reason: str = "", actor: User | None = None) -> BlockedNetwork:
    """Refuse signups from `network` (an IPv4 address or an IPv6 network) from now on."""
    blocked, _ = BlockedNetwork.objects.get_or_create(
        network=network, defaults={"reason": reason[:300], "blocked_by": actor}
    )
    return blocked


# --- Parental consent ------------------------------------------------------------------------

WITHDRAWN_MESSAGE = gettext_lazy("A parent withdrew consent to AI processing, so this was stopped.")


def _consent_check(
    *,
    policy_version: str,
    ai_processing: bool,
    third_party_disclosure: bool,
    app_version: str = "",
    nested_in: str = "",
) -> None:
    """400 VALIDATION_ERROR unless this is consent to the current policy, both parts given."""
    errors = {}
    current = settings.PARENTAL_CONSENT_POLICY_VERSION
    if policy_version != current:
        errors["policy_version"] = _("Consent is to the current policy, version %(version)s.") % {
            "version": current
        }
    given = {"ai_processing": ai_processing, "third_party_disclosure": third_party_disclosure}
    for part, agreed in given.items():
        if not agreed:
            errors[part] = _("Stories are made with AI vendors: both consents are needed.")
    if errors:
        raise ApplicationError(
            VALIDATION_ERROR,
            INVALID_FIELDS_MESSAGE,
            details={nested_in: errors} if nested_in else errors,
        )


@transaction.atomic
def consent_record(
    *,
    user: User,
    policy_version: str,
    ai_processing: bool,
    third_party_disclosure: bool,
    app_version: str = "",
    ip_address: str | None,
    user_agent: str,
) -> tuple[ParentalConsent, bool]:
    """Record a parent's consent to the current policy: to AI processing and to disclosure to
    the AI vendors it names. Returns (consent, created): consent already in force for this
    version is returned as it is, so a retried request records nothing twice.

    The user row keeps the version consented to, which the one door to AI work reads
    (usage.services.ai_consent_check).
    """
    _consent_check(
        policy_version=policy_version,
        ai_processing=ai_processing,
        third_party_disclosure=third_party_disclosure,
    )
    user = User.objects.select_for_update().get(pk=user.pk)
    current = consent_current(user=user)
    if current is not None and current.policy_version == policy_version:
        return current, False
    now = timezone.now()
    consent = ParentalConsent.objects.create(
        user=user,
        policy_version=policy_version,
        ai_processing=ai_processing,
        third_party_disclosure=third_party_disclosure,
        vendors=list(settings.PARENTAL_CONSENT_VENDORS),
        consented_at=now,
        app_version=app_version.replace("\x00", "")[:50],
        ip_address=ip_address or None,
        user_agent=(user_agent or "").replace("\x00", "")[:255],
    )
    User.objects.filter(pk=user.pk).update(
        parental_consent_version=policy_version, parental_consent_at=now
    )
    return consent, True


def consent_to_current_policy(
    *, user: User, app_version: str = "", ip_address: str | None = None, user_agent: str = ""
) -> ParentalConsent:
    """Record full consent to the current policy for a family set up outside the app (the demo,
    benchmark and test families): what a parent gives in the app, in one call."""
    consent, _ = consent_record(
        user=user,
        policy_version=settings.PARENTAL_CONSENT_POLICY_VERSION,
        ai_processing=True,
        third_party_disclosure=True,
        app_version=app_version,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, user: User) -> int:
    """Withdraw the parent's consent: no AI processing from now on.

    1. Note the withdrawal on every consent in force (the history is kept as proof).
    2. Clear the version on the user row: the one door to AI work answers 403 CONSENT_REQUIRED.
    3. Stop the family's narration and picture jobs still waiting or running, with a message
       the app shows. Their library (stories, heroes, files) is untouched.
    Returns how many consents were withdrawn (0 when none was in force: nothing to do).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    withdrawn = ParentalConsent.objects.filter(user=user, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    User.objects.filter(pk=user.pk).update(parental_consent_version="", parental_consent_at=None)
    generation_jobs_cancel(user=user, message=WITHDRAWN_MESSAGE)
    return withdrawn


def user_login(*, request, email: str, password: str) -> User:
    """The user for these credentials. A failure never says whether the e-mail exists, but for
    an account made with Sign in with Apple: it has no password, and is told so (401
    APPLE_SIGN_IN_REQUIRED) rather than "wrong password" forever; the login limits per (account,
    network) and per network bound what that tells a guesser.

    A success records the login (last_login), as the admin's web login does: a password-reset
    link mailed before it stops working (Django's reset tokens hash last_login)."""
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None:
        if _apple_only(email=email):
            raise ApplicationError(
                APPLE_SIGN_IN_REQUIRED,
                _("This account has no password: it signs in with Apple. Use Sign in with Apple."),
                status=401,
            )
        raise ApplicationError(INVALID_CREDENTIALS, _("Invalid e-mail or password."), status=401)
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not user.email_verified:
        raise ApplicationError(
            EMAIL_NOT_VERIFIED,
            _("Please verify your e-mail address first. We have sent you a link."),
            status=403,
        )
    update_last_login(None, user)
    return user


def _apple_only(*, email: str) -> bool:
    """An account made by Sign in with Apple has no password: a password sign-in is told so
    rather than answered "wrong password" forever."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    return user is not None and bool(user.apple_id) and not user.has_usable_password()


def user_tier_audit(*, user: User, before: str, actor: User) -> None:
    """Record staff's change of a family's subscription tier in the audit log (who, when,
    before/after), beside the plan, switch and block changes django-auditlog records."""
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.UPDATE,
        changes={"subscription_tier": [before, user.subscription_tier]},
        actor=actor,
    )


def user_profile_update(*, user: User, **fields) -> User:
    """Set the profile fields the family may change (name, language, theme); nothing else."""
    return model_update(instance=user, fields=User.PROFILE_FIELDS, data=fields)


def user_account_delete(*, user: User) -> None:
    """Delete the account and everything it owns (PRD 11).

    0. Revoke its Apple refresh token at Apple while it is still here (App Store rule
       5.1.1(v)); outside the transaction (a network call), and never blocking: a failure is
       retried in the background (accounts.apple_services).
    1. Collect every storage key the user's rows reference.
    2. Revoke every session (the rows go with the user too; revoking first keeps a concurrent
       request from using one in between).
    3. Delete the user: heroes, stories, illustrations, events, uploads, jobs cascade (what the
       jobs reserved is released first). The AI usage rows stay, anonymised (user emptied), so
       cost totals never shrink.
    4. Audit entries about the user (staff changed their tier or standing) keep the change but
       name the user by id, not by e-mail.
    5. After commit, delete the files (retried tasks), so a rollback never loses a file.
    """
    from .apple_services import apple_authorization_revoke

    apple_authorization_revoke(user=user)
    _user_rows_delete(user=user)


@transaction.atomic
def _user_rows_delete(*, user: User) -> None:
    keys = user_storage_keys(user=user)
    user_id = user.pk
    sessions_revoke_all(user=user)
    generation_jobs_settle(user=user)
    user.delete()
    LogEntry.objects.filter(object_pk=user_id).update(object_repr=user_id)
    media_delete_on_commit(keys=keys)
