from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from infinitestories.api.errors import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NOT_FOUND_MESSAGE,
    ApplicationError,
    error_body,
    json_error,
)
from infinitestories.api.middleware import absolute_url
from infinitestories.api.schema import error_responses
from infinitestories.api.views import AuthenticatedAPIView

from . import services
from .selectors import media_url
from .serializers import UploadInputSerializer, UploadOutputSerializer
from .storage import is_s3


class FileUploadView(AuthenticatedAPIView):
    """POST /api/files/upload: a signed URL the app PUTs the file to, and the key to use after."""

    rate_limits = {"POST": ("upload",)}

    @extend_schema(
        summary="Start an upload",
        description=(
            "Declares a file (name, MIME type, size, category) and answers a signed `uploadUrl`: "
            "PUT the bytes there within an hour with the same Content-Type and exactly the declared "
            "size. Then name `storageKey` where the file is used: an `avatar` in "
            "`POST /api/heroes/{heroId}/avatar` or `POST /api/import`, an `illustration`, "
            "`pictogram` or `audio` in `POST /api/import`; there the bytes are checked by what they "
            "are and copied, so an upload is used once. Categories `avatar`, `illustration` and "
            "`pictogram`: PNG, JPEG or WebP up to 10 MB; `audio`: MP3 (audio/mpeg) up to 50 MB."
        ),
        request=UploadInputSerializer,
        responses={200: UploadOutputSerializer, **error_responses(400)},
    )
    def post(self, request):
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload, url = services.upload_create(user=request.user, **data.validated_data)
        body = UploadOutputSerializer(
            {
                "upload_url": absolute_url(url),
                "storage_key": upload.storage_key,
                "public_url": media_url(key=upload.storage_key),
                "expires_at": upload.expires_at,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK)


@method_decorator(csrf_exempt, name="dispatch")
class LocalUploadView(View):
    """PUT /api/files/upload/<token>: local-files stand-in for a presigned S3 PUT.

    The signed token is the credential, as with S3, so no bearer token is needed. Only served when
    storage is local; the body is streamed, not read through request.body (which is capped at 1 MB).
    """

    http_method_names = ["put"]

    def put(self, request, token: str):
        if is_s3():
            return json_error(NOT_FOUND, NOT_FOUND_MESSAGE, 404)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            length = None
        try:
            upload = services.upload_receive(
                token=token,
                content_type=request.META.get("CONTENT_TYPE", ""),
                content_length=length,
                stream=request,
            )
        except ApplicationError as exc:
            return JsonResponse(error_body(exc.code, exc.message, exc.details), status=exc.status)
        return JsonResponse({"storageKey": upload.storage_key})

    def http_method_not_allowed(self, request, *args, **kwargs):
        return json_error(METHOD_NOT_ALLOWED, _("Use PUT to upload."), 405)
