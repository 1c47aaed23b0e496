

SIGNUP = {"email": "test@example.com", "password": "SecurePass123!", "name": "Test User"}


def test_signup_answers_201_with_user_and_usable_session(client):
    response = client.post("/api/auth/signup", SIGNUP, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "session"}
    assert set(body["user"]) == {"id", "email", "name"}
    assert body["user"]["email"] == "test@example.com"
    assert body["user"]["id"].startswith("user_")
    token = body["session"]["token"]
    session = client.get("/api/auth/session", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert session.status_code == 200
    assert session.json()["user"]["email"] == "test@example.com"
