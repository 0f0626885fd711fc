"""The request id: taken from X-Request-ID (or made) and sent back on every response."""


def test_every_response_carries_a_request_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-42")
    assert response["X-Request-ID"] == "abc-42"
