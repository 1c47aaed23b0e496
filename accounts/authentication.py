import structlog
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from . import services


class BearerSessionAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; a missing, malformed, expired or revoked token is 401.

    A signed-in request speaks the user's own language (their profile's preferredLanguage)
    from here on, whatever the device's Accept-Language said: its messages and Content-Language.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed(_("Use 'Authorization: Bearer <token>'."))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The session token is invalid.")) from None
        session = services.session_authenticate(token=token)
        if session is None:
            raise exceptions.AuthenticationFailed(_("Your session has expired or is invalid."))
        # The request's later log lines, and the tasks it starts, name the user.
        structlog.contextvars.bind_contextvars(user_id=session.user.pk)
        translation.activate(session.user.preferred_language)
        request._request.LANGUAGE_CODE = translation.get_language()
        return session.user, session

    def authenticate_header(self, request) -> str:
        # A challenge makes DRF answer 401, not 403, to a missing token.
        return self.keyword
