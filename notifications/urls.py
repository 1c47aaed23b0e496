from django.urls import path

from . import api

urlpatterns = [
    path("api/devices", api.DevicesView.as_view(), name="device-list"),
    path("api/devices/<str:device_id>", api.DeviceDetailView.as_view(), name="device-detail"),
]
