"""What a release's publication and report are built from, as one digest: a release is rebuilt only when it changes.

A release's published marts and report are a function of
  * the code and rules: every file under orchestration/, dbt_project/ (models, macros, seeds = the rule tables,
    tests, dbt_project.yml) and expectations/, and the versions of the packages that compute (duckdb, dbt, GX ...);
  * the reference inputs (every file under <raw dir>/reference/), which every release reads;
  * the files of its own report year (both stages: the preview-to-public diff and the CDE-list layouts of a year
    use both) and of every earlier report year (the Change, DA Year 2, ESSA entry and exit rules and the report's
    trends look back), each by its sha256.
Nothing in a release's publication reads a later year (publisher.py scopes each table to the release or its year),
so a new 2025 file leaves the digests of 2017-2024 as they were and their publications untouched.

`cadash build` skips a release whose publication and report carry its current digest, when the warehouse holds it;
the publish and report assets write the digest beside what they publish. Digests are sha256 hex strings.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from orchestration.ingest.loader import file_sha256
from orchestration.releases.discovery import REFERENCE_DIR, Release, release_dir

# the code and rules a build runs, relative to the repository root; folders are walked whole (but for caches)
CODE_PATHS = ("orchestration", "dbt_project/models", "dbt_project/macros", "dbt_project/seeds",
              "dbt_project/tests", "dbt_project/dbt_project.yml", "dbt_project/packages.yml", "expectations")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", "target", "dbt_packages", "logs"}
# the packages whose versions decide what is computed and written
DEPENDENCIES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great_expectations", "pandas",
                "jinja2")


def dependency_versions() -> dict[str, str]:
    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _files_under(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and not p.suffix == ".pyc" and not SKIPPED_PARTS.intersection(p.relative_to(root).parts))


def code_digest(repo: Path) -> str:
    """sha256 over the path and bytes of every code and rule file, and the dependency versions."""
    digest = hashlib.sha256(json.dumps(dependency_versions(), sort_keys=True).encode())
    for relative in CODE_PATHS:
        for path in _files_under(repo / relative):
            digest.update(str(path.relative_to(repo)).encode() + b"\0")
            digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def _folder_files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): file_sha256(p) for p in _files_under(folder)}


def release_digests(raw_dir: Path, releases: list[Release], repo: Path) -> dict[str, str]:
    """The digest of each release (see the module's docstring), keyed by release key."""
    code = code_digest(repo)
    reference = _folder_files(raw_dir / REFERENCE_DIR)
    files = {r.key: _folder_files(release_dir(raw_dir, r)) for r in releases}
    out = {}
    for release in releases:
        inputs = {k: v for k, v in files.items() if Release.parse(k).report_year <= release.report_year}
        payload = json.dumps({"code": code, "reference": reference, "releases": inputs}, sort_keys=True)
        out[release.key] = hashlib.sha256(payload.encode()).hexdigest()
    return out
