"""The OpenAPI description's schemas, generated from the answers' types, describe what the
API really sends: every field it sends is declared with its type, every required one sent."""

from django.urls import reverse

from tests.factories import make_identity
from tests.recognition.uploads import (
    JANE,
    JANE_AGAIN,
    JOHN,
    bearer,
    gallery_enrol,
    group_photo,
    photo,
    tiny_active_model,
    upload,
)

JSON_TYPES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


def json_type(value) -> str:
    return "null" if value is None else JSON_TYPES[type(value)]


def schema_errors(value, schema: dict, components: dict, where: str = "$") -> list[str]:
    """Where value breaks schema: the keywords the generator writes ($ref, oneOf, type,
    enum, properties, required, items, additionalProperties)."""
    if "$ref" in schema:
        return schema_errors(value, components[schema["$ref"].rsplit("/", 1)[-1]], components, where)
    if "oneOf" in schema:
        fits = [not schema_errors(value, option, components, where) for option in schema["oneOf"]]
        return [] if sum(fits) == 1 else [f"{where}: fits {sum(fits)} of oneOf"]
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    kind = json_type(value)
    if kind not in types and not (kind == "integer" and "number" in types):
        return [f"{where}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    errors = []
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None:
            errors += [f"{where}.{name}: not declared" for name in value if name not in properties]
            errors += [
                f"{where}.{name}: required, missing" for name in schema["required"] if name not in value
            ]
            for name, item in value.items():
                if name in properties:
                    errors += schema_errors(item, properties[name], components, f"{where}.{name}")
        for name, item in value.items():
            if "additionalProperties" in schema:
                errors += schema_errors(item, schema["additionalProperties"], components, f"{where}.{name}")
    if isinstance(value, list):
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], components, f"{where}[{index}]")
    return errors


def response_schema(description: dict, path: str, method: str) -> dict:
    return description["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


def test_recognize_and_verify_answers_match_their_schemas(client, uploader, tmp_path):
    gallery_enrol(tmp_path / "people", {"Jane Doe": [JANE_AGAIN]})
    tiny_active_model([make_identity("A"), make_identity("B")])
    description = client.get(reverse("api_openapi")).json()
    components = description["components"]["schemas"]

    recognized = client.post(
        reverse("api_recognize"), {"image": upload(group_photo(JANE, JOHN))}, **bearer(uploader)
    ).json()
    verified = client.post(
        reverse("api_verify"),
        {"image1": upload(photo(JANE)), "image2": upload(photo(JOHN))},
        **bearer(uploader),
    ).json()
    identities = client.get(reverse("api_identities"), **bearer(uploader)).json()
    refused = client.post(reverse("api_recognize"), {}, **bearer(uploader)).json()

    assert recognized["faces"][0]["model"] is not None and recognized["faces"][0]["gallery"]["embedder"]
    assert schema_errors(recognized, response_schema(description, "/recognize", "post"), components) == []
    assert schema_errors(verified, response_schema(description, "/verify", "post"), components) == []
    assert schema_errors(identities, response_schema(description, "/identities", "get"), components) == []
    assert schema_errors(refused, {"$ref": "#/components/schemas/Error"}, components) == []
    # The check itself can fail: a field the types do not declare is caught.
    recognized["faces"][0]["gallery"]["surprise"] = 1
    assert schema_errors(recognized, response_schema(description, "/recognize", "post"), components) == [
        "$.faces[0].gallery.surprise: not declared"
    ]
