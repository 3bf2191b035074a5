import pytest


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, "en-US,en;q=0.9", "zh-hans"),
        (None, "", "zh-hans"),
        ("en", "zh-CN", "en"),
        ("zh-hans", "en-US", "zh-hans"),
        ("fr", "en-US", "zh-hans"),
    ],
)
def test_chinese_first_unless_english_was_chosen(client, settings, cookie, accept, expected):
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == expected


def test_the_api_honours_accept_language(client):
    response = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
