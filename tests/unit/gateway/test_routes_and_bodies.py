"""Templates, route precedence and raw (HttpBody) bodies, on a synthetic service
so these work before any real proto declares an upload or a download."""

from __future__ import annotations

import pytest
from google.api import annotations_pb2, httpbody_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2

from gateway.errors import HttpError
from gateway.openapi import build_openapi
from gateway.routes import Router, compile_template, routes_of_service
from gateway.transcode import RawBody, build_request, render_response, takes_raw_body


def _synthetic_service():
    pool = descriptor_pool.Default()
    try:
        return pool.FindServiceByName("gwtest.v1.Things")
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(
        name="gwtest/v1/things.proto",
        package="gwtest.v1",
        syntax="proto3",
        dependency=[
            "google/api/httpbody.proto",
            "google/api/annotations.proto",
            "google/protobuf/empty.proto",
        ],
    )
    upload = file.message_type.add(name="ImportRequest")
    upload.field.add(name="name", number=1, type=9, label=1)
    upload.field.add(name="file", number=2, type=11, label=1, type_name=".google.api.HttpBody")
    get = file.message_type.add(name="GetThingRequest")
    get.field.add(name="id", number=1, type=9, label=1)
    get.field.add(name="tags", number=2, type=9, label=3)
    get.field.add(name="verbose", number=3, type=8, label=1)
    service = file.service.add(name="Things")
    method = service.method.add(
        name="ImportThings",
        input_type=".gwtest.v1.ImportRequest",
        output_type=".google.protobuf.Empty",
    )
    rule = method.options.Extensions[annotations_pb2.http]
    rule.post = "/v1/{name=shelves/*}/things:import"
    rule.body = "file"
    method = service.method.add(
        name="GetPdf", input_type=".gwtest.v1.GetThingRequest", output_type=".google.api.HttpBody"
    )
    rule = method.options.Extensions[annotations_pb2.http]
    rule.get = "/v1/things/{id}/pdf"
    rule.additional_bindings.add(get="/v1/things/{id}:pdf")
    method = service.method.add(
        name="GetTemplate",
        input_type=".gwtest.v1.GetThingRequest",
        output_type=".google.api.HttpBody",
    )
    method.options.Extensions[annotations_pb2.http].get = "/v1/things/template.csv"
    # Imported for their descriptors to be in the pool first.
    assert httpbody_pb2 and empty_pb2
    pool.Add(file)
    return pool.FindServiceByName("gwtest.v1.Things")


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(routes_of_service(_synthetic_service(), "test"))


def test_compile_nested_variable_and_verb() -> None:
    regex, variables, verb, literals = compile_template("/v1/{name=shelves/*}/things:import")
    assert variables == ("name",)
    assert verb == "import"
    assert literals == 2
    assert regex.fullmatch("/v1/shelves/s1/things:import").groups() == ("shelves/s1",)
    assert regex.fullmatch("/v1/books/s1/things:import") is None


def test_literal_beats_variable_and_bindings(router: Router) -> None:
    match = router.resolve("GET", "/v1/things/template.csv")
    assert not isinstance(match, list)
    assert match.route.method.name == "GetTemplate"
    match = router.resolve("GET", "/v1/things/t1:pdf")
    assert not isinstance(match, list)
    assert (match.route.method.name, match.variables) == ("GetPdf", {"id": "t1"})
    assert router.resolve("POST", "/v1/things/t1/pdf") == ["GET"]


def test_raw_upload_into_body_field(router: Router) -> None:
    match = router.resolve("POST", "/v1/shelves/s%201/things:import")
    assert not isinstance(match, list)
    assert takes_raw_body(match.route)
    body = RawBody(b"a,b\n1,2\n", "text/csv")
    request = build_request(match.route, match.variables, [], body)
    assert request.name == "shelves/s 1"
    assert request.file.content_type == "text/csv"
    assert request.file.data == b"a,b\n1,2\n"


def test_query_repeated_and_bool(router: Router) -> None:
    match = router.resolve("GET", "/v1/things/t1/pdf")
    assert not isinstance(match, list)
    query = [("tags", "a"), ("tags", "b"), ("verbose", "true")]
    request = build_request(match.route, match.variables, query, None)
    assert list(request.tags) == ["a", "b"]
    assert request.verbose is True
    with pytest.raises(HttpError) as refused:
        build_request(match.route, match.variables, [("verbose", "maybe")], None)
    assert refused.value.http_status == 400
    with pytest.raises(HttpError):
        build_request(match.route, match.variables, [("id", "other")], None)


def test_httpbody_response_is_raw(router: Router) -> None:
    match = router.resolve("GET", "/v1/things/t1/pdf")
    assert not isinstance(match, list)
    answer = render_response(
        match.route, httpbody_pb2.HttpBody(content_type="application/pdf", data=b"%PDF-1.7"), 200
    )
    assert answer.body == b"%PDF-1.7"
    assert answer.media_type == "application/pdf"


def test_openapi_binary_content(router: Router) -> None:
    document = build_openapi(router.routes)
    upload = document["paths"]["/v1/{name}/things:import"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    pdf = document["paths"]["/v1/things/{id}/pdf"]["get"]
    assert pdf["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
    assert {p["name"] for p in pdf["parameters"]} == {"id", "tags", "verbose"}
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


async def test_multipart_file_field(router: Router) -> None:
    import httpx
    from starlette.requests import Request

    from gateway.app import _read_body

    built = httpx.Request(
        "POST",
        "http://x/v1/shelves/s1/things:import",
        files={"file": ("orders.csv", b"a,b\n", "text/csv")},
        data={"dryRun": "true"},
    )
    content = built.read()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/shelves/s1/things:import",
        "headers": [(k.lower().encode(), v.encode()) for k, v in built.headers.items()],
        "query_string": b"",
    }

    async def receive():
        return {"type": "http.request", "body": content, "more_body": False}

    match = router.resolve("POST", "/v1/shelves/s1/things:import")
    assert not isinstance(match, list)
    body = await _read_body(Request(scope, receive), match.route)
    assert (body.data, body.content_type) == (b"a,b\n", "text/csv")
    assert body.form_fields == (("dryRun", "true"),)
