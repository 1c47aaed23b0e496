from django.http import HttpResponse
from django.utils import timezone
from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from infinitestories.api.schema import SuccessSerializer, error_responses
from infinitestories.api.views import AuthenticatedAPIView

from . import profile_services
from .profile_serializers import (
    ExportOutputSerializer,
    ProfileEnvelopeSerializer,
    ProfileOutputSerializer,
    ProfileUpdateInputSerializer,
)


class ProfileView(AuthenticatedAPIView):
    """GET, PATCH /api/user/profile."""

    rate_limits = {"PATCH": ("profile_update",)}

    @extend_schema(responses={200: ProfileEnvelopeSerializer, **error_responses()})
    def get(self, request):
        return Response({"user": ProfileOutputSerializer(request.user).data})

    @extend_schema(
        request=ProfileUpdateInputSerializer,
        responses={200: ProfileEnvelopeSerializer, **error_responses(400)},
    )
    def patch(self, request):
        data = ProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = profile_services.user_profile_update(user=request.user, **data.validated_data)
        return Response({"user": ProfileOutputSerializer(user).data})


class ExportView(AuthenticatedAPIView):
    """GET /api/user/export: everything the user owns, as a JSON file download."""

    rate_limits = {"GET": ("export",)}

    @extend_schema(
        responses={
            200: OpenApiResponse(
                ExportOutputSerializer,
                description="A JSON file (Content-Disposition: attachment; "
                'filename="infinitestories-export-<UTC timestamp>.json").',
            ),
            **error_responses(),
        }
    )
    def get(self, request):
        data = profile_services.user_export(user=request.user)
        body = CamelCaseJSONRenderer().render(data)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="infinitestories-export-{stamp}.json"'
        )
        return response


class AccountView(AuthenticatedAPIView):
    """DELETE /api/user/account: the account, everything it owns, its sessions and its files."""

    rate_limits = {"DELETE": ("delete",)}

    @extend_schema(request=None, responses={200: SuccessSerializer, **error_responses()})
    def delete(self, request):
        profile_services.user_account_delete(user=request.user)
        return Response({"success": True})
