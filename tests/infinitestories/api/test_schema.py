"""The OpenAPI schema generates without a warning, validates, and documents the real shapes.

Serializers are snake_case; the camelCase postprocessing hook must turn every property into the
camelCase the API sends and reads.
"""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("openapi") / "schema.yaml"
    GENERATOR_STATS.reset()  # warnings left over from other tests would fail --fail-on-warn
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def resolve(schema: dict, node: dict) -> dict:
    """Follow $ref (also inside a single-item allOf, as spectacular writes nullable refs)."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif len(node.get("allOf", [])) == 1:
            node = node["allOf"][0]
        else:
            return node


def body(schema: dict, path: str, method: str) -> dict:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return resolve(schema, content["schema"])


def answer(schema: dict, path: str, method: str, status: str) -> dict:
    response = schema["paths"][path][method]["responses"][status]
    return resolve(schema, response["content"]["application/json"]["schema"])


def query_names(schema: dict, path: str, method: str) -> set[str]:
    parameters = schema["paths"][path][method].get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


def test_every_component_property_is_camel_case(schema):
    for name, component in schema["components"]["schemas"].items():
        for prop in component.get("properties", {}):
            assert "_" not in prop, f"{name}.{prop}"


def test_hero_create_documents_its_body_and_201(schema):
    hero_input = body(schema, "/api/heroes", "post")
    assert {"name", "age", "traits", "appearance", "abilities"} <= set(hero_input["properties"])
    assert {"name", "age", "traits", "appearance"} <= set(hero_input["required"])
    responses = schema["paths"]["/api/heroes"]["post"]["responses"]
    assert "201" in responses and "200" not in responses
    hero = resolve(schema, answer(schema, "/api/heroes", "post", "201")["properties"]["hero"])
    assert {"avatarUrl", "visualProfile", "createdAt"} <= set(hero["properties"])


def test_hero_list_documents_query_parameters_and_pagination(schema):
    assert {"sortBy", "sortOrder", "limit", "offset"} <= query_names(schema, "/api/heroes", "get")
    page = answer(schema, "/api/heroes", "get", "200")
    assert set(page["properties"]) == {"heroes", "pagination"}
    row = resolve(schema, page["properties"]["heroes"]["items"])
    assert "storyCount" in row["properties"]
    pagination = resolve(schema, page["properties"]["pagination"])
    assert set(pagination["properties"]) == {"total", "limit", "offset"}
    detail = "/api/heroes/{hero_id}"
    assert {"includeStories", "storyLimit"} <= query_names(schema, detail, "get")


def test_story_list_answers_rows_with_hero_name_and_illustration_count(schema):
    assert {"sortBy", "heroId", "isFavorite", "limit", "offset"} <= query_names(
        schema, "/api/stories", "get"
    )
    page = answer(schema, "/api/stories", "get", "200")
    row = resolve(schema, page["properties"]["stories"]["items"])
    assert {"heroName", "illustrationCount", "listenCount", "audioUrl"} <= set(row["properties"])
    assert "patch" in schema["paths"]["/api/stories/{story_id}"]


def test_story_create_is_201_and_audio_and_illustration_requests_are_202(schema):
    assert "201" in schema["paths"]["/api/stories"]["post"]["responses"]
    created = answer(schema, "/api/stories", "post", "201")
    assert set(created["properties"]) == {"story", "jobs"}
    assert {"heroId", "eventType", "generateAudio"} <= set(
        body(schema, "/api/stories", "post")["properties"]
    )
    for path in ("/api/stories/{story_id}/audio", "/api/stories/{story_id}/illustrations"):
        responses = schema["paths"][path]["post"]["responses"]
        assert "202" in responses and "200" not in responses, path
        job = resolve(schema, answer(schema, path, "post", "202")["properties"]["job"])
        assert {"id", "status", "estimatedCompletionTime"} <= set(job["properties"])


def test_errors_use_the_shared_envelope(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "code", "details"}
    for status in ("400", "401", "404", "429"):
        assert answer(schema, "/api/heroes/{hero_id}", "patch", status) == error, status


def test_delete_answers_success(schema):
    for path in ("/api/custom-events/{event_id}", "/api/user/account"):
        assert answer(schema, path, "delete", "200")["properties"] == {
            "success": {"type": "boolean"}
        }, path


def test_audio_timings_document_words_source_and_404(schema):
    path = "/api/stories/{story_id}/audio/timings"
    timings = answer(schema, path, "get", "200")
    assert set(timings["properties"]) == {"words", "source"}
    word = resolve(schema, timings["properties"]["words"]["items"])
    assert set(word["properties"]) == {"text", "start", "end"}
    source = resolve(schema, timings["properties"]["source"])
    assert source["enum"] == ["vendor", "transcription", "estimated"]
    assert {"304", "401", "404"} <= set(schema["paths"][path]["get"]["responses"])


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_is_explained_for_app_developers_not_by_our_docstrings(schema):
    from django.urls import get_resolver

    docstrings = set()
    for pattern in get_resolver().url_patterns:
        for view in getattr(pattern, "url_patterns", [pattern]):
            cls = getattr(getattr(view, "callback", None), "cls", None)
            for method in ("get", "post", "patch", "put", "delete"):
                doc = getattr(getattr(cls, method, None), "__doc__", None)
                docstrings |= {d.strip() for d in (cls and cls.__doc__, doc) if d}

    for name, operation in _operations(schema):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert 3 <= len(summary) <= 40, name
        assert len(description) >= 20, name
        assert not any(doc in description for doc in docstrings), name


def test_the_health_endpoints_are_documented_with_their_503(schema):
    health = answer(schema, "/api/health", "get", "200")
    checks = resolve(schema, health["properties"]["checks"])
    assert {"database", "storage", "celery"} <= set(checks["required"])
    assert resolve(schema, checks["properties"]["celery"])["enum"] == ["ok", "unavailable", "eager"]
    ready = answer(schema, "/api/health/ready", "get", "200")
    queue = resolve(schema, ready["properties"]["queue"])
    assert set(queue["properties"]) == {"queued", "oldestQueuedSeconds"}
    for path in ("/api/health", "/api/health/ready"):
        assert answer(schema, path, "get", "503") == schema["components"]["schemas"]["Error"]
        assert schema["paths"][path]["get"]["security"] == [{}], path


def test_openapi_schema_is_served_in_camel_case(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert "/api/auth/signup" in schema["paths"]
