"""Base views every endpoint inherits, so that auth, rate limits and ownership cannot be forgotten."""

from django.db.models import Model, QuerySet
from rest_framework import permissions
from rest_framework.views import APIView

from . import ratelimit
from .errors import NOT_FOUND_MESSAGE, NotFoundError


class RateLimitedMixin:
    """Applies the view's named limits per method (`rate_limits = {"POST": ("story_generation",)}`).

    The tightest limit checked is reported in X-RateLimit-* headers on every answer.
    """

    rate_limits: dict[str, tuple[str, ...]] = {}
    default_rate_limits: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        names = (*self.default_rate_limits, *self.rate_limits.get(request.method, ()))
        states = ratelimit.hit_many(request, names)
        self._rate_limit_state = min(states, key=lambda s: s.remaining, default=None)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(self, "_rate_limit_state", None)
        if state is not None and state.limit:
            for header, value in state.headers.items():
                response.setdefault(header, value)
        return response


class PublicAPIView(RateLimitedMixin, APIView):
    """An endpoint anyone may call (signup, login, health)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class AuthenticatedAPIView(RateLimitedMixin, APIView):
    """An endpoint for a signed-in user: bearer token required, `api` limit per user."""

    permission_classes = [permissions.IsAuthenticated]
    default_rate_limits = ("api",)


class OwnedAPIView(AuthenticatedAPIView):
    """Reads only the signed-in user's rows: another user's object is simply not found (404)."""

    owner_field = "user"

    def owned(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{self.owner_field: self.request.user})

    def get_owned(self, queryset: QuerySet, pk: str, message: str = NOT_FOUND_MESSAGE) -> Model:
        obj = self.owned(queryset).filter(pk=pk).first()
        if obj is None:
            raise NotFoundError(message)
        return obj
