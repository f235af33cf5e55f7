#!/usr/bin/python3
"""Validates a haexplain JSON document against its JSON Schema (draft 2020-12).

    validate.py KIND [FILE]     KIND: ip, ip-watch, check, addr, neigh, keepalived, hosts, vrrp, haproxy,
                                snapshot; FILE or '-' (default) for standard input
    validate.py --check-schemas every schema here is itself a valid 2020-12 schema
    validate.py --version KIND  the schema_version KIND's schema describes
    validate.py --serve         validate documents sent on stdin one after another (the tests'
                                way: Python starts once); see serve()

Exit status 0 when valid, 1 when not (each failure printed as its JSON path and message),
2 on bad usage or unreadable input. The schemas' shared definitions are resolved from this
directory, never fetched: their $id base is an identifier, not a location.
"""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ["ip", "ip-watch", "check", "addr", "neigh", "keepalived", "hosts", "vrrp", "vrrp-watch", "haproxy", "snapshot"]


def load_schemas():
    schemas = {}
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".schema.json"):
            with open(os.path.join(HERE, name), encoding="utf-8") as f:
                schemas[name[: -len(".schema.json")]] = json.load(f)
    return schemas


def validator_for(kind, schemas):
    schema = schemas[kind]
    cls = jsonschema.Draft202012Validator
    checker = jsonschema.FormatChecker()
    try:
        # jsonschema >= 4.18: a referencing Registry.
        from referencing import Registry, Resource
        registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in schemas.values())
        return cls(schema, registry=registry, format_checker=checker)
    except ImportError:
        # Debian 12's 4.10: a RefResolver whose store holds every schema by its $id.
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
        return cls(schema, resolver=resolver, format_checker=checker)


def schema_version(schema):
    return schema.get("properties", {}).get("schema_version", {}).get("const")


def document_version(kind, schemas):
    """The schema_version a KIND document must carry (addr and neigh reach it through a $ref)."""
    schema = schemas[kind]
    if "$ref" in schema and "properties" not in schema:
        target = schema["$ref"].split("#/$defs/")
        schema = schemas[target[0][: -len(".schema.json")]]["$defs"][target[1]]
        if "$ref" in schema.get("properties", {}).get("schema_version", {}):
            return schemas["common"]["$defs"]["schema_version"]["const"]
    return schema_version(schema)


def path_text(path):
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def check_schemas(schemas):
    failed = False
    for name, schema in schemas.items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as error:
            print(f"{name}.schema.json: not a valid 2020-12 schema at {path_text(error.absolute_path)}: {error.message}")
            failed = True
    for kind in KINDS:
        if kind not in schemas:
            print(f"{kind}.schema.json: missing")
            failed = True
    versions = {kind: document_version(kind, schemas) for kind in KINDS if kind in schemas}
    if len(set(versions.values())) != 1 or None in versions.values():
        print(f"the schemas disagree on schema_version: {versions}")
        failed = True
    return 1 if failed else 0


def check_document(kind, text, name, schemas, validators):
    """(exit status, report) for one document: 0 valid, 1 not, 2 not JSON."""
    try:
        document = json.loads(text)
    except ValueError as error:
        return 2, f"{name}: cannot read a JSON document: {error}"
    wanted = document_version(kind, schemas)
    if isinstance(document, dict) and document.get("schema_version") != wanted:
        return 1, (f"{name}: $.schema_version: the document has {document.get('schema_version')!r}, "
                   f"{kind}.schema.json describes {wanted}")
    if kind not in validators:
        validators[kind] = validator_for(kind, schemas)
    errors = sorted(validators[kind].iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    lines = [f"{name}: {path_text(error.absolute_path)}: {error.message}" for error in errors[:20]]
    if len(errors) > 20:
        lines.append(f"{name}: ... and {len(errors) - 20} more")
    return (1 if errors else 0), "\n".join(lines)


def serve(schemas):
    """Validates documents sent on stdin, one after another, so a test run pays for starting
    Python and loading the schemas once: each request is 'KIND LENGTH\\n' and LENGTH bytes,
    each answer 'STATUS LENGTH\\n' and LENGTH bytes of report. Ends at end of input."""
    validators = {}
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = source.readline().split()
        if len(header) != 2:
            return 0
        kind, length = header[0].decode(), int(header[1])
        text = source.read(length).decode("utf-8", "replace")
        if kind in KINDS:
            status, report = check_document(kind, text, "standard input", schemas, validators)
        else:
            status, report = 2, f"unknown document kind {kind!r}"
        payload = report.encode()
        sink.write(b"%d %d\n" % (status, len(payload)) + payload)
        sink.flush()


def main(argv):
    schemas = load_schemas()
    if argv[1:2] == ["--check-schemas"]:
        return check_schemas(schemas)
    if argv[1:] == ["--serve"]:
        return serve(schemas)
    if len(argv) == 3 and argv[1] == "--version" and argv[2] in KINDS:
        print(document_version(argv[2], schemas))
        return 0
    if len(argv) not in (2, 3) or argv[1] not in KINDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    kind = argv[1]
    source = argv[2] if len(argv) == 3 else "-"
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except OSError as error:
        print(f"{source}: cannot read a JSON document: {error}", file=sys.stderr)
        return 2
    status, report = check_document(kind, text, "standard input" if source == "-" else source, schemas, {})
    if report:
        print(report, file=sys.stderr if status == 2 else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
