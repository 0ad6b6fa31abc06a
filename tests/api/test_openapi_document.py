"""The API on django-ninja: its OpenAPI document is generated from the schemas that validate the
input, and whatever ninja refuses on its own is answered in the API's envelope."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern
from pydantic import BaseModel

from accounts.tokens import api_token_issue
from api import v1
from api.schemas import articles, common, drafts
from articles.models import Article

API = "/api/v1"
JSON = "application/json"
ROOT = Path(__file__).resolve().parents[2]
# Query parameter models are flattened into the operations' parameters, not components.
QUERY_MODELS = {articles.ListQuery, articles.ArticleQuery}


def schema_models() -> list[type[BaseModel]]:
    """Every pydantic schema the API's schema modules define."""
    found = [drafts.Texts]
    for module in (common, drafts, articles):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def document_path(pattern: URLPattern) -> str:
    """A Django route as the document writes it: drafts/<slug:slug>/ is /drafts/{slug}/."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))


@pytest.fixture
def token(author: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {api_token_issue(user=author, name='t').secret}"}


class TestTheDocumentIsGenerated:
    def test_no_hand_written_openapi_is_left(self) -> None:
        """No module of the API writes a `$ref` or a components path by hand."""
        assert not (ROOT / "api" / "openapi.py").exists()
        for source in (ROOT / "api").rglob("*.py"):
            text = source.read_text()
            assert "$ref" not in text and "#/components" not in text, source

    def test_the_served_document_is_the_generated_one(self, client: Client) -> None:
        response = client.get(f"{API}/openapi.json")
        assert response.status_code == 200 and response["Content-Type"] == JSON
        assert response.json() == v1.openapi_document()
        assert response["Cache-Control"] == "public, max-age=300"

    def test_every_route_is_documented_with_exactly_its_methods(self, client: Client) -> None:
        """Each URL of the API is a path of the document; any other method is refused 405."""
        paths = v1.openapi_document()["paths"]
        routes = {document_path(pattern) for pattern in v1.urlpatterns()}
        assert routes == set(paths)
        for path, operations in paths.items():
            concrete = path.replace("{slug}", "some-slug")
            response = client.generic("DELETE", f"{API}{concrete}")
            documented = {method.upper() for method in operations}
            offered = set(response["Allow"].split(", ")) - {"HEAD"}
            assert response.status_code == 405 and offered == documented, path

    def test_every_schema_field_is_documented(self) -> None:
        """The components are the pydantic schemas, field for field."""
        components = v1.openapi_document()["components"]["schemas"]
        for model in schema_models():
            if model in QUERY_MODELS:
                continue
            assert model.__name__ in components, model
            documented = components[model.__name__].get("properties", {})
            assert set(documented) == set(model.model_fields), model

    def test_query_parameters_come_from_their_schemas(self) -> None:
        paths = v1.openapi_document()["paths"]
        for path, model in (
            ("/articles/", articles.ListQuery),
            ("/articles/{slug}/", articles.ArticleQuery),
        ):
            parameters = paths[path]["get"]["parameters"]
            assert {p["name"] for p in parameters if p["in"] == "query"} == set(model.model_fields)

    def test_input_rules_are_stated_in_the_document(self) -> None:
        """The limits the schemas enforce are the ones the document states."""
        schemas = v1.openapi_document()["components"]["schemas"]
        create = schemas["DraftCreate"]
        assert create["additionalProperties"] is False and set(create["required"]) == {
            "slug",
            "title",
        }
        assert create["properties"]["slug"]["pattern"] == common.SLUG_PATTERN
        assert create["properties"]["title"]["maxLength"] == common.TITLE_MAX_LENGTH
        assert create["properties"]["related"]["maxItems"] == drafts.MAX_RELATED
        assert create["properties"]["sources"]["maxItems"] == drafts.MAX_SOURCES
        assert schemas["DraftUpdate"]["properties"]["version"]["minimum"] == 1
        assert schemas["Texts"]["additionalProperties"] is False


@pytest.mark.django_db
class TestDuplicateKeys:
    @pytest.mark.parametrize(
        "raw",
        [
            b'{"slug": "a", "title": "T", "slug": "b"}',
            b'{"slug": "a", "title": "T", "texts": {"patient": "x", "patient": "y"}}',
        ],
    )
    def test_duplicate_keys_are_refused_400_and_nothing_is_written(
        self, client: Client, token: dict[str, str], raw: bytes
    ) -> None:
        """A body with a repeated key means whatever the parser keeps: refused, at any depth."""
        response = client.generic("POST", f"{API}/drafts/", raw, content_type=JSON, headers=token)
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_json"
        assert "duplicate key" in response.json()["message"]
        assert not Article.objects.exists()


@pytest.mark.django_db
class TestNinjasRefusalsInTheEnvelope:
    def assert_envelope(self, response: Any, status: int, error: str) -> dict[str, Any]:
        body = response.json()
        assert response.status_code == status and response["Content-Type"] == JSON
        assert body["error"] == error and body["message"] and "detail" not in body
        return body

    def test_a_schema_validation_error_is_422_invalid_with_paths_and_codes(
        self, client: Client, token: dict[str, str]
    ) -> None:
        """Pydantic's errors come back as the API's field errors, with the API's codes."""
        body = {
            "slug": "not a slug!",
            "title": "T" * 301,
            "summary": 7,
            "texts": {"martian": "Hi"},
            "related": ["x", "x"],
            "version": 1,
            "state": "approved",
        }
        response = client.post(f"{API}/drafts/", body, content_type=JSON, headers=token)
        data = self.assert_envelope(response, 422, "invalid")
        assert set(data) == {"error", "message", "errors"}
        codes = {error["path"]: error["code"] for error in data["errors"]}
        assert codes == {
            "slug": "invalid_slug",
            "title": "max_length",
            "summary": "type",
            "texts.martian": "unknown_audience",
            # Whether "x" names an article is asked once the body is valid, as this user.
            "related[1]": "duplicate",
            "version": "not_allowed",
            "state": "read_only",
        }
        assert all(set(error) == {"path", "message", "code"} for error in data["errors"])

    def test_a_missing_token_is_the_envelopes_401(self, client: Client) -> None:
        response = client.post(f"{API}/drafts/", {}, content_type=JSON)
        self.assert_envelope(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Bearer"

    def test_a_method_ninja_refuses_is_the_envelopes_405(self, client: Client) -> None:
        response = client.delete(f"{API}/drafts/")
        body = self.assert_envelope(response, 405, "method_not_allowed")
        assert body["allowed"] == ["POST"] and response["Allow"] == "POST"

    def test_an_empty_body_is_400(self, client: Client, token: dict[str, str]) -> None:
        response = client.generic("POST", f"{API}/drafts/", b"", content_type=JSON, headers=token)
        self.assert_envelope(response, 400, "malformed_json")

    @pytest.mark.parametrize(
        ("raw", "content_type", "status", "error"),
        [
            (b"[1]", JSON, 400, "not_an_object"),
            (b'{"slug": NaN}', JSON, 400, "malformed_json"),
            (b"slug=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
            (b"{}", "application/json; charset=latin-1", 415, "unsupported_media_type"),
        ],
    )
    def test_what_the_parser_refuses_keeps_its_status_and_code(
        self,
        client: Client,
        token: dict[str, str],
        raw: bytes,
        content_type: str,
        status: int,
        error: str,
    ) -> None:
        """Ninja wraps the parser's refusals in its own 400; they come back as raised."""
        response = client.generic(
            "POST", f"{API}/drafts/", raw, content_type=content_type, headers=token
        )
        self.assert_envelope(response, status, error)

    def test_a_body_declared_too_large_is_refused_before_any_query(
        self, client: Client, token: dict[str, str], django_assert_num_queries: Any
    ) -> None:
        """Work per request stays bounded: not even the token is looked up for an oversized body."""
        raw = b"{" + b" " * (1024 * 1024) + b"}"
        with django_assert_num_queries(0):
            response = client.generic(
                "POST", f"{API}/drafts/", raw, content_type=JSON, headers=token
            )
        assert self.assert_envelope(response, 413, "too_large")["max_bytes"] == 1024 * 1024

    def test_an_unknown_audience_is_400_and_a_bad_page_404_not_422(self, client: Client) -> None:
        """Query parameters checked by their schema keep the answers they always had."""
        self.assert_envelope(
            client.get(f"{API}/articles/x/?audience=martian"), 400, "unknown_audience"
        )
        self.assert_envelope(client.get(f"{API}/articles/?page=two"), 404, "invalid_page")

    def test_errors_are_not_stored_by_caches(self, client: Client) -> None:
        response = client.get(f"{API}/articles/?page=0")
        assert response["Cache-Control"] == "no-store"
        assert json.loads(response.content)["error"] == "invalid_page"
