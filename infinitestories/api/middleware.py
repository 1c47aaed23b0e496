from .errors import NOT_FOUND, json_error


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
