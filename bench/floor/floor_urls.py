from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Me(APIView):
    def get(self, request):
        user = request.user
        return Response({"user": {"id": user.pk, "email": user.email, "name": user.first_name}})


urlpatterns = [path("floor/session", Me.as_view())]
