"""Admin URLs as the admin builds them: ids like `user_3fA…` must be quoted (the admin reads
`_3f` as an escaped character), so a hand-written f-string misses about one id in eight."""

from django.contrib.admin.utils import quote
from django.urls import reverse


def admin_url(obj, view: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[quote(obj.pk)])
