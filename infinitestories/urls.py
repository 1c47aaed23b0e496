"""The project's routes: each domain app's urls.py lists its own full paths, so a path in the
API reads the same in the code as in the PRD. Anything else under /api/ is a 404 envelope."""

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sites.models import Site
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from infinitestories.admin import StaffAdminSite
from infinitestories.api.errors import handler404 as api_not_found
from infinitestories.api.health import HealthView, ReadyView

# The admin: branded, without a "View site" link (the service has no public site) and without
# the sections nothing here uses (sites: one, set by a migration; no social sign-in).
admin.site.site_header = "InfiniteStories admin"
admin.site.site_title = "InfiniteStories admin"
admin.site.index_title = "Families, stories and AI costs"
admin.site.site_url = None
admin.site.unregister([Site, SocialApp, SocialToken, SocialAccount])

# django-otp's documented way to guard the default site (every app registers on it).
admin.site.__class__ = StaffAdminSite

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthView.as_view(), name="health"),
    path("api/health/ready", ReadyView.as_view(), name="health-ready"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("accounts.urls")),
    path("", include("heroes.urls")),
    path("", include("stories.urls")),
    path("", include("media.urls")),
    path("", include("usage.urls")),
    path("", include("notifications.urls")),
    # Anything else under /api/ answers 404 in the error envelope, in DEBUG too.
    re_path(r"^api/", csrf_exempt(api_not_found)),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "infinitestories.api.errors.handler400"
handler403 = "infinitestories.api.errors.handler403"
handler404 = "infinitestories.api.errors.handler404"
handler500 = "infinitestories.api.errors.handler500"
