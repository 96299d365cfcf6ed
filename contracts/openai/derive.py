#!/usr/bin/env python3
"""Derives contracts/openai/chat-completions.json from OpenAI's published OpenAPI description.

    contracts/openai/derive.py [SPEC] [--check]

SPEC is OpenAI's openapi.json (its LICENSE is read beside it); by default the copy in
../shared/contracts/openai/ from the repository root, or from the nearest parent directory that
has one. The table is the chat-completions request as the spec
describes it (every field of CreateChatCompletionRequest with its type, whether it is required,
deprecated and what replaces it, allOf/$ref/anyOf/oneOf resolved), the model ids the spec
lists, the error envelope, and overlay.toml's reasoning-model rules and error wording. The
output is deterministic: running it again on the same spec rewrites the same bytes.
--check compares instead of writing, and fails when the committed table is stale.

Python 3.11+ standard library only.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC_IN_SHARED = Path("shared", "contracts", "openai", "openapi.json")
OUTPUT = HERE / "chat-completions.json"
LICENCE_OUT = HERE / "LICENSE"
OVERLAY = HERE / "overlay.toml"

# Provenance of the spec copy this table is derived from.
SOURCE = {
    "repository": "openai/openai-openapi",
    "path": "openapi.json",
    "commit": "f85dbe2",
    "date": "2026-08",
    "licence": "MIT (see LICENSE beside this file)",
}
REQUEST_SCHEMA = "CreateChatCompletionRequest"
ENDPOINT = "/chat/completions"
# How deep nested objects are described field by field; deeper ones are checked by type only.
MAX_DEPTH = 6
JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


class Spec:
    def __init__(self, document):
        self.document = document
        self.schemas = document["components"]["schemas"]

    def resolve(self, schema):
        """Follows $ref until a schema without one; returns it and the texts met on the way."""
        texts = []
        seen = set()
        while "$ref" in schema:
            if schema.get("description"):
                texts.append(schema["description"])
            ref = schema["$ref"]
            if ref in seen:
                raise SystemExit(f"$ref cycle at {ref}")
            seen.add(ref)
            prefix = "#/components/schemas/"
            if not ref.startswith(prefix):
                raise SystemExit(f"unsupported $ref {ref}")
            sibling = {k: v for k, v in schema.items() if k != "$ref"}
            schema = dict(self.schemas[ref[len(prefix):]])
            # Keywords beside a $ref (OpenAPI 3.1) apply too; the referring ones win.
            schema.update({k: v for k, v in sibling.items() if k != "description"})
        if schema.get("description"):
            texts.append(schema["description"])
        return schema, texts

    def merged(self, schema):
        """allOf folded into one object schema (properties and required united)."""
        schema, texts = self.resolve(schema)
        if "allOf" not in schema:
            return schema, texts
        out = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(out.get("properties", {}))
        required = list(out.get("required", []))
        for part in schema["allOf"]:
            part, more = self.merged(part)
            texts += more
            for name, value in part.get("properties", {}).items():
                # A later part refines an earlier one (the request's own top_logprobs).
                properties[name] = value
            required += [r for r in part.get("required", []) if r not in required]
            for key in ("type", "additionalProperties", "deprecated"):
                if key in part and key not in out:
                    out[key] = part[key]
        out["properties"] = properties
        out["required"] = required
        out.setdefault("type", "object")
        return out, texts


def types_of(schema):
    kind = schema.get("type")
    if kind is None:
        return []
    kinds = kind if isinstance(kind, list) else [kind]
    for k in kinds:
        if k not in JSON_TYPES:
            raise SystemExit(f"unknown JSON type {k!r}")
    return list(kinds)


def shape(spec, schema, depth):
    """The compact description of one schema: types, enum, bounds, items, fields, variants."""
    schema, texts = spec.merged(schema)
    out = {}
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        out = union(spec, alternatives, schema.get("discriminator"), depth)
    else:
        out["type"] = types_of(schema)
        if "enum" in schema and out["type"] == ["string"]:
            out["enum"] = sorted(v for v in schema["enum"] if v is not None)
        for key, name in (
            ("minimum", "minimum"),
            ("maximum", "maximum"),
            ("minItems", "min_items"),
            ("maxItems", "max_items"),
            ("maxLength", "max_length"),
        ):
            if key in schema:
                out[name] = schema[key]
        if "array" in out["type"] and "items" in schema:
            out["items"] = shape(spec, schema["items"], depth + 1)
        if "object" in out["type"]:
            out.update(object_shape(spec, schema, depth))
    if schema.get("nullable") and "null" not in out["type"]:
        out["type"] = out["type"] + ["null"]
    out["type"] = sorted(set(out["type"]))
    if "default" in schema and schema["default"] is not None:
        out["default"] = schema["default"]
    if schema.get("deprecated"):
        out["deprecated"] = True
    out["_texts"] = texts
    return out


def object_shape(spec, schema, depth):
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    out = {}
    if isinstance(extra, dict):
        out["values"] = clean(shape(spec, extra, depth + 1))
    if not properties or depth >= MAX_DEPTH:
        return out
    required = set(schema.get("required", []))
    fields = {}
    for name, prop in properties.items():
        field = shape(spec, prop, depth + 1)
        field["required"] = name in required
        fields[name] = field
    out["fields"] = fields
    # The spec leaves additionalProperties open; the API refuses unknown keys (overlay).
    out["closed"] = extra is not True and not isinstance(extra, dict)
    return out


def union(spec, alternatives, discriminator, depth):
    shapes = [shape(spec, a, depth) for a in alternatives]
    out = {"type": sorted({t for s in shapes for t in s["type"]})}
    strings = [s for s in shapes if "string" in s["type"]]
    if strings and all("enum" in s for s in strings):
        out["enum"] = sorted({v for s in strings for v in s["enum"]})
    for key in ("minimum", "maximum", "max_length", "default"):
        values = [s[key] for s in shapes if key in s]
        if len(values) == 1:
            out[key] = values[0]
    arrays = [s for s in shapes if "array" in s["type"]]
    if arrays:
        for key in ("items", "min_items", "max_items"):
            if key in arrays[0]:
                out[key] = arrays[0][key]
    objects = [s for s in shapes if "object" in s["type"]]
    if len(objects) == 1:
        for key in ("fields", "closed", "values"):
            if key in objects[0]:
                out[key] = objects[0][key]
    elif len(objects) > 1:
        by = discriminator["propertyName"] if discriminator else infer_discriminator(objects)
        if by and all(by in s.get("fields", {}) for s in objects):
            variants = {}
            for s in objects:
                for value in s["fields"][by]["enum"]:
                    variants[value] = {k: v for k, v in s.items() if k != "_texts"}
            out["variants"] = {"by": by, "shapes": variants}
    if any(s.get("deprecated") for s in shapes) and all(s.get("deprecated") for s in shapes):
        out["deprecated"] = True
    out["_texts"] = [t for s in shapes for t in s["_texts"]]
    return out


def infer_discriminator(objects):
    """The property every object alternative fixes to one string (`type`, say), if any."""
    if not all("fields" in s for s in objects):
        return None
    common = set.intersection(*(set(s["fields"]) for s in objects))
    for name in sorted(common):
        if all(len(s["fields"][name].get("enum", [])) == 1 for s in objects):
            return name
    return None


REPLACEMENT_PATTERNS = (
    re.compile(r"deprecated in favor of `([^`]+)`", re.IGNORECASE),
    re.compile(r"replaced by `([^`]+)` and `([^`]+)`", re.IGNORECASE),
    re.compile(r"Use `([^`]+)` instead"),
)
# Sentences in the spec that say a field does not work with reasoning models.
REASONING_PATTERN = re.compile(
    r"[^.]*(?:not compatible with \[?o-series|Not supported with latest reasoning)[^.]*\."
)


def replacements(texts):
    found = []
    for text in texts:
        for pattern in REPLACEMENT_PATTERNS:
            for match in pattern.finditer(text):
                found += [g for g in match.groups() if g not in found]
    return found


def clean(node):
    """Drops the working `_texts` and marks deprecations with their replacements."""
    if isinstance(node, list):
        return [clean(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: clean(v) for k, v in node.items() if k != "_texts"}
    if node.get("deprecated") and "_texts" in node:
        named = replacements(node["_texts"])
        if named:
            out["replaced_by"] = named
    return out


def spec_reasoning_statements(fields):
    """field -> the spec's own sentence saying reasoning models reject it."""
    statements = {}
    for name, field in fields.items():
        for text in field["_texts"]:
            match = REASONING_PATTERN.search(" ".join(text.split()))
            if match:
                sentence = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", match.group(0))
                statements[name] = sentence.strip()
    return statements


def family_of(model, families):
    model = model.rsplit("/", 1)[-1]
    for name, family in families.items():
        for prefix in family["prefixes"]:
            if model == prefix or model.startswith((prefix + "-", prefix + ".")):
                return name
    return None


def model_ids(spec):
    request, _ = spec.merged(spec.schemas[REQUEST_SCHEMA])
    model, _ = spec.resolve(request["properties"]["model"])
    ids = set()
    for alternative in model.get("anyOf", []):
        alternative, _ = spec.resolve(alternative)
        ids.update(alternative.get("enum", []))
    return sorted(ids)


def reasoning_section(overlay, statements, fields):
    families = overlay["families"]
    rules = {}
    for name, rule in sorted(overlay["rejected"].items()):
        if name not in fields:
            raise SystemExit(f"overlay: {name} is not a request field")
        unknown = [f for f in rule["families"] if f not in families]
        if unknown:
            raise SystemExit(f"overlay: {name} names unknown families {unknown}")
        entry = {k: rule[k] for k in ("families", "when", "code", "message", "source")}
        if rule["when"] == "not_default":
            if "default" not in fields[name]:
                raise SystemExit(f"overlay: {name} is not_default but the spec gives no default")
            entry["default"] = fields[name]["default"]
        if name in statements:
            entry["spec_says"] = statements[name]
        rules[name] = entry
    missing = sorted(set(statements) - set(rules))
    if missing:
        raise SystemExit(f"the spec says reasoning models reject {missing}: add them to overlay.toml")
    return {
        "families": {n: {"prefixes": f["prefixes"], "source": f["source"]} for n, f in sorted(families.items())},
        "rejected": rules,
    }


def errors_section(spec, overlay):
    envelope = clean(shape(spec, spec.schemas["ErrorResponse"], 0))
    kinds = {}
    for name, kind in sorted(overlay["errors"].items()):
        kinds[name] = {
            "status": kind.get("status", 400),
            "type": kind.get("type", "invalid_request_error"),
            "code": None if kind["code"] == "none" else kind["code"],
            "param": kind["param"],
            "message": kind["message"],
            "source": kind["source"],
        }
    return {"envelope": envelope, "kinds": kinds}


def derive(spec_path):
    spec = Spec(json.loads(spec_path.read_text(encoding="utf-8")))
    overlay = tomllib.loads(OVERLAY.read_text(encoding="utf-8"))
    operation = spec.document["paths"][ENDPOINT]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    if not body.endswith("/" + REQUEST_SCHEMA):
        raise SystemExit(f"{ENDPOINT} takes {body}, not {REQUEST_SCHEMA}")
    request = shape(spec, spec.schemas[REQUEST_SCHEMA], 0)
    statements = spec_reasoning_statements(request["fields"])
    request = clean(request)
    families = overlay["families"]
    table = {
        "about": "Derived by contracts/openai/derive.py from OpenAI's OpenAPI description and "
        "contracts/openai/overlay.toml; do not edit by hand.",
        "source": dict(SOURCE, spec_version=spec.document["info"]["version"]),
        "endpoint": {"method": "POST", "path": ENDPOINT, "content_type": "application/json"},
        "request": request,
        "models": {m: family_of(m, families) for m in model_ids(spec)},
        "reasoning": reasoning_section(overlay, statements, request["fields"]),
        "conversation": {
            name: {"param": rule["param"], "message": rule["message"], "source": rule["source"]}
            for name, rule in sorted(overlay["conversation"].items())
        },
        "errors": errors_section(spec, overlay),
    }
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def default_spec():
    """../shared/... from the repository root, or from the nearest directory above that has it
    (a git worktree may live deeper than the main checkout)."""
    for directory in ROOT.parents:
        candidate = directory / SPEC_IN_SHARED
        if candidate.is_file():
            return candidate
    return ROOT.parent / SPEC_IN_SHARED


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=default_spec())
    parser.add_argument("--check", action="store_true", help="fail if the committed table is stale")
    args = parser.parse_args()
    if not args.spec.is_file():
        raise SystemExit(f"no spec at {args.spec}: pass its path")
    table = derive(args.spec)
    licence = (args.spec.parent / "LICENSE").read_text(encoding="utf-8")
    if args.check:
        stale = [p.name for p, text in ((OUTPUT, table), (LICENCE_OUT, licence))
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale:
            raise SystemExit(f"stale: {', '.join(stale)}; run {Path(__file__).name} to rebuild")
        print(f"{OUTPUT.name} is up to date")
        return
    OUTPUT.write_text(table, encoding="utf-8")
    LICENCE_OUT.write_text(licence, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(table)} bytes) and {LICENCE_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
