"""Test-only routes that exercise the shared API plumbing."""

from django.urls import include, path
from rest_framework.response import Response

from accounts.models import User
from infinitestories.api.pagination import paginate
from infinitestories.api.views import AuthenticatedAPIView, PublicAPIView
from infinitestories.urls import urlpatterns as app_urlpatterns


class ExplodingView(AuthenticatedAPIView):
    def get(self, request):
        raise RuntimeError("secret internal detail")


class PublicExplodingView(PublicAPIView):
    def get(self, request):
        hero_name = request.data.get("name")  # a child's name in a local variable of the frame
        # and in the message, as PostgreSQL quotes a refused row
        raise RuntimeError(
            f"secret internal detail ({len(hero_name)})\nDETAIL:  Failing row contains ({hero_name})."
        )


class EmailsView(AuthenticatedAPIView):
    def get(self, request):
        rows, pagination = paginate(User.objects.order_by("email"), request.query_params)
        return Response({"emails": [u.email for u in rows], "pagination": pagination})


urlpatterns = [
    path("api/test/explode", ExplodingView.as_view()),
    path("api/test/explode-public", PublicExplodingView.as_view()),
    path("api/test/emails", EmailsView.as_view()),
    path("", include(app_urlpatterns)),
]
