def optional_trailing_slash(get_response):
    """API paths are declared without a trailing slash; `/api/heroes/` is served as `/api/heroes`."""

    def middleware(request):
        if request.path_info.startswith("/api/") and len(request.path_info) > 5:
            request.path_info = request.path_info.rstrip("/")
        return get_response(request)

    return middleware
