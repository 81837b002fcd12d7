#!/usr/bin/python3
"""Validates zctrace documents against the JSON Schemas in schemas/.

usage: validate.py SCHEMA_DIR FILE...

Each FILE is one JSON document, or JSON Lines (a document per line). A document's "schema" field
("zctrace/2", "zctrace-check/2", "zctrace-lines/3"...) names the schema it must meet. Exits 1 on the first
file with a document that fails (or names no known schema), printing where and why.
"""
import json
import pathlib
import sys

import jsonschema

SCHEMA_FILES = {
    "zctrace": "zctrace.schema.json",
    "zctrace-check": "zctrace-check.schema.json",
    "zctrace-demo": "zctrace-demo.schema.json",
    "zctrace-lines": "zctrace-lines.schema.json",
    "zctrace-top": "zctrace-top.schema.json",
}


def load_schemas(directory):
    schemas = {}
    for path in pathlib.Path(directory).glob("*.schema.json"):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[path.name] = schema
    return schemas


def validator_for(schemas, name):
    schema = schemas[name]
    try:  # jsonschema >= 4.18: the referencing library
        from referencing import Registry, Resource

        registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in schemas.values())
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's 4.10
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def documents(path):
    text = pathlib.Path(path).read_text()
    try:
        yield 1, json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), 1):
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as e:
            raise SystemExit(f"{path}:{number}: not JSON: {e}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    schemas = load_schemas(sys.argv[1])
    validators = {}
    count = 0
    for path in sys.argv[2:]:
        for number, doc in documents(path):
            family = str(doc.get("schema", "")).split("/")[0] if isinstance(doc, dict) else ""
            if family not in SCHEMA_FILES:
                raise SystemExit(f"{path}:{number}: names no known schema: {str(doc)[:120]}")
            name = SCHEMA_FILES[family]
            validators.setdefault(name, validator_for(schemas, name))
            errors = sorted(validators[name].iter_errors(doc), key=lambda e: list(e.absolute_path))
            if errors:
                for e in errors[:5]:
                    where = "/".join(str(p) for p in e.absolute_path)
                    print(f"{path}:{number}: {name}: at /{where}: {e.message[:300]}", file=sys.stderr)
                raise SystemExit(1)
            count += 1
    print(f"validate: {count} documents in {len(sys.argv) - 2} files meet their schemas")


if __name__ == "__main__":
    main()
