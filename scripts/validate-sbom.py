#!/usr/bin/env python3
"""Validate an SBOM against the official schemas with the reference tools.

Usage: validate-sbom.py FORMAT FILE [FILE...]

FORMAT is one of:
  cyclonedx      CycloneDX JSON, checked with cyclonedx-python-lib's
                 JsonStrictValidator for the specVersion the document states
                 (1.6 when it states none)
  cyclonedx-xml  CycloneDX XML, checked with its XmlValidator for the version
                 named by the bom namespace
  spdx           SPDX 2.x (any serialization spdx-tools reads), parsed with
                 spdx_tools.spdx.parser.parse_anything and checked with
                 validate_full_spdx_document

Several files are checked in one run (the validators load once).
Exit status: 0 all valid, 1 some invalid (errors printed), 2 usage or unreadable file,
3 the validator libraries are not installed (see .ci/install-test-tools:
cyclonedx-python-lib[json-validation,xml-validation]==11.*, spdx-tools==0.8.*).
"""

import json
import re
import sys

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_MISSING = 3


def missing(what, err):
    print(f"validate-sbom: {what} is not installed: {err}", file=sys.stderr)
    print(
        "install with: python3 -m pip install "
        "'cyclonedx-python-lib[json-validation,xml-validation]==11.*' 'spdx-tools==0.8.*'",
        file=sys.stderr,
    )
    return EXIT_MISSING


def schema_version(version):
    from cyclonedx.schema import SchemaVersion

    try:
        return SchemaVersion.from_version(version)
    except Exception:  # noqa: BLE001 - any failure means an unknown version
        return None


_VALIDATORS = {}


def optional_dependency_missing(e):
    """cyclonedx-python-lib raises this when an extra (jsonschema, lxml) is absent."""
    return type(e).__name__ == "MissingOptionalDependencyException"


def cached(kind, sv, make):
    key = (kind, sv)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = make(sv)
    return _VALIDATORS[key]


def validate_cyclonedx_json(path):
    try:
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError as e:
        return missing("cyclonedx-python-lib[json-validation]", e)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"{path}: not JSON: {e}")
        return EXIT_INVALID
    version = doc.get("specVersion", "1.6") if isinstance(doc, dict) else "1.6"
    sv = schema_version(str(version))
    if sv is None:
        print(f"{path}: unknown CycloneDX specVersion {version!r}")
        return EXIT_INVALID
    try:
        errors = cached("json", sv, JsonStrictValidator).validate_str(text, all_errors=True)
    except Exception as e:  # noqa: BLE001
        if isinstance(e, ImportError) or optional_dependency_missing(e):
            return missing("cyclonedx-python-lib[json-validation]", e)
        raise
    errors = list(errors or [])
    for e in errors:
        inner = getattr(e, "data", e)
        where = "/".join(str(p) for p in getattr(inner, "absolute_path", []))
        msg = getattr(inner, "message", str(inner))
        print(f"{path}: CycloneDX {version}: at /{where}: {msg}")
    if errors:
        return EXIT_INVALID
    print(f"{path}: valid CycloneDX {version} JSON")
    return 0


def validate_cyclonedx_xml(path):
    try:
        from cyclonedx.validation.xml import XmlValidator
    except ImportError as e:
        return missing("cyclonedx-python-lib[xml-validation]", e)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"http://cyclonedx\.org/schema/bom/(\d+\.\d+)", text)
    if not m:
        print(f"{path}: no CycloneDX bom namespace found")
        return EXIT_INVALID
    sv = schema_version(m.group(1))
    if sv is None:
        print(f"{path}: unknown CycloneDX version {m.group(1)!r}")
        return EXIT_INVALID
    try:
        errors = cached("xml", sv, XmlValidator).validate_str(text, all_errors=True)
    except Exception as e:  # noqa: BLE001
        if isinstance(e, ImportError) or optional_dependency_missing(e):
            return missing("cyclonedx-python-lib[xml-validation]", e)
        raise
    errors = list(errors or [])
    for e in errors:
        print(f"{path}: CycloneDX {m.group(1)} XML: {e}")
    if errors:
        return EXIT_INVALID
    print(f"{path}: valid CycloneDX {m.group(1)} XML")
    return 0


def validate_spdx(path):
    try:
        from spdx_tools.spdx.parser.parse_anything import parse_file
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    except ImportError as e:
        return missing("spdx-tools", e)
    try:
        document = parse_file(path)
    except Exception as e:  # noqa: BLE001 - the parser raises several error types
        # SPDXParsingError carries a list of messages.
        messages = getattr(e, "messages", None) or getattr(e, "args", [str(e)])
        for m in messages:
            print(f"{path}: SPDX parse error: {m}")
        return EXIT_INVALID
    messages = validate_full_spdx_document(document)
    for m in messages:
        print(f"{path}: SPDX: {m.validation_message} (context: {m.context})")
    if messages:
        return EXIT_INVALID
    print(f"{path}: valid {document.creation_info.spdx_version} document")
    return 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("cyclonedx", "cyclonedx-xml", "spdx"):
        print(__doc__.strip(), file=sys.stderr)
        return EXIT_USAGE
    fmt, paths = argv[1], argv[2:]
    for path in paths:
        try:
            open(path, "rb").close()
        except OSError as e:
            print(f"validate-sbom: {e}", file=sys.stderr)
            return EXIT_USAGE
    check = {
        "cyclonedx": validate_cyclonedx_json,
        "cyclonedx-xml": validate_cyclonedx_xml,
        "spdx": validate_spdx,
    }[fmt]
    worst = 0
    for path in paths:
        rc = check(path)
        if rc == EXIT_MISSING:
            return rc
        worst = max(worst, rc)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv))
