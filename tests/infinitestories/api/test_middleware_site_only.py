"""The admin's middleware (session sign-in, OTP, audit log, messages, django-axes) runs for the
admin and the site's pages, not for the API."""

from django.utils.module_loading import import_string

from infinitestories.api.middleware import SITE_MIDDLEWARE


def test_site_middleware_has_no_hooks_a_wrapper_would_lose():
    """Django calls view, template and exception hooks only of the MIDDLEWARE list itself."""
    hooks = ("process_view", "process_template_response", "process_exception")
    for path in SITE_MIDDLEWARE:
        instance = import_string(path)(lambda request: None)
        assert not [hook for hook in hooks if hasattr(instance, hook)], path


def test_an_api_answer_sets_no_cookie_and_names_the_user(auth_client, user):
    response = auth_client.get("/api/auth/session")

    assert response.status_code == 200
    assert not response.cookies
    assert response.wsgi_request.user == user


def test_an_anonymous_api_request_is_anonymous(client):
    response = client.get("/api/heroes")

    assert response.status_code == 401
    assert not getattr(response.wsgi_request.user, "is_authenticated", False)


def test_the_admin_still_signs_in_from_the_session(staff_browser):
    """(django-axes still locks the admin sign-in out: tests/accounts/test_admin_security.py.)"""
    assert staff_browser.get("/admin/").status_code == 200
