"""The devices endpoints: the phones that get the family's pushes."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from infinitestories.api.schema import error_responses
from infinitestories.api.views import OwnedAPIView

from . import services
from .errors import DEVICE_NOT_FOUND
from .models import Device
from .serializers import (
    DeviceEnvelopeSerializer,
    DeviceInputSerializer,
    DeviceListEnvelopeSerializer,
    DeviceOutputSerializer,
)


class DevicesView(OwnedAPIView):
    """GET /api/devices lists the user's devices; POST registers one."""

    rate_limits = {"POST": ("device_register",)}

    @extend_schema(
        summary="List devices",
        description="The user's phones that get pushes, most recently used first.",
        operation_id="devices_list",
        responses={200: DeviceListEnvelopeSerializer, **error_responses()},
    )
    def get(self, request):
        rows = self.owned(Device.objects.all()).order_by("-last_used_at")
        return Response({"devices": DeviceOutputSerializer(rows, many=True).data})

    @extend_schema(
        summary="Register a device for pushes",
        description=(
            "Send the APNs device token each time the app starts (Apple may change it). 201 for "
            "a new token; 200 for one already registered, which moves to this account if another "
            "had it. `environment` is `sandbox` for a development build. Pushes tell when a "
            "story, narration or pictures are ready or could not be made (docs/api-guide.md)."
        ),
        request=DeviceInputSerializer,
        responses={
            200: DeviceEnvelopeSerializer,
            201: DeviceEnvelopeSerializer,
            **error_responses(400),
        },
    )
    def post(self, request):
        data = DeviceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, created = services.device_register(user=request.user, **data.validated_data)
        return Response(
            {"device": DeviceOutputSerializer(device).data},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DeviceDetailView(OwnedAPIView):
    """DELETE /api/devices/{deviceId}."""

    rate_limits = {"DELETE": ("delete",)}

    @extend_schema(
        summary="Forget a device",
        description="It gets no more pushes. Another user's device is 404.",
        request=None,
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, device_id: str):
        device = self.get_owned(Device.objects.all(), device_id, DEVICE_NOT_FOUND)
        services.device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)
