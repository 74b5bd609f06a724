"""Validate a CycloneDX 1.6 JSON BOM with cyclonedx-python-lib's strict
validator.

usage: validate_cyclonedx.py BOM
exit 0: valid; 1: invalid (error printed); 3: the library (or one of its
optional validation dependencies) is not installed.
"""
import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
except ImportError as e:
    print(f"cyclonedx-python-lib is not installed: {e}", file=sys.stderr)
    sys.exit(3)

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
try:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
except Exception as e:  # MissingOptionalDependencyException and the like
    print(f"cyclonedx-python-lib cannot validate: {e!r}", file=sys.stderr)
    sys.exit(3)
if error is not None:
    print(error)
    sys.exit(1)
print("valid (CycloneDX 1.6, strict)")
