"""One log line per request, the finished one, with what the started one said."""


def test_a_request_writes_one_line_with_its_user_agent(auth_client, user, log_records):
    auth_client.get("/api/heroes", HTTP_USER_AGENT="InfiniteStories/2.1 iOS")

    lines = [row for row in log_records() if row.get("logger", "").startswith("django_structlog")]

    assert [row["event"] for row in lines] == ["request_finished"]
    assert lines[0]["user_agent"] == "InfiniteStories/2.1 iOS"
    assert lines[0]["request"] == "GET /api/heroes"
    assert lines[0]["user_id"] == user.pk
