from django.urls import path

from . import api

urlpatterns = [
    path("api/auth/signup", api.SignupView.as_view(), name="auth-signup"),
    path("api/auth/login", api.LoginView.as_view(), name="auth-login"),
    path("api/auth/apple", api.AppleSignInView.as_view(), name="auth-apple"),
    path("api/auth/apple/link", api.AppleLinkView.as_view(), name="auth-apple-link"),
    path(
        "api/auth/apple/notifications",
        api.AppleNotificationsView.as_view(),
        name="auth-apple-notifications",
    ),
    path("api/auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("api/auth/session", api.SessionView.as_view(), name="auth-session"),
    path("api/auth/password/reset", api.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "api/auth/password/reset/confirm",
        api.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("api/auth/email/verify", api.VerifyEmailView.as_view(), name="auth-email-verify"),
    path(
        "api/auth/email/resend",
        api.ResendEmailVerificationView.as_view(),
        name="auth-email-resend",
    ),
    path("api/user/profile", api.ProfileView.as_view(), name="user-profile"),
    path("api/user/consent", api.ConsentView.as_view(), name="user-consent"),
    path("api/user/export", api.ExportView.as_view(), name="user-export"),
    path("api/user/account", api.AccountView.as_view(), name="user-account"),
    # The pages e-mailed links open (allauth and dj-rest-auth reverse these names).
    path("auth/verify-email/<str:key>", api.email_confirm_page, name="account_confirm_email"),
    path(
        "auth/reset-password/<str:uidb36>/<str:key>",
        api.password_reset_page,
        name="password_reset_confirm",
    ),
]
