"""The publication folder: the one owner of its layout, used by the publisher, the report, the freshness check and
the CLI.

    <publish dir>/
      .versions/<release>-<build id>/   one complete publication: Parquet per mart, snapshot.duckdb, manifest.json
      <release> -> .versions/...        a symlink, switched atomically (a new link renamed over the old one)
      latest    -> <newest public release>
      reports/                          the HTML report, the same layout with index.html as each version's marker
        index.html                      the releases that have a report
        .versions/..., <release> -> ..., latest -> ...

A version is written into a staging directory beside `.versions/`, renamed into `.versions/` and only then made
visible by switching the release's link; a failure before the switch removes the staging directory, so a reader of
`<dir>/<release>/...` sees the previous version or the new one, never a mix. The version a link leaves is removed
(readers with open files keep them: POSIX).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from orchestration.releases.discovery import Release

VERSIONS_DIR = ".versions"
LATEST = "latest"
MANIFEST = "manifest.json"
REPORTS_DIR = "reports"
REPORT_MARKER = "index.html"
BUILD_RECORD = "build.json"    # in a report version: the release and the inputs digest of the publication it read

T = TypeVar("T")


class StagingFailed(RuntimeError):
    """Writing the new version failed; the staging directory is gone and the previous version is as it was."""


class SwitchFailed(RuntimeError):
    """The new version was written but its link could not be switched; the previous version is as it was."""


def unwritable_reason(publish_dir: Path) -> str | None:
    """Why nothing could be published under `publish_dir` (None when it can be): asked before a build starts, so a
    publish path that is a file, or lies under one, or in a folder this user cannot write, fails in a second
    instead of after the whole build. (A disk that fills up during the build is still caught when publishing.)"""
    path = Path(publish_dir)
    if path.exists():
        if not path.is_dir():
            return f"{path} exists and is not a directory"
        return None if os.access(path, os.W_OK | os.X_OK) else f"{path} is not writable"
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} (on the way to {path}) is not a directory"
    return None if os.access(parent, os.W_OK | os.X_OK) else f"{parent} is not writable, so {path} cannot be made"


@dataclass(frozen=True)
class StagedVersion:
    """A complete version of a release under `.versions/`, not yet linked (VersionedDir.stage -> switch)."""

    release: str
    version: Path


@dataclass(frozen=True)
class VersionedDir:
    """A directory of releases, each a link to a complete version directory holding `marker`."""

    root: Path
    marker: str

    @classmethod
    def publications(cls, publish_dir: Path) -> VersionedDir:
        return cls(Path(publish_dir).resolve(), MANIFEST)

    @classmethod
    def reports(cls, publish_dir: Path) -> VersionedDir:
        return cls(Path(publish_dir).resolve() / REPORTS_DIR, REPORT_MARKER)

    # ------------------------------------------------------------------------------------------------- reading
    def releases(self) -> list[Release]:
        """The releases linked by name (not `latest`) to a version holding the marker, in time order; other names
        are ignored."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.is_symlink() and path.name != LATEST and (path / self.marker).is_file():
                try:
                    found.append(Release.parse(path.name))
                except ValueError:
                    continue
        return sorted(found, key=Release.sort_key)

    def newest_public(self) -> str | None:
        public = [r for r in self.releases() if r.stage == "public"]
        return public[-1].key if public else None

    def latest(self) -> str | None:
        link = self.root / LATEST
        return os.readlink(link) if link.is_symlink() else None

    def path(self, release: str) -> Path:
        """Where readers open the release (through its link)."""
        return self.root / release

    def manifest(self, release: str) -> dict | None:
        """The release's manifest.json, or None when it is not published."""
        path = self.root / release / MANIFEST
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def build_record(self, release: str) -> dict | None:
        """The release's build.json (a report's: what it was built from), or None when there is none."""
        path = self.root / release / BUILD_RECORD
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    # ------------------------------------------------------------------------------------------------- writing
    def replace(self, release: str, write: Callable[[Path], T]) -> tuple[Path, T]:
        """`write(staging_dir)` fills a new version of `release`; then the release's link (and `latest`) switch to
        it and the version it left is removed. Returns the new version directory and what `write` returned.
        Raises StagingFailed or SwitchFailed (with the cause chained); either way the previous version stands."""
        staged, result = self.stage(release, write)
        return self.switch(staged), result

    def stage(self, release: str, write: Callable[[Path], T]) -> tuple[StagedVersion, T]:
        """The first half of `replace`: `write(staging_dir)` fills a new version, which is renamed into
        `.versions/` but not linked, so readers do not see it yet. Several releases may be staged at once (worker
        processes); `switch` makes each visible, one at a time. Raises StagingFailed (the staging directory is
        removed)."""
        Release.parse(release)   # a malformed key is an error before anything is written
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        staging = self.root / f".staging-{release}-{uuid.uuid4().hex[:12]}"
        version = self.root / VERSIONS_DIR / f"{release}-{build_id}"
        try:
            (self.root / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            result = write(staging)
            os.rename(staging, version)
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StagingFailed(str(exc)) from exc
        return StagedVersion(release, version), result

    def switch(self, staged: StagedVersion) -> Path:
        """The second half of `replace`: the release's link (and `latest`) switch to the staged version and the
        version the link left is removed. Raises SwitchFailed; the previous version then stands. Not safe to call
        from two processes at once (`latest` is chosen from the links present): the caller switches in turn."""
        link = self.root / staged.release
        previous = os.readlink(link) if link.is_symlink() else None
        target = os.path.relpath(staged.version, self.root)
        try:
            switch_link(link, target)
            newest = self.newest_public()
            if newest is not None:
                switch_link(self.root / LATEST, newest)
        except OSError as exc:
            if not link.is_symlink() or os.readlink(link) != target:
                shutil.rmtree(staged.version, ignore_errors=True)
            raise SwitchFailed(str(exc)) from exc
        if previous is not None and previous != target:
            shutil.rmtree(self.root / previous, ignore_errors=True)
        return staged.version

    def write_file(self, name: str, text: str) -> None:
        """A file at the root (e.g. the reports' index.html), written to a temporary name and renamed over."""
        temporary = self.root / f".{name}.{uuid.uuid4().hex}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.root / name)


def switch_link(link: Path, target: str) -> None:
    """Point `link` at `target` atomically: make a new link beside it and rename it over the old one."""
    temporary = link.with_name(f".{link.name}.{uuid.uuid4().hex}.link")
    os.symlink(target, temporary)
    os.replace(temporary, link)


def tree_state(path: Path) -> dict[str, str]:
    """The byte-for-byte state of a folder (a publication, a report tree): the sha256 of every file under it, links
    followed, and every link's target as "<relative path> ->". Two equal states mean the same bytes and the same
    links; a missing folder has the empty state."""
    import hashlib

    state: dict[str, str] = {}
    if not path.exists():
        return state
    for root, dirs, files in os.walk(path, followlinks=True):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = Path(root) / name
            if full.is_symlink():
                state[f"{full.relative_to(path)} ->"] = os.readlink(full)
            else:
                state[str(full.relative_to(path))] = hashlib.sha256(full.read_bytes()).hexdigest()
    return state
