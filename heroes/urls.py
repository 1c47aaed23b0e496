from django.urls import path

from . import api

urlpatterns = [
    path("api/heroes", api.HeroListView.as_view(), name="hero-list"),
    path("api/heroes/traits", api.HeroTraitsView.as_view(), name="hero-traits"),
    path("api/heroes/<str:hero_id>", api.HeroDetailView.as_view(), name="hero-detail"),
    path("api/heroes/<str:hero_id>/avatar", api.HeroAvatarView.as_view(), name="hero-avatar"),
]
