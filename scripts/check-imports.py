#!/usr/bin/env python3
"""make lint: every module a target imports is declared in its Package.swift entry.

SwiftPM's --explicit-target-dependency-import-check only checks targets of this package against
each other; a product of another package (Logging, PostgresNIO, ServiceLifecycle, ...) that a target
imports without declaring it still builds, through another dependency's visibility, and breaks
when that dependency changes. This reads the manifest (`swift package dump-package`) and each
target's sources, and fails naming every import its entry does not declare.

Product names are taken as the module names they vend, which holds for every package this
project uses; a product vending another module name goes in PRODUCT_MODULES.
"""
import json
import os
import re
import subprocess
import sys

# Modules of the toolchain and the platform: not declared in any manifest.
TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Synchronization",
    "Testing", "XCTest", "Glibc", "Musl", "Darwin", "os", "Swift", "_Concurrency", "Observation",
}
# Products whose module name differs from the product name.
PRODUCT_MODULES: dict[str, list[str]] = {}

IMPORT = re.compile(r"^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def main() -> int:
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                         capture_output=True, text=True).stdout)
    problems = []
    for target in manifest["targets"]:
        if target["type"] == "system":
            continue
        declared = set()
        for dep in target["dependencies"]:
            kind, value = next(iter(dep.items()))
            name = value[0]
            declared.add(name)
            if kind == "product":
                declared.update(PRODUCT_MODULES.get(name, []))
        folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", target["name"])
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for file in sorted(files):
                if not file.endswith(".swift"):
                    continue
                path = os.path.join(directory, file)
                with open(path, encoding="utf-8") as f:
                    # Multi-line string literals (a test's embedded Python, say) are not imports.
                    text = re.sub(r'"""(?s:.*?)"""', "", f.read())
                for module in sorted(set(IMPORT.findall(text))):
                    if module in TOOLCHAIN or module in declared or module == target["name"]:
                        continue
                    problems.append(f"{os.path.relpath(path, root)}: imports {module}, which target "
                                    f"{target['name']} does not declare in Package.swift")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
