"""The admin index's spend panels (usage/templatetags/usage_dashboard.py): figures and top
spenders' e-mails only for staff with the permission to see usage."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.usage.factories import UsageMetricFactory


@pytest.fixture
def big_spender():
    spender = UserFactory(email="big.spender@example.com")
    UsageMetricFactory(user=spender, cost=Decimal("12.3456"), operation="story_generation")
    return spender


def admin_index_for(staff) -> str:
    browser = Client()
    browser.force_login(staff)
    response = browser.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_staff_without_the_usage_permission_see_no_spend_and_no_spender(big_spender):
    # given a staff member with no permissions at all
    staff = UserFactory(is_staff=True)

    page = admin_index_for(staff)

    # then the index shows neither the figures nor who spent them
    assert "big.spender@example.com" not in page
    assert 'id="spend-panel"' not in page
    assert 'id="top-users-panel"' not in page
    assert "12.3456" not in page
    assert 'id="jobs-panel"' not in page


def test_staff_with_the_usage_permission_see_the_spend_and_the_top_spenders(big_spender):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_usagemetric", content_type__app_label="usage")
    )

    page = admin_index_for(staff)

    assert 'id="spend-panel"' in page
    assert "big.spender@example.com" in page
    assert "12.3456" in page
    # the jobs panel needs its own permission
    assert 'id="jobs-panel"' not in page


def test_a_superuser_sees_every_panel(big_spender):
    page = admin_index_for(UserFactory(is_staff=True, is_superuser=True))

    assert 'id="spend-panel"' in page and 'id="jobs-panel"' in page
    assert "big.spender@example.com" in page
