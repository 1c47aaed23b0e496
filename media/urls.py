from django.urls import path

from . import api

urlpatterns = [
    path("files/upload", api.FileUploadView.as_view(), name="files-upload"),
    path("files/upload/<str:token>", api.LocalUploadView.as_view(), name="files-upload-local"),
]
