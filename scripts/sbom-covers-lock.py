#!/usr/bin/env python3
"""Checks that a CycloneDX SBOM lists every crate of Cargo.lock that can end up in the binary.

Usage: sbom-covers-lock.py SBOM.json Cargo.lock

Every registry package of Cargo.lock must be a component of the SBOM, except those that only
tests and benchmarks use (dev-dependencies, reported by `cargo tree -e dev`): they are printed
with the reason, never silently dropped. Exit 1 when a crate is missing.
"""
import json
import subprocess
import sys
import tomllib


def lock_packages(path):
    with open(path, "rb") as f:
        lock = tomllib.load(f)
    return {(p["name"], p["version"]) for p in lock["package"] if p.get("source", "").startswith("registry+")}


def sbom_packages(path):
    with open(path) as f:
        sbom = json.load(f)
    found = set()

    def walk(components):
        for c in components or []:
            found.add((c["name"], c["version"]))
            walk(c.get("components"))

    walk(sbom.get("components"))
    return found


def shipped_packages():
    """Crates reachable from tailor-cli through normal and build edges, on every target."""
    out = subprocess.run(
        ["cargo", "tree", "-p", "tailor-cli", "-e", "normal,build", "--target", "all", "--prefix", "none",
         "--format", "{p}", "--no-dedupe", "--locked"],
        check=True, capture_output=True, text=True).stdout
    shipped = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("v"):
            shipped.add((parts[0], parts[1][1:]))
    return shipped


def main():
    sbom_path, lock_path = sys.argv[1:3]
    lock, sbom, shipped = lock_packages(lock_path), sbom_packages(sbom_path), shipped_packages()
    missing = sorted((lock & shipped) - sbom)
    dev_only = sorted(lock - shipped)
    for name, version in dev_only:
        print(f"sbom: {name} {version}: test/bench-only dependency, not in the binary")
    if missing:
        for name, version in missing:
            print(f"sbom: MISSING {name} {version}", file=sys.stderr)
        sys.exit(1)
    print(f"sbom: {len(lock & shipped)} shipped crates of Cargo.lock, all in the SBOM; "
          f"{len(dev_only)} test/bench-only crates not shipped")


if __name__ == "__main__":
    main()
