"""What a git pack holds, read within bounds: its objects (deltas applied by dulwich), and the YAML files of a
commit's tree.

A pack comes from a server that may be hostile: every object's declared size, every delta's result and the
sum of them all are checked against one limit before anything is inflated or applied, names in trees are
checked before they become paths, and a pack whose checksum or object count does not add up is refused.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from dulwich.objects import Commit, Tag
from dulwich.pack import apply_delta

TYPE_NAMES = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}
OFS_DELTA, REF_DELTA = 6, 7
CHUNK = 65536
YAML_SUFFIXES = (b".yaml", b".yml")
TREE, LINK, GITLINK = 0o040000, 0o120000, 0o160000


class PackError(Exception):
    """The pack cannot be read: its words say why, fit to follow "the server sent a pack that ...". """


@dataclass(frozen=True)
class YamlFile:
    path: bytes  # relative, `/`-separated, every part checked
    blob: str  # hex object id
    link: bool  # a symbolic link: the blob is its target


def unpack(pack: bytes, limit: int) -> dict[str, tuple[int, bytes]]:
    """{hex object id: (type number, content)} of every object in `pack`, none of them, nor all of them
    together, larger than `limit` bytes."""
    if len(pack) < 32 or pack[:4] != b"PACK" or int.from_bytes(pack[4:8], "big") not in (2, 3):
        raise PackError("is not a git pack")
    if hashlib.sha1(memoryview(pack)[:-20]).digest() != pack[-20:]:
        raise PackError("does not match its checksum")
    count, offset, total = int.from_bytes(pack[8:12], "big"), 12, 0
    objects: dict[str, tuple[int, bytes]] = {}
    at_offset: dict[int, tuple[int, bytes]] = {}
    by_name: list[tuple[bytes, bytes]] = []  # (base id, delta) whose base is named by its id
    end = len(pack) - 20
    for _ in range(count):
        start = offset
        kind, size, base, offset = _header(pack, offset, end)
        if size > limit or total + size > limit:
            raise PackError(f"unpacks to more than {limit} bytes")
        data, offset = _inflate(pack, offset, end, size)
        total += size
        if kind == OFS_DELTA:
            if base not in at_offset:
                raise PackError("has a delta whose base is not in it")
            kind, data = at_offset[base][0], _apply(at_offset[base][1], data, limit)
            total += len(data)
        elif kind == REF_DELTA:
            by_name.append((base, data))
            continue
        if kind not in TYPE_NAMES or total > limit:
            raise PackError(f"holds an object of unknown type {kind}" if kind not in TYPE_NAMES
                            else f"unpacks to more than {limit} bytes")
        at_offset[start] = (kind, data)
        objects[_object_id(kind, data)] = (kind, data)
    if offset != end:
        raise PackError("has bytes after its last object")
    while by_name:  # bases named by id may come after their deltas: resolve until nothing moves
        pending = [(b, d) for b, d in by_name if b.hex() not in objects]
        for base, delta in (p for p in by_name if p[0].hex() in objects):
            kind, data = objects[base.hex()][0], _apply(objects[base.hex()][1], delta, limit)
            total += len(data)
            if total > limit:
                raise PackError(f"unpacks to more than {limit} bytes")
            objects[_object_id(kind, data)] = (kind, data)
        if len(pending) == len(by_name):
            raise PackError("has a delta whose base is not in it")
        by_name = pending
    return objects


def _header(pack: bytes, offset: int, end: int) -> tuple[int, int, int | bytes | None, int]:
    """(type, size, delta base: an offset, an id or None, offset of the compressed data)."""
    start = offset
    try:
        byte = pack[offset]
        kind, size, shift, offset = (byte >> 4) & 7, byte & 15, 4, offset + 1
        while byte & 0x80:
            byte = pack[offset]
            size, shift, offset = size | (byte & 0x7F) << shift, shift + 7, offset + 1
        base = None
        if kind == OFS_DELTA:
            byte = pack[offset]
            distance, offset = byte & 0x7F, offset + 1
            while byte & 0x80:
                byte = pack[offset]
                distance, offset = ((distance + 1) << 7) | (byte & 0x7F), offset + 1
            base = start - distance
        elif kind == REF_DELTA:
            base, offset = bytes(pack[offset:offset + 20]), offset + 20
    except IndexError:
        raise PackError("ends inside an object") from None
    if offset > end or shift > 70:
        raise PackError("ends inside an object")
    return kind, size, base, offset


def _inflate(pack: bytes, offset: int, end: int, size: int) -> tuple[bytes, int]:
    """The `size` bytes of the zlib stream at `offset`, and where it ends; fed in chunks so that zlib never
    copies the rest of the pack as unused data."""
    inflater, out, view = zlib.decompressobj(), [], memoryview(pack)
    got = 0
    try:
        while not inflater.eof:
            if offset >= end:
                raise PackError("ends inside an object")
            chunk = view[offset:min(offset + CHUNK, end)]
            data = inflater.decompress(chunk, size + 1 - got)
            if inflater.unconsumed_tail:
                raise PackError("holds an object larger than it says")
            got += len(data)
            out.append(data)
            offset += len(chunk) - len(inflater.unused_data)
    except zlib.error:
        raise PackError("holds data that does not inflate") from None
    if got != size:
        raise PackError("holds an object of another size than it says")
    return b"".join(out), offset


def _apply(base: bytes, delta: bytes, limit: int) -> bytes:
    position = 0
    for _ in range(2):  # the base's size, then the result's
        size = shift = 0
        while True:
            if position >= len(delta):
                raise PackError("holds a delta without its sizes")
            byte = delta[position]
            size, shift, position = size | (byte & 0x7F) << shift, shift + 7, position + 1
            if not byte & 0x80:
                break
    if size > limit:
        raise PackError(f"unpacks to more than {limit} bytes")
    try:
        return b"".join(apply_delta(base, delta))
    except Exception as error:  # noqa: BLE001 (dulwich's ApplyDeltaError, or an assertion in its C code)
        raise PackError(f"holds a delta that does not apply ({type(error).__name__})") from None


def _object_id(kind: int, data: bytes) -> str:
    digest = hashlib.sha1(b"%s %d\0" % (TYPE_NAMES[kind], len(data)))
    digest.update(data)
    return digest.hexdigest()


def commit_tree(objects: dict[str, tuple[int, bytes]], commit: str) -> str:
    """The id of the root tree of `commit` (an annotated tag is peeled to its commit)."""
    for _ in range(10):
        kind, data = objects.get(commit, (None, b""))
        if kind == 4:
            commit = Tag.from_raw_string(4, data).object[1].decode()
            continue
        if kind != 1:
            raise PackError(f"lacks the commit {commit}")
        return Commit.from_raw_string(1, data).tree.decode()
    raise PackError("holds a chain of tags too long to follow")


def yaml_files(objects: dict[str, tuple[int, bytes]], tree: str) -> list[YamlFile]:
    """Every `*.yaml` and `*.yml` file (or link) below `tree`, as a sparse checkout of those patterns has
    them. A name that could leave the folder or reach into `.git` is refused, never made a path."""
    found, stack = [], [(b"", tree)]
    while stack:
        prefix, tree_id = stack.pop()
        kind, data = objects.get(tree_id, (None, b""))
        if kind != 2:
            raise PackError(f"lacks the tree {tree_id}")
        entries = _tree_entries(data, tree_id)
        if len({entry[0] for entry in entries}) != len(entries):  # a link and a folder of one name: a way out
            raise PackError(f"holds a tree that names one file twice ({tree_id})")
        for name, mode, sha in entries:
            if name in (b"", b".", b"..") or b"/" in name or b"\0" in name or name.lower() == b".git":
                raise PackError(f"holds a tree with the file name {name!r}, which git itself refuses")
            kind_bits = mode & 0o170000
            if kind_bits == TREE:
                stack.append((prefix + name + b"/", sha))
            elif kind_bits != GITLINK and name.endswith(YAML_SUFFIXES):
                found.append(YamlFile(prefix + name, sha, kind_bits == LINK))
    return sorted(found, key=lambda f: f.path)


def _tree_entries(data: bytes, tree_id: str) -> list[tuple[bytes, int, str]]:
    """(name, mode, hex id) of every entry, as written: duplicates stay visible, unlike in a parsed Tree."""
    entries, position = [], 0
    try:
        while position < len(data):
            space = data.index(b" ", position)
            end = data.index(b"\0", space)
            mode, name, sha = int(data[position:space], 8), data[space + 1:end], data[end + 1:end + 21]
            if len(sha) != 20:
                raise ValueError
            entries.append((name, mode, sha.hex()))
            position = end + 21
    except ValueError:
        raise PackError(f"holds a tree that cannot be read ({tree_id})") from None
    return entries
