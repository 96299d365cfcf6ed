#!/usr/bin/env python3
"""Derives Slack's Web API contract table from Slack's published OpenAPI description.

    contracts/slack/derive.py [SPEC] [--check]

SPEC is slack_web_openapi_v2.json from slackapi/slack-api-specs (the commit and checksum
amendments.toml names); it defaults to ../shared/contracts/slack/slack_web_openapi_v2.json
beside the repository. The script keeps the methods amendments.toml lists, applies its
amendments and writes methods.json (the table) and methods.rs (the same table for the Rust
client and FakeSlack, included by both). --check writes nothing and fails when the committed
files differ from what it derives. Python 3.11+ (tomllib), standard library only.
"""

import argparse
import hashlib
import json
import pathlib
import re
import sys
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "contracts" / "slack" / "slack_web_openapi_v2.json"
AMENDMENTS = HERE / "amendments.toml"
TABLE = HERE / "methods.json"
RUST = HERE / "methods.rs"

# The spec describes JSON-valued arguments (blocks, attachments, view) in prose only.
JSON_VALUED = re.compile(r"\bJSON-(based|encoded)\b")


class ContractError(Exception):
    pass


def from_spec(spec, name):
    """One method's entry as the spec states it."""
    item = spec["paths"].get("/" + name)
    if item is None:
        raise ContractError(f"{name}: not in the spec")
    verbs, content_types, arguments, scopes, token, docs = set(), set(), {}, set(), False, None
    for verb, operation in item.items():
        verbs.add(verb.upper())
        content_types.update(operation.get("consumes", []))
        docs = operation.get("externalDocs", {}).get("url", docs)
        for security in operation.get("security", []):
            scopes.update(s for s in security.get("slackAuth", []) if s != "none")
        for parameter in operation["parameters"]:
            if parameter["name"] == "token":
                token = True
                continue
            arguments[parameter["name"]] = {
                "type": parameter.get("type", "string"),
                "required": bool(parameter.get("required", False)),
                "json": bool(JSON_VALUED.search(parameter.get("description", ""))),
            }
    return {
        "verbs": verbs,
        "content_types": content_types,
        "token": token,
        "arguments": arguments,
        "bot_scopes": scopes,
        "docs": docs,
        "amended_by": set(),
    }


def amend(entry, name, amendment, must_change=True):
    """Applies one amendment to what exists; a method's own amendment must change something."""
    before = json.dumps(as_json(entry), sort_keys=True)
    arguments = entry["arguments"]
    for verb in amendment.get("add_verbs", []):
        entry["verbs"].add(verb)
    if "verbs" in amendment:
        entry["verbs"] = set(amendment["verbs"])
    for argument in amendment.get("add_arguments", []):
        if argument["name"] in arguments:
            raise ContractError(f"{name}: {argument['name']} is already in the spec")
        arguments[argument["name"]] = {
            "type": argument.get("type", "string"),
            "required": bool(argument.get("required", False)),
            "json": bool(argument.get("json", False)),
        }
    for key, required in (("required", True), ("not_required", False)):
        for argument in amendment.get(key, []):
            if argument not in arguments:
                raise ContractError(f"{name}: no argument {argument} to mark {key}")
            arguments[argument]["required"] = required
    if "bot_scopes" in amendment:
        entry["bot_scopes"] = set(amendment["bot_scopes"])
    if json.dumps(as_json(entry), sort_keys=True) == before:
        if must_change:
            raise ContractError(f"{name}: the amendment from {amendment['source']} changes nothing")
        return
    entry["amended_by"].add(amendment["source"])


def as_json(entry):
    return {
        "verbs": sorted(entry["verbs"]),
        "content_types": sorted(entry["content_types"]),
        "token": entry["token"],
        "arguments": {name: entry["arguments"][name] for name in sorted(entry["arguments"])},
        "bot_scopes": sorted(entry["bot_scopes"]),
        "docs": entry["docs"],
        "amended_by": sorted(entry["amended_by"]),
    }


def derive(spec_bytes, amendments):
    source = amendments["source"]
    digest = hashlib.sha256(spec_bytes).hexdigest()
    if digest != source["sha256"]:
        raise ContractError(
            f"the spec's sha256 is {digest}, not {source['sha256']} "
            f"({source['repository']} {source['path']} at {source['commit']})"
        )
    spec = json.loads(spec_bytes)
    methods = {}
    for name in sorted(amendments["methods"]):
        entry = from_spec(spec, name)
        if "all" in amendments:
            amend(entry, name, amendments["all"], must_change=False)
        methods[name] = entry
    for amendment in amendments.get("amend", []):
        name = amendment["method"]
        if name not in methods:
            raise ContractError(f"an amendment names {name}, which the table does not hold")
        if not amendment.get("source", "").startswith("https://"):
            raise ContractError(f"{name}: an amendment without its Slack page (source)")
        amend(methods[name], name, amendment)
    return {
        "about": "Slack Web API methods incidentd calls or FakeSlack serves. Generated by "
        "contracts/slack/derive.py from Slack's OpenAPI description and amendments.toml: "
        "do not edit.",
        "source": {key: source[key] for key in ("repository", "path", "commit", "sha256", "licence")},
        "methods": {name: as_json(entry) for name, entry in methods.items()},
    }


def dump(value, indent=""):
    """JSON with one argument, list or short object per line: compact, and diffs stay small."""
    inline = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict) or (len(inline) <= 100 and not any(isinstance(v, dict) for v in value.values())):
        return inline
    inner = indent + "  "
    items = [f"{inner}{json.dumps(k)}: {dump(v, inner)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def rust_strs(values):
    return "&[" + ", ".join(json.dumps(v) for v in values) + "]"


def rust(table):
    source = table["source"]
    lines = [
        "// @generated by contracts/slack/derive.py: do not edit, run the script.",
        f"// From {source['repository']} {source['path']} at commit {source['commit']}",
        f"// ({source['licence']}), with contracts/slack/amendments.toml.",
        "",
        "/// One Slack Web API method as its published contract describes it.",
        "#[derive(Clone, Copy, Debug, PartialEq, Eq)]",
        "pub struct SlackMethod {",
        "    pub name: &'static str,",
        "    /// HTTP verbs it answers to.",
        "    pub verbs: &'static [&'static str],",
        "    /// Media types of a POST body it reads; a body of another type is not read.",
        "    pub content_types: &'static [&'static str],",
        "    /// Whether it takes a token; else the app's client credentials (`oauth.v2.access`).",
        "    pub token: bool,",
        "    pub arguments: &'static [SlackArgument],",
        "    pub bot_scopes: &'static [&'static str],",
        "    /// Slack's page for the method.",
        "    pub docs: &'static str,",
        "}",
        "",
        "/// One argument of a [`SlackMethod`].",
        "#[derive(Clone, Copy, Debug, PartialEq, Eq)]",
        "pub struct SlackArgument {",
        "    pub name: &'static str,",
        "    /// The spec's type: `string`, `boolean`, `integer` or `number`.",
        "    pub kind: &'static str,",
        "    pub required: bool,",
        "    /// Its value is JSON (`blocks`, `view`, `metadata`): a JSON string in a form or query.",
        "    pub json: bool,",
        "}",
        "",
        "/// The methods incidentd calls or its fake serves, by name.",
        "pub const SLACK_METHODS: &[SlackMethod] = &[",
    ]
    for name, method in table["methods"].items():
        lines += [
            "    SlackMethod {",
            f"        name: {json.dumps(name)},",
            f"        verbs: {rust_strs(method['verbs'])},",
            f"        content_types: {rust_strs(method['content_types'])},",
            f"        token: {str(method['token']).lower()},",
            "        arguments: &[",
        ]
        for argument, about in method["arguments"].items():
            lines.append(
                f"            SlackArgument {{ name: {json.dumps(argument)}, "
                f"kind: {json.dumps(about['type'])}, required: {str(about['required']).lower()}, "
                f"json: {str(about['json']).lower()} }},"
            )
        lines += [
            "        ],",
            f"        bot_scopes: {rust_strs(method['bot_scopes'])},",
            f"        docs: {json.dumps(method['docs'])},",
            "    },",
        ]
    lines += [
        "];",
        "",
        "/// The contract of the method `name`, if the table holds it.",
        "pub fn slack_method(name: &str) -> Option<&'static SlackMethod> {",
        "    SLACK_METHODS.iter().find(|method| method.name == name)",
        "}",
        "",
        "/// The media types a POST body of the method `name` may have (none when it takes no POST),",
        "/// if the table holds it: what a client needs to encode a call, without the rest of the",
        "/// table (which then stays out of the worker's wasm).",
        "pub fn slack_post_body_types(name: &str) -> Option<&'static [&'static str]> {",
        "    match name {",
    ]
    for name, method in table["methods"].items():
        types = method["content_types"] if "POST" in method["verbs"] else []
        lines.append(f"        {json.dumps(name)} => Some({rust_strs(types)}),")
    lines += [
        "        _ => None,",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=pathlib.Path, default=DEFAULT_SPEC)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args()
    try:
        spec_bytes = args.spec.read_bytes()
    except OSError as e:
        sys.exit(f"derive.py: cannot read the spec: {e}")
    try:
        table = derive(spec_bytes, tomllib.loads(AMENDMENTS.read_text()))
    except (ContractError, KeyError, tomllib.TOMLDecodeError) as e:
        sys.exit(f"derive.py: {e}")
    outputs = {
        TABLE: dump(table) + "\n",
        RUST: rust(table),
    }
    stale = [path for path, text in outputs.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"derive.py: {path.relative_to(ROOT)} differs from what the spec gives", file=sys.stderr)
        sys.exit(1 if stale else 0)
    for path, text in outputs.items():
        path.write_text(text)
    print(f"derive.py: {len(table['methods'])} methods -> {TABLE.relative_to(ROOT)}, {RUST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
