import structlog
from rest_framework import authentication, exceptions

from . import services


class BearerSessionAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; a missing, malformed, expired or revoked token is 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The session token is invalid.") from None
        session = services.session_authenticate(token=token)
        if session is None:
            raise exceptions.AuthenticationFailed("Your session has expired or is invalid.")
        # The request's later log lines, and the tasks it starts, name the user.
        structlog.contextvars.bind_contextvars(user_id=session.user.pk)
        return session.user, session

    def authenticate_header(self, request) -> str:
        # A challenge makes DRF answer 401, not 403, to a missing token.
        return self.keyword
