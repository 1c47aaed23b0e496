from django.urls import path

from .api import UserUsageView

urlpatterns = [path("api/user/usage", UserUsageView.as_view(), name="user-usage")]
