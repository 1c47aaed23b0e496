from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from infinitestories.api.fields import query_input
from infinitestories.api.schema import error_responses
from infinitestories.api.views import AuthenticatedAPIView

from .selectors import usage_summary
from .serializers import UsageInputSerializer, UsageOutputSerializer


class UserUsageView(AuthenticatedAPIView):
    """GET /api/user/usage (PRD 6.6): the user's AI usage and costs from the usage log."""

    rate_limits = {"GET": ("status_poll",)}

    @extend_schema(
        summary="My AI usage",
        description=(
            "What the user's stories, narration and pictures cost for `period` (current_month, "
            "last_month, all_time): cost, counts and tokens per operation, and the monthly story "
            "quota."
        ),
        parameters=[UsageInputSerializer],
        responses={200: UsageOutputSerializer, **error_responses(400)},
    )
    def get(self, request):
        period = query_input(UsageInputSerializer, request)["period"]
        return Response(usage_summary(user=request.user, period=period))
