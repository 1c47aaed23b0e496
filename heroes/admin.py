from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from infinitestories.admin import DeleteThroughServiceMixin, SystemMadeMixin
from media.selectors import media_url

from .models import Hero, HeroVisualProfile
from .services import hero_delete


class HeroVisualProfileInline(SystemMadeMixin, admin.StackedInline):
    model = HeroVisualProfile
    extra = 0
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Hero)
class HeroAdmin(DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = ["name", "age", "user", "story_count", "has_avatar", "created_at"]
    list_filter = ["age", "created_at"]
    search_fields = ["id", "name", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "stories_link",
        "avatar_preview",
        "avatar_key",
        "avatar_prompt",
        "avatar_generation_id",
        "created_at",
        "updated_at",
    ]
    inlines = [HeroVisualProfileInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("user").annotate(_stories=Count("stories"))
        )

    @admin.display(description="stories", ordering="_stories")
    def story_count(self, hero: Hero) -> int:
        return hero._stories

    @admin.display(description="stories")
    def stories_link(self, hero: Hero) -> str:
        """The hero's stories, in the stories admin (the stories app depends on heroes, not the
        other way round)."""
        url = reverse("admin:stories_story_changelist") + f"?hero__id__exact={hero.pk}"
        return format_html('<a href="{}">{} stories</a>', url, hero._stories)

    @admin.display(description="avatar", boolean=True)
    def has_avatar(self, hero: Hero) -> bool:
        return bool(hero.avatar_key)

    @admin.display(description="avatar")
    def avatar_preview(self, hero: Hero) -> str:
        url = media_url(key=hero.avatar_key)
        if not url:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:160px">', url)

    def delete_with_service(self, obj) -> None:
        hero_delete(hero=obj)


@admin.register(HeroVisualProfile)
class HeroVisualProfileAdmin(SystemMadeMixin, admin.ModelAdmin):
    list_display = ["hero", "hair_color", "eye_color", "art_style", "updated_at"]
    list_filter = ["art_style"]
    search_fields = ["hero__name", "hero__id", "hero__user__email"]
    raw_id_fields = ["hero"]
    readonly_fields = ["id", "created_at", "updated_at"]
    list_select_related = ["hero"]
