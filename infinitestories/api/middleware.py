from django.conf import settings
from django.http import JsonResponse

from infinitestories.ai import chain
from infinitestories.faults import INFRASTRUCTURE_ERRORS

from .errors import NOT_FOUND, json_error, service_unavailable


def api_paths(get_response):
    """Path hygiene before routing.

    - API paths are declared without a trailing slash; `/api/heroes/` is served as `/api/heroes`.
    - A NUL byte can name nothing we store (PostgreSQL text cannot hold it): 404 at once.
    """

    def middleware(request):
        if "\x00" in request.path_info:
            return json_error(NOT_FOUND, "Not found.", 404)
        if request.path_info.startswith("/api/") and len(request.path_info) > 5:
            request.path_info = request.path_info.rstrip("/")
        return get_response(request)

    return middleware


class ServiceUnavailableMiddleware:
    """Views outside DRF (the admin, the local upload endpoint, e-mailed pages) answer a failure
    of Redis, the database or storage as DRF views do: 503 SERVICE_UNAVAILABLE, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, INFRASTRUCTURE_ERRORS):
            return None
        body, status, headers = service_unavailable(exception)
        return JsonResponse(body, status=status, headers=headers)


# The share of WEB_TIMEOUT the AI calls of one request may use; the rest saves and answers.
AI_SHARE_OF_WEB_TIMEOUT = 0.9


def ai_time_budget(get_response):
    """Stories and avatars are made inside the request: their AI calls share WEB_TIMEOUT, so a
    slow vendor ends the request with 503 AI_UNAVAILABLE (its Idempotency-Key released at once)
    instead of holding a web thread after the client has given up."""

    def middleware(request):
        with chain.time_budget(settings.WEB_TIMEOUT * AI_SHARE_OF_WEB_TIMEOUT):
            return get_response(request)

    return middleware
