"""JSON Schema of the API's answers, read from the TypedDicts that type them, so what the
API sends and what its OpenAPI description says are written once.

Field descriptions and extra keywords come from `Annotated`: a string is the field's
description, a dict is merged into its schema (e.g. {"maxItems": 5}). Each TypedDict
becomes a component, referred to by name.
"""

import inspect
import types
from typing import (
    Annotated,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

SCALARS = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    type(None): {"type": "null"},
}


def schema_ref(typed_dict: type, components: dict) -> dict:
    """A $ref to the TypedDict's component, which is added to components (with any it uses)."""
    name = typed_dict.__name__
    if name not in components:
        components[name] = {}  # reserved first, so a type that refers to itself ends
        components[name] = typed_dict_schema(typed_dict, components)
    return {"$ref": f"#/components/schemas/{name}"}


def typed_dict_schema(typed_dict: type, components: dict) -> dict:
    hints = get_type_hints(typed_dict, include_extras=True)
    schema = {
        "type": "object",
        "properties": {name: type_schema(hint, components) for name, hint in hints.items()},
        "required": [name for name in hints if name in typed_dict.__required_keys__],
    }
    if typed_dict.__doc__:
        schema["description"] = " ".join(inspect.cleandoc(typed_dict.__doc__).split())
    return schema


def type_schema(annotation, components: dict) -> dict:
    """The JSON Schema of one annotation: scalars, None, Literal, unions, lists, str-keyed
    dicts, TypedDicts and Annotated."""
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        schema = dict(type_schema(arguments[0], components))
        for extra in arguments[1:]:
            schema.update({"description": extra} if isinstance(extra, str) else extra)
        return schema
    if origin in (NotRequired, Required):
        return type_schema(arguments[0], components)
    if is_typeddict(annotation):
        return schema_ref(annotation, components)
    if origin is Literal:
        return {**SCALARS[type(arguments[0])], "enum": list(arguments)}
    if origin in (Union, types.UnionType):
        options = [type_schema(argument, components) for argument in arguments]
        if all(set(option) == {"type"} for option in options):
            return {"type": [option["type"] for option in options]}
        return {"oneOf": options}
    if origin is list:
        return {"type": "array", "items": type_schema(arguments[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(arguments[1], components)}
    return dict(SCALARS[annotation])
