#!/usr/bin/env python3
"""Validates statements of reasons exported by Bulwark against the DSA Transparency Database's
rules (docs/schemas/dsa-statement-of-reasons.schema.json, plus the date ranges the schema
cannot say).

Usage: scripts/validate-statements.py FILE...   (each FILE a batch: {"statements": [...]})
Prints one line per problem (file, statement index, field, message); exits 1 if any.
"""
import json
import sys
from pathlib import Path

import jsonschema

SCHEMA = Path(__file__).resolve().parent.parent / "docs/schemas/dsa-statement-of-reasons.schema.json"
DATE_RANGES = {
    "content_date": ("2000-01-01", "2038-01-01"),
    "application_date": ("2020-01-01", "2038-01-01"),
    "end_date_account_restriction": (None, "2038-01-01"),
    "end_date_monetary_restriction": (None, "2038-01-01"),
    "end_date_service_restriction": (None, "2038-01-01"),
    "end_date_visibility_restriction": (None, "2038-01-01"),
}
MAX_BATCH = 100  # the database's multi-statement endpoint takes at most 100 per call


def main(paths):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = 0
    checked = 0
    for path in paths:
        batch = json.loads(Path(path).read_text())
        statements = batch.get("statements")
        if not isinstance(statements, list) or not statements:
            print(f"{path}: no statements array")
            problems += 1
            continue
        if len(statements) > MAX_BATCH:
            print(f"{path}: {len(statements)} statements in one batch (at most {MAX_BATCH})")
            problems += 1
        puids = set()
        for index, statement in enumerate(statements):
            checked += 1
            for error in validator.iter_errors(statement):
                field = "/".join(str(p) for p in error.absolute_path) or "(statement)"
                print(f"{path}: statement {index}: {field}: {error.message}")
                problems += 1
            for field, (low, high) in DATE_RANGES.items():
                value = statement.get(field)
                if isinstance(value, str) and ((low and value < low) or value > high):
                    print(f"{path}: statement {index}: {field}: {value} outside {low or '...'} to {high}")
                    problems += 1
            puid = statement.get("puid")
            if puid in puids:
                print(f"{path}: statement {index}: puid: {puid} repeated in the batch")
                problems += 1
            puids.add(puid)
    print(f"checked {checked} statements: {problems} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
