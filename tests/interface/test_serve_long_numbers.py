"""A JSON whole number past Python's 4,300-digit int conversion limit is refused by name: the
explorer's API says which field and that the number is too long (not "the body must be a JSON
object"), and so does an answer key read by ``json_value``."""

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from symgrad.base.errors import InputError  # noqa: E402
from symgrad.base.validate import json_value  # noqa: E402
from symgrad.interface.serve.app import create_app  # noqa: E402

LOCAL = "http://127.0.0.1"
LONG = "9" * 5000


def test_the_api_names_the_long_number():
    body = '{"program": "y = x", "point": {"x": ' + LONG + "}}"
    with TestClient(create_app(processes=False), base_url=LOCAL) as c:
        r = c.post("/api/program", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400
        message = r.json()["message"]
        assert "point.x" in message and "too long" in message and "5,000 digits" in message
        assert "JSON object" not in message
        ok = c.post("/api/program", content='{"program": "y = x", "point": {"x": ' + "9" * 300 + "}}",
                    headers={"content-type": "application/json"})
        assert ok.status_code != 500 and "too long" not in ok.text


def test_a_json_file_with_a_long_number_is_an_input_error():
    with pytest.raises(InputError) as err:
        json_value('{"blanks": [1, -' + LONG + "]}", "the key k.json")
    assert "blanks[1]" in str(err.value) and "too long" in str(err.value)
