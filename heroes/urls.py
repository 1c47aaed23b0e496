from django.urls import path

from . import api

# POST /api/heroes/{heroId}/avatar is routed by the generation issue (stories/generation_urls.py).
urlpatterns = [
    path("heroes", api.HeroListView.as_view(), name="hero-list"),
    path("heroes/traits", api.HeroTraitsView.as_view(), name="hero-traits"),
    path("heroes/<str:hero_id>", api.HeroDetailView.as_view(), name="hero-detail"),
]
