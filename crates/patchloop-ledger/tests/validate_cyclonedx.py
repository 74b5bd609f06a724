"""Validate a CycloneDX 1.6 JSON BOM with cyclonedx-python-lib's strict
validator.

usage: validate_cyclonedx.py BOM...
exit 0: all valid; 1: one is invalid (error printed); 3: the library (or
one of its optional validation dependencies) is not installed.
"""
import sys

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
except ImportError as e:
    print(f"cyclonedx-python-lib is not installed: {e}", file=sys.stderr)
    sys.exit(3)

validator = JsonStrictValidator(SchemaVersion.V1_6)
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        error = validator.validate_str(text)
    except Exception as e:  # MissingOptionalDependencyException and the like
        print(f"cyclonedx-python-lib cannot validate: {e!r}", file=sys.stderr)
        sys.exit(3)
    if error is not None:
        print(f"{path}: {error}")
        failed = True
if failed:
    sys.exit(1)
print(f"{len(sys.argv) - 1} valid (CycloneDX 1.6, strict)")
