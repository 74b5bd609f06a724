"""Validate a SARIF log against a JSON schema (the vendored OASIS one).

usage: validate_sarif.py SCHEMA LOG...
exit 0: all valid; 1: one is invalid (errors printed); 3: jsonschema is not
installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError as e:
    print(f"python jsonschema is not installed: {e}", file=sys.stderr)
    sys.exit(3)

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)

cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
# Every format jsonschema knows, not only draft 4's: the schema marks
# artifactLocation.uri as "uri-reference", which draft 4 does not define.
validator = cls(schema, format_checker=jsonschema.FormatChecker())
failed = False
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(map(str, e.absolute_path)))
    for e in errors[:50]:
        print(path + ": /" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
    if errors:
        print(f"{path}: {len(errors)} schema error(s)")
        failed = True
if failed:
    sys.exit(1)
print(f"{len(sys.argv) - 2} valid ({cls.__name__})")
