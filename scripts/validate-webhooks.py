#!/usr/bin/env python3
"""Validates webhook bodies against the schemas the OpenAPI document gives them (its `webhooks`),
so the document stays what the platform receives.

Usage: scripts/validate-webhooks.py OPENAPI.json BODIES.json
  BODIES.json: a JSON array of webhook bodies, each with its "event".
Prints one line per problem (body index, event, where, message); exits 1 if any.
"""
import json
import sys
from pathlib import Path

import jsonschema


def main(openapi_path, bodies_path):
    doc = json.loads(Path(openapi_path).read_text())
    bodies = json.loads(Path(bodies_path).read_text())
    events = doc.get("webhooks", {})
    problems = 0
    for index, body in enumerate(bodies):
        event = body.get("event") if isinstance(body, dict) else None
        if event not in events:
            print(f"body {index}: event {event!r} is not in the document's webhooks")
            problems += 1
            continue
        # The document itself is the schema resource, so its $refs resolve.
        pointer = f"#/webhooks/{event}/post/requestBody/content/application~1json/schema"
        validator = jsonschema.Draft202012Validator({**doc, "$ref": pointer})
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            print(f"body {index} ({event}): {where}: {error.message}")
            problems += 1
    print(f"{len(bodies)} bodies checked, {problems} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
