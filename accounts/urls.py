from django.urls import path

from . import api

urlpatterns = [
    path("auth/signup", api.SignupView.as_view(), name="auth-signup"),
    path("auth/login", api.LoginView.as_view(), name="auth-login"),
    path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/session", api.SessionView.as_view(), name="auth-session"),
    path("auth/password/reset", api.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        api.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/email/verify", api.VerifyEmailView.as_view(), name="auth-email-verify"),
    path("auth/email/resend", api.ResendEmailVerificationView.as_view(), name="auth-email-resend"),
]
