from django.urls import path

from . import profile_api

urlpatterns = [
    path("user/profile", profile_api.ProfileView.as_view(), name="user-profile"),
    path("user/export", profile_api.ExportView.as_view(), name="user-export"),
    path("user/account", profile_api.AccountView.as_view(), name="user-account"),
]
