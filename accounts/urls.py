from dj_rest_auth.registration.views import ResendEmailVerificationView, VerifyEmailView
from dj_rest_auth.views import PasswordResetConfirmView, PasswordResetView
from django.urls import path

from . import api

urlpatterns = [
    path("auth/signup", api.SignupView.as_view(), name="auth-signup"),
    path("auth/login", api.LoginView.as_view(), name="auth-login"),
    path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/session", api.SessionView.as_view(), name="auth-session"),
    path("auth/password/reset", PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/email/verify", VerifyEmailView.as_view(), name="auth-email-verify"),
    path("auth/email/resend", ResendEmailVerificationView.as_view(), name="auth-email-resend"),
]
