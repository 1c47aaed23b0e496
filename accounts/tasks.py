from celery import shared_task

from . import apple_services, services
from .apple import AppleUnavailable
from .models import User


@shared_task
def sessions_purge_expired_task() -> int:
    """Daily: drop sessions that can never be used again."""
    return services.sessions_purge_expired()


# Apple down for a while: backoff from 30 s doubling to an hour, about a day of tries in all;
# past that the daily sweep below sends the revocation again.
@shared_task(
    autoretry_for=(AppleUnavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=30,
)
def apple_token_revoke_task(revocation_id: str) -> bool:
    """Revoke at Apple a refresh token of a deleted account (the first try failed)."""
    return apple_services.apple_revocation_retry(revocation_id=revocation_id)


@shared_task
def apple_revocations_resend_task() -> int:
    """Daily: send every Apple revocation still waiting to the retried task again."""
    return apple_services.apple_revocations_resend()


@shared_task
def user_account_delete_task(user_id: str) -> None:
    """Delete an account Apple told us was deleted (account-delete event)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        services.user_account_delete(user=user)
