from django.urls import path

from . import api

urlpatterns = [
    path("api/files/upload", api.FileUploadView.as_view(), name="files-upload"),
    path("api/files/upload/<str:token>", api.LocalUploadView.as_view(), name="files-upload-local"),
]
