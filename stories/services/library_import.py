"""Bringing a family's library in (POST /api/import): heroes, custom events and stories the app
already holds, with their narrations and pictures, made the family's own here without any AI
work. No AI call is made (nothing is written, narrated, drawn or moderated), so no story of the
monthly quota is taken and no parental consent is needed; what AI work later uses an imported
hero or event is moderated then, as for any other.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from heroes.models import Hero
from infinitestories.ai import timings
from infinitestories.api.errors import VALIDATION_ERROR, ApplicationError
from media.errors import UPLOAD_NOT_FOUND
from media.models import MB, FileUpload
from media.services import Adopted, media_delete, upload_adopt, upload_claim

from ..errors import IMPORT_STORAGE_FULL
from ..models import CustomStoryEvent, ImportedItem, NarrationTimings, Story, StoryIllustration

Kind = ImportedItem.Kind
# The request's lists, each with the kind of item it holds.
LISTS = {"heroes": Kind.HERO, "custom_events": Kind.CUSTOM_EVENT, "stories": Kind.STORY}


@dataclass
class ImportResult:
    """clientId -> server id per list, in the request's order; `created` when anything is new."""

    heroes: list[dict] = field(default_factory=list)
    custom_events: list[dict] = field(default_factory=list)
    stories: list[dict] = field(default_factory=list)
    created: bool = False


@dataclass
class _File:
    """A storage key an item of the batch names, and where it names it."""

    list_name: str
    index: int
    client_id: str
    field: str
    category: str
    key: str
    entity_id: str
    target: dict
    adopted: Adopted | None = None


class _Problems:
    """What is wrong with the batch, each problem naming its item by clientId and field."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, list_name: str, index: int, client_id: Any, field_path: str, message) -> None:
        self.items.append(
            {
                "list": camel(list_name),
                "index": index,
                "client_id": client_id if isinstance(client_id, str) else None,
                "field": field_path,
                "message": str(message),
            }
        )

    def raise_if_any(self) -> None:
        if self.items:
            raise import_invalid(self.items)


def import_invalid(items: list[dict]) -> ApplicationError:
    return ApplicationError(
        VALIDATION_ERROR,
        _("Some items cannot be imported; nothing was imported."),
        details={"items": items},
    )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def import_errors_from_validation(*, detail: Any, data: Any) -> ApplicationError | None:
    """DRF's errors for the batch (per list, per item index) as problems naming each item by
    clientId and field path; None when the errors are not about items (a list too long, a body
    that is not an object), which the caller answers as DRF's own."""
    if not isinstance(detail, dict):
        return None
    problems = _Problems()
    for list_name in LISTS:
        errors = detail.get(list_name)
        if errors is None:
            continue
        # DRF gives a list's item errors as {index: errors} (or a list with {} for good items).
        if isinstance(errors, list) and all(isinstance(e, dict) for e in errors):
            errors = dict(enumerate(errors))
        if not isinstance(errors, dict) or not all(isinstance(i, int) for i in errors):
            return None  # about the list itself (too long, not a list): DRF's own answer
        # The request's data as parsed: keys in snake_case already.
        raw = data.get(list_name) if isinstance(data, dict) else None
        for index, item_errors in sorted(errors.items()):
            item = raw[index] if isinstance(raw, list) and index < len(raw) else None
            client_id = item.get("client_id") if isinstance(item, dict) else None
            for path, message in _flatten(item_errors):
                problems.add(list_name, index, client_id, path, message)
    if len(detail) > sum(1 for name in LISTS if name in detail):
        return None
    return import_invalid(problems.items) if problems.items else None


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(errors, dict):
        found = []
        for name, nested in errors.items():
            if isinstance(name, int):  # an item of a nested list
                path = f"{prefix}[{name}]"
            elif name == "non_field_errors":
                path = prefix
            else:
                path = f"{prefix}.{camel(name)}" if prefix else camel(name)
            found += _flatten(nested, path)
        return found
    if isinstance(errors, list):
        if all(not isinstance(e, dict | list) for e in errors):
            return [(prefix, " ".join(str(e) for e in errors))] if errors else []
        found = []
        for index, nested in enumerate(errors):
            found += _flatten(nested, f"{prefix}[{index}]")
        return found
    return [(prefix, str(errors))]


def family_import_bytes(*, user) -> int:
    """Bytes the family brought in through uploads for heroes, custom events and stories it
    still has (IMPORT_STORAGE_LIMIT_MB caps them): each adopted upload records its copy's size."""
    owned = (
        Q(entity_id__in=Hero.objects.filter(user=user).values("id"))
        | Q(entity_id__in=CustomStoryEvent.objects.filter(user=user).values("id"))
        | Q(entity_id__in=Story.objects.filter(user=user).values("id"))
    )
    total = FileUpload.objects.filter(owned, user=user).aggregate(total=Sum("file_size"))
    return total["total"] or 0


def library_import(
    *, user, heroes: list[dict], custom_events: list[dict], stories: list[dict]
) -> ImportResult:
    """Make a batch of the family's library theirs, all or nothing.

    1. One import of a family at a time (its user row is locked until commit), so a batch sent
       twice at once is imported once.
    2. Items whose clientId this family imported before are answered with their id and left as
       they are; only the new ones are checked and written.
    3. Every new item is checked before a file is touched: clientIds once per list, references
       to heroes and custom events (of this batch, of an earlier import, or the family's own by
       server id), each storage key the family's own unused, stored upload of the right
       category and named once in the batch. Any problem: 400 VALIDATION_ERROR naming every bad
       item by clientId and field, nothing written. Then the family's storage ceiling (400
       IMPORT_STORAGE_FULL).
    4. Each file is adopted (media.services.upload_adopt: checked by what it is, copied; a file
       that is not what it should be is deleted at once). Any refusal: the copies made are
       deleted and 400 VALIDATION_ERROR names the items; the batch's other uploads stay unused
       (the daily purge of unused uploads removes them unless a later import uses them).
    5. The rows are written as the app had them (dates, favourites, listens), the narration with
       its measured duration and read-along timings estimated from the text, the pictures in
       timestamp order, and each new item's clientId recorded.
    """
    batch = {"heroes": heroes, "custom_events": custom_events, "stories": stories}
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).exists()
        known = _imported_before(user=user, batch=batch)
        problems = _Problems()
        _check_client_ids(batch=batch, problems=problems)
        new = {
            name: [
                (i, item) for i, item in enumerate(items) if item["client_id"] not in known[name]
            ]
            for name, items in batch.items()
        }
        # A story may name a hero or event of an earlier batch that this one does not carry.
        named = _imported_named(user=user, stories=stories)
        hero_ids = _resolve(
            user=user, model=Hero, new=new["heroes"], known=named["heroes"] | known["heroes"]
        )
        event_ids = _resolve(
            user=user,
            model=CustomStoryEvent,
            new=new["custom_events"],
            known=named["custom_events"] | known["custom_events"],
        )
        plans = [
            _plan(index=i, item=item, hero_ids=hero_ids, event_ids=event_ids, problems=problems)
            for i, item in new["stories"]
        ]
        heroes_by_id = {
            hero.pk: hero
            for hero in Hero.objects.filter(user=user, pk__in={p.hero_id for p in plans})
        }
        events_by_id = {
            event.pk: event
            for event in CustomStoryEvent.objects.filter(
                user=user, pk__in={p.event_id for p in plans}
            )
        }
        for plan in plans:
            _check_story_refs(
                plan=plan, heroes_by_id=heroes_by_id, events_by_id=events_by_id, problems=problems
            )
        files = _files(heroes=new["heroes"], custom_events=new["custom_events"], plans=plans)
        _claim(user=user, files=files, problems=problems)
        problems.raise_if_any()
        _check_ceiling(user=user, files=files)
        try:
            _adopt(user=user, files=files, problems=problems)
            problems.raise_if_any()
            _write(
                user=user,
                heroes=new["heroes"],
                custom_events=new["custom_events"],
                plans=plans,
                heroes_by_id=heroes_by_id,
                events_by_id=events_by_id,
            )
        except BaseException:
            for file in files:  # nothing will reference the copies
                if file.adopted is not None:
                    media_delete(key=file.adopted.key)
            raise
    result = ImportResult(created=any(new.values()))
    for name, items in batch.items():
        getattr(result, name).extend(
            {
                "client_id": item["client_id"],
                "id": known[name].get(item["client_id"], item.get("_id")),
            }
            for item in items
        )
    return result


def _imported_before(*, user, batch: dict) -> dict[str, dict[str, str]]:
    """list -> {clientId: server id} of this batch's items this family imported before."""
    known: dict[str, dict[str, str]] = {}
    for name, kind in LISTS.items():
        client_ids = [item["client_id"] for item in batch[name]]
        rows = ImportedItem.objects.filter(user=user, kind=kind, client_id__in=client_ids)
        known[name] = dict(rows.values_list("client_id", "object_id"))
    return known


def _imported_named(*, user, stories: list[dict]) -> dict[str, dict[str, str]]:
    """list -> {clientId: server id} of the heroes and events the stories name by clientId
    that this family imported before (in an earlier batch)."""
    named = {
        "heroes": (Kind.HERO, "hero_client_id"),
        "custom_events": (Kind.CUSTOM_EVENT, "custom_event_client_id"),
    }
    found: dict[str, dict[str, str]] = {}
    for name, (kind, field_name) in named.items():
        client_ids = {story[field_name] for story in stories if story.get(field_name)}
        rows = ImportedItem.objects.filter(user=user, kind=kind, client_id__in=client_ids)
        found[name] = dict(rows.values_list("client_id", "object_id"))
    return found


def _check_client_ids(*, batch: dict, problems: _Problems) -> None:
    for name, items in batch.items():
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item["client_id"] in seen:
                problems.add(
                    name, index, item["client_id"], "clientId", _("Used twice in this import.")
                )
            seen.add(item["client_id"])


def _resolve(*, user, model, new: list, known: dict[str, str]) -> dict[str, str]:
    """clientId -> server id of the heroes (or events) a story may name by clientId: this batch's
    new ones (their ids are made now) and those imported before that still exist."""
    still_there = set(
        model.objects.filter(user=user, pk__in=known.values()).values_list("pk", flat=True)
    )
    ids = {client_id: pk for client_id, pk in known.items() if pk in still_there}
    for _index, item in new:
        item["_id"] = model._meta.get_field("id").get_default()
        ids[item["client_id"]] = item["_id"]
    return ids


@dataclass
class _StoryPlan:
    index: int
    item: dict
    hero_id: str | None = None
    event_id: str | None = None


def _plan(
    *, index: int, item: dict, hero_ids: dict, event_ids: dict, problems: _Problems
) -> _StoryPlan:
    plan = _StoryPlan(index=index, item=item)
    item["_id"] = Story._meta.get_field("id").get_default()
    if "hero_client_id" in item:
        plan.hero_id = hero_ids.get(item["hero_client_id"])
        if plan.hero_id is None:
            problems.add("stories", index, item["client_id"], "heroClientId", _("Unknown hero."))
    elif "hero_id" in item:
        plan.hero_id = item["hero_id"]
    if "custom_event_client_id" in item:
        plan.event_id = event_ids.get(item["custom_event_client_id"])
        if plan.event_id is None:
            problems.add(
                "stories",
                index,
                item["client_id"],
                "customEventClientId",
                _("Unknown custom event."),
            )
    elif "custom_event_id" in item:
        plan.event_id = item["custom_event_id"]
    return plan


def _check_story_refs(
    *, plan: _StoryPlan, heroes_by_id: dict, events_by_id: dict, problems: _Problems
) -> None:
    """A story naming a hero or event by server id must name one of the family's own."""
    item = plan.item
    if "hero_id" in item and item["hero_id"] not in heroes_by_id:
        problems.add("stories", plan.index, item["client_id"], "heroId", _("Unknown hero."))
    if "custom_event_id" in item and item["custom_event_id"] not in events_by_id:
        problems.add(
            "stories", plan.index, item["client_id"], "customEventId", _("Unknown custom event.")
        )


def _files(*, heroes: list, custom_events: list, plans: list[_StoryPlan]) -> list[_File]:
    """Every storage key the new items name, with the item and field naming it; each file's
    checked copy is put back into its item (`target[_adopted]`) once adopted."""
    category = FileUpload.Category
    files = []
    for index, item in heroes:
        if item.get("avatar_storage_key"):
            files.append(
                _File(
                    "heroes",
                    index,
                    item["client_id"],
                    "avatarStorageKey",
                    category.AVATAR,
                    item["avatar_storage_key"],
                    item["_id"],
                    item,
                )
            )
    for index, item in custom_events:
        if item.get("pictogram_storage_key"):
            files.append(
                _File(
                    "custom_events",
                    index,
                    item["client_id"],
                    "pictogramStorageKey",
                    category.PICTOGRAM,
                    item["pictogram_storage_key"],
                    item["_id"],
                    item,
                )
            )
    for plan in plans:
        item = plan.item
        if item["audio"]:
            files.append(
                _File(
                    "stories",
                    plan.index,
                    item["client_id"],
                    "audio.storageKey",
                    category.AUDIO,
                    item["audio"]["storage_key"],
                    item["_id"],
                    item["audio"],
                )
            )
        for n, picture in enumerate(item["illustrations"]):
            files.append(
                _File(
                    "stories",
                    plan.index,
                    item["client_id"],
                    f"illustrations[{n}].storageKey",
                    category.ILLUSTRATION,
                    picture["storage_key"],
                    item["_id"],
                    picture,
                )
            )
    return files


def _claim(*, user, files: list[_File], problems: _Problems) -> None:
    """Each key the family's own unused, stored upload of the right category, named once."""
    seen: set[str] = set()
    for file in files:
        if file.key in seen:
            problems.add(
                file.list_name,
                file.index,
                file.client_id,
                file.field,
                _("This storage key is used twice in this import."),
            )
            continue
        seen.add(file.key)
        try:
            upload_claim(user=user, storage_key=file.key, category=file.category)
        except ApplicationError as refusal:
            message = refusal.message
            if refusal.code == UPLOAD_NOT_FOUND:
                message = _("None of your uploads of category %(category)s has this key.") % {
                    "category": file.category
                }
            problems.add(file.list_name, file.index, file.client_id, file.field, message)


def _check_ceiling(*, user, files: list[_File]) -> None:
    """The family's imported files stay under IMPORT_STORAGE_LIMIT_MB (sizes as declared, which
    the stored files were checked not to exceed)."""
    limit = settings.IMPORT_STORAGE_LIMIT_MB * MB
    incoming = (
        FileUpload.objects.filter(
            user=user, storage_key__in=[file.key for file in files]
        ).aggregate(total=Sum("file_size"))["total"]
        or 0
    )
    used = family_import_bytes(user=user)
    if used + incoming > limit:
        raise ApplicationError(
            IMPORT_STORAGE_FULL,
            _("This import would take your library past its %(limit)d MB of imported files.")
            % {"limit": settings.IMPORT_STORAGE_LIMIT_MB},
            details={"limit_bytes": limit, "used_bytes": used, "batch_bytes": incoming},
        )


def _adopt(*, user, files: list[_File], problems: _Problems) -> None:
    """Check and copy each file; a refused file is deleted by upload_adopt and named here."""
    for file in files:
        try:
            file.adopted = upload_adopt(
                user=user, storage_key=file.key, category=file.category, entity_id=file.entity_id
            )
        except ApplicationError as refusal:
            if refusal.status != 400:  # not the file's fault (pictures busy): the app retries
                raise
            problems.add(file.list_name, file.index, file.client_id, file.field, refusal.message)
            continue
        file.target["_adopted"] = file.adopted


def _write(
    *,
    user,
    heroes: list,
    custom_events: list,
    plans: list[_StoryPlan],
    heroes_by_id: dict,
    events_by_id: dict,
) -> None:
    records = []
    for _index, item in heroes:
        avatar = item.get("_adopted")
        hero = Hero(
            id=item["_id"],
            user=user,
            **{name: item[name] for name in Hero.FAMILY_FIELDS if name in item},
            avatar_key=avatar.key if avatar else "",
        )
        hero.save(force_insert=True)
        _keep_created_at(model=Hero, pk=hero.pk, moment=item.get("created_at"))
        heroes_by_id[hero.pk] = hero
        records.append(
            ImportedItem(user=user, kind=Kind.HERO, client_id=item["client_id"], object_id=hero.pk)
        )
    for _index, item in custom_events:
        pictogram = item.get("_adopted")
        event = CustomStoryEvent(
            id=item["_id"],
            user=user,
            **{name: item[name] for name in CustomStoryEvent.FAMILY_FIELDS if name in item},
            pictogram_key=pictogram.key if pictogram else "",
        )
        event.save(force_insert=True)
        _keep_created_at(model=CustomStoryEvent, pk=event.pk, moment=item.get("created_at"))
        events_by_id[event.pk] = event
        records.append(
            ImportedItem(
                user=user, kind=Kind.CUSTOM_EVENT, client_id=item["client_id"], object_id=event.pk
            )
        )
    for plan in plans:
        story = _story_write(
            user=user,
            item=plan.item,
            hero=heroes_by_id.get(plan.hero_id),
            event=events_by_id.get(plan.event_id),
        )
        records.append(
            ImportedItem(
                user=user, kind=Kind.STORY, client_id=plan.item["client_id"], object_id=story.pk
            )
        )
    ImportedItem.objects.bulk_create(records)


def _story_write(*, user, item: dict, hero: Hero | None, event: CustomStoryEvent | None) -> Story:
    """One story as the app had it; its narration and pictures as they were adopted."""
    created_at = item.get("created_at") or timezone.now()
    audio = item["audio"]["_adopted"] if item["audio"] else None
    story = Story(
        id=item["_id"],
        user=user,
        hero=hero,
        hero_name=hero.name if hero else "",
        title=item["title"],
        content=item["content"],
        language=item["language"],
        event_type=item["event_type"] or "",
        custom_event=event,
        is_favorite=item["is_favorite"],
        listen_count=item["listen_count"],
        last_listened_at=item["last_listened_at"],
    )
    if audio is not None:
        story.audio_key = audio.key
        story.audio_generated = True
        story.audio_duration = audio.duration
        story.audio_generated_at = created_at
        story.voice_type = item["audio"]["voice"]
    story.save(force_insert=True)
    _keep_created_at(model=Story, pk=story.pk, moment=item.get("created_at"))
    if audio is not None:
        words = timings.words_estimated(
            text=f"{story.title}.\n\n{story.content}", duration=audio.duration
        )
        NarrationTimings.objects.create(
            story=story,
            audio_key=audio.key,
            source=NarrationTimings.Source.ESTIMATED,
            words=[word.as_dict() for word in words],
        )
    pictures = sorted(item["illustrations"], key=lambda picture: picture["timestamp"])
    rows = []
    for order, picture in enumerate(pictures):
        end = pictures[order + 1]["timestamp"] if order + 1 < len(pictures) else None
        if end is None and audio is not None:
            end = audio.duration
        start = picture["timestamp"]
        rows.append(
            StoryIllustration(
                story=story,
                image_key=picture["_adopted"].key,
                timestamp=start,
                duration=round(max(0.0, end - start), 2) if end is not None else None,
                display_order=order,
                generation_status=StoryIllustration.Status.COMPLETED,
            )
        )
    StoryIllustration.objects.bulk_create(rows)
    if event is not None:  # as for a story written from it: one more use, last used then
        CustomStoryEvent.objects.filter(pk=event.pk).update(
            usage_count=F("usage_count") + 1,
            last_used_at=Greatest(Coalesce("last_used_at", Value(created_at)), Value(created_at)),
        )
    return story


def _keep_created_at(*, model, pk: str, moment) -> None:
    """The app's creation date (auto_now_add set the import's moment on insert)."""
    if moment is not None:
        model.objects.filter(pk=pk).update(created_at=moment)
