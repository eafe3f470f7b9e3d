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
from insights.catalog.model import WARNING, Entity, cut
from insights.catalog.parse import parse_file
from insights.catalog.placeholders import guarded
from insights.catalog.settings import CrawlSettings
from insights.catalog.urls import inside_repository, is_url, mask_url, resolve_url

GLOB_CHARACTERS = "*?["
# Each `**` of a glob walks every folder below where it stands, so k of them cost depth^k: real targets use one.
MAX_RECURSIVE_SEGMENTS = 2


def resolved(path: Path) -> Path | None:
    """`path` with its links resolved; None for a link loop or a name the system refuses."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, links resolved, is `root` or below it."""
    real = resolved(path)
    return real is not None and real.is_relative_to(root)


def _collapsed(glob: str) -> str:
    """`glob` with each run of `**` segments made one (`**/**` matches what `**` does)."""
    parts: list[str] = []
    for part in glob.split("/"):
        if not (part == "**" and parts and parts[-1] == "**"):
            parts.append(part)
    return "/".join(parts)


def _is_file(path: Path) -> bool:
    """Whether `path` is a regular file; a name the system refuses (too long, say) is none."""
    try:
        return path.is_file()
    except OSError:
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
        self.finding("location-escapes-root", f"Location target {cut(target)} points {how}; targets must stay inside "
                     "the repository", origin, location.line, location.ref)

    def resolve(self, target: str, path: Path) -> str | None:
        """The path `target` names from the file `path`, or None when it leaves the root."""
        base = self.root if target.startswith("/") else path.parent
        joined = os.path.normpath(os.path.join(base, target.lstrip("/")))
        return joined if inside(Path(joined), self.root) else None

    def follow_target(self, location: Entity, path: Path, target: str, optional: bool) -> None:
        pattern = self.resolve(target, path)
        if pattern is None:
            self.escape(location, path, target, "outside the repository")
            return
        relative = os.path.relpath(pattern, self.root)
        is_glob = any(c in target for c in GLOB_CHARACTERS)
        if is_glob:
            relative = _collapsed(relative)
            if relative.split("/").count("**") > MAX_RECURSIVE_SEGMENTS:
                self.finding("location-target-invalid", f"Location target {cut(target)} has more than "
                             f"{MAX_RECURSIVE_SEGMENTS} `**` in it, which takes too long to expand; it is not "
                             "followed. Name the folders, or use one `**`", path, location.line, location.ref)
                return
        try:
            matches = sorted(self.root.glob(relative)) if is_glob else [Path(pattern)]
        except OSError:  # a name the system refuses (too long, say) matches nothing
            matches = []
        matches = [m for m in matches if _is_file(m)]
        if not matches and not optional:
            self.finding("location-target-missing", f"Location target {cut(target)} matches no file; fix the path "
                         "(relative to this file's folder, or to the repository root with a leading /) or set "
                         "`presence: optional`", path, location.line, location.ref)
        for match in matches:
            real = resolved(match)
            if real is None or not real.is_relative_to(self.root):
                self.escape(location, path, target, "through a link to outside the repository")
            elif real == path:
                self.finding("location-cycle", f"Location target {cut(target)} points at its own file",
                             path, location.line, location.ref, WARNING)
            else:
                self.read(match)

    def follow_url(self, location: Entity, origin: Path | str, url: str) -> None:
        if url == origin:
            self.finding("location-cycle", f"Location target {cut(mask_url(url))} points at its own file", origin,
                         location.line, location.ref, WARNING)
            return
        if url in self.seen_urls:
            return
        self.seen_urls.add(url)
        try:
            text = fetch_text(url, self.settings)
        except FetchError as error:
            if error.kind == HOST_NOT_ALLOWED:
                self.finding("location-host-not-allowed", f"Location target {cut(mask_url(url))} is not followed: "
                             f"{error.reason}; add the host there to follow it", origin, location.line,
                             location.ref, WARNING)
            else:
                self.finding("location-target-unreachable", f"Location target {cut(mask_url(url))} could not be "
                             f"fetched: {error.reason}; check the URL", origin, location.line, location.ref)
            return
        entities, findings = parse_file(text, source=self.source.label, repository=mask_url(url),
                                        path=mask_url(url), read_target=guarded(url_reader(url, self.settings)))
        self.entities += entities
        self.findings += findings
        for entity in entities:
            if entity.kind == "location":
                self.follow(entity, url)
