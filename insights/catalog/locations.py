"""Following Location entities as Backstage does (`defaultScmResolveUrl`): a relative target, with or without
`./`, is relative to the folder of the Location's own file; a target starting with `/` is relative to the
repository root; a URL is read as it is (a GitHub or GitLab `blob` URL in its raw form).

A target never leaves its repository, by `../` or by a link; URLs are read only from allowed hosts, and the
Locations inside a fetched file are followed by the same rules, relative targets resolving against its URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from insights.catalog.fetch import HOST_NOT_ALLOWED, FetchError, fetch_text
from insights.catalog.model import WARNING, Entity
from insights.catalog.parse import parse_file
from insights.catalog.placeholders import guarded
from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import inside_repository, is_url, mask_url, resolve_url

GLOB_CHARACTERS = "*?["


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, links resolved, is `root` or below it."""
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, RuntimeError, OSError):
        return False


def targets_of(location: Entity) -> list[str]:
    targets = location.spec.get("targets")
    targets = list(targets) if isinstance(targets, list) else []
    target = location.spec.get("target")
    return [t for t in ([target] if target else []) + targets if isinstance(t, str) and t.strip()]


def url_reader(origin: str, settings: CrawlSettings):
    """`read(target) -> text` for the placeholders (`$text`, `$json`, `$yaml`) of a file fetched from the URL
    `origin`: a relative target resolves against that URL and stays in its repository; a URL is read as it is.
    Both only from allowed hosts; raises FetchError with the reason."""

    def read(target: str) -> str:
        url = resolve_url(target, origin)
        if not is_url(target) and not inside_repository(url, origin):
            raise FetchError(url, "it points outside the repository of the file that names it")
        return fetch_text(url, settings)

    return read


class LocationFollower:
    """What a crawl of one root does with a Location entity. The crawl provides `root`, `settings`, `source`,
    `seen_urls`, `entities`, `findings`, `finding(...)` and `read(path)`."""

    def follow(self, location: Entity, origin: Path | str) -> None:
        """Follow each target of `location`, read from the file `origin` (a Path) or the URL `origin`."""
        optional = location.spec.get("presence") == "optional"
        for target in targets_of(location):
            if isinstance(origin, str):
                resolved = resolve_url(target, origin)
                if not inside_repository(resolved, origin) and not is_url(target):
                    self.escape(location, origin, target, "outside the repository of the file that names it")
                else:
                    self.follow_url(location, origin, resolved)
            elif is_url(target):
                self.follow_url(location, origin, target)
            else:
                self.follow_target(location, origin, target, optional)

    def escape(self, location: Entity, origin: Path | str, target: str, how: str) -> None:
        self.finding("location-escapes-root", f"Location target {target} points {how}; targets must stay inside "
                     "the repository", origin, location.line, location.ref)

    def resolve(self, target: str, path: Path) -> str | None:
        """The path `target` names from the file `path`, or None when it leaves the root."""
        base = self.root if target.startswith("/") else path.parent
        resolved = os.path.normpath(os.path.join(base, target.lstrip("/")))
        return resolved if inside(Path(resolved), self.root) else None

    def follow_target(self, location: Entity, path: Path, target: str, optional: bool) -> None:
        pattern = self.resolve(target, path)
        if pattern is None:
            self.escape(location, path, target, "outside the repository")
            return
        relative = os.path.relpath(pattern, self.root)
        matches = sorted(self.root.glob(relative)) if any(c in target for c in GLOB_CHARACTERS) else [Path(pattern)]
        matches = [m for m in matches if m.is_file()]
        if not matches and not optional:
            self.finding("location-target-missing", f"Location target {target} matches no file; fix the path "
                         "(relative to this file's folder, or to the repository root with a leading /) or set "
                         "`presence: optional`", path, location.line, location.ref)
        for match in matches:
            if not inside(match, self.root):
                self.escape(location, path, target, "through a link to outside the repository")
            elif match.resolve() == path:
                self.finding("location-cycle", f"Location target {target} points at its own file",
                             path, location.line, location.ref, WARNING)
            else:
                self.read(match)

    def follow_url(self, location: Entity, origin: Path | str, url: str) -> None:
        if url == origin:
            self.finding("location-cycle", f"Location target {mask_url(url)} points at its own file", origin,
                         location.line, location.ref, WARNING)
            return
        if url in self.seen_urls:
            return
        self.seen_urls.add(url)
        try:
            text = fetch_text(url, self.settings)
        except FetchError as error:
            if error.kind == HOST_NOT_ALLOWED:
                self.finding("location-host-not-allowed", f"Location target {mask_url(url)} is not followed: "
                             f"{error.reason}; add the host there to follow it", origin, location.line,
                             location.ref, WARNING)
            else:
                self.finding("location-target-unreachable", f"Location target {mask_url(url)} could not be "
                             f"fetched: {error.reason}; check the URL", origin, location.line, location.ref)
            return
        entities, findings = parse_file(text, source=self.source.label, repository=mask_url(url),
                                        path=mask_url(url), read_target=guarded(url_reader(url, self.settings)))
        self.entities += entities
        self.findings += findings
        for entity in entities:
            if entity.kind == "location":
                self.follow(entity, url)
