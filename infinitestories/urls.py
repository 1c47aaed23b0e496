from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import email_confirm_page, password_reset_page
from infinitestories.api.errors import handler404 as api_not_found
from infinitestories.api.health import HealthView

api_patterns = [
    path("health", HealthView.as_view(), name="health"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("accounts.urls")),
    path("", include("accounts.user_urls")),
    path("", include("heroes.urls")),
    path("", include("stories.urls")),
    path("", include("stories.generation_urls")),
    path("", include("media.urls")),
    path("", include("usage.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("auth/verify-email/<str:key>", email_confirm_page, name="account_confirm_email"),
    path(
        "auth/reset-password/<str:uidb36>/<str:key>",
        password_reset_page,
        name="password_reset_confirm",
    ),
    # Anything else under /api/ answers 404 in the error envelope, in DEBUG too.
    re_path(r"^api/", csrf_exempt(api_not_found)),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "infinitestories.api.errors.handler400"
handler403 = "infinitestories.api.errors.handler403"
handler404 = "infinitestories.api.errors.handler404"
handler500 = "infinitestories.api.errors.handler500"
