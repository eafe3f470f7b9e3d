"""Who began a run, and whether that process is really gone.

A run's row records its owner (host, pid, process start, a random token). Its final status is a
compare-and-set on `(id, owner, status = 'running')`, inside a transaction that holds the lock. A run
that takes the lock marks as `failed` ("interrupted") only the `running` runs whose owner is really
gone: on the same machine (same boot, same pid namespace), the owner's process no longer exists (the
start time guards against a reused pid); elsewhere, it has not beaten for `stale_after` seconds on
PostgreSQL or MariaDB, where every run beats on its row from fresh sessions. A process that lost only its session
keeps beating, so it is left alone; it stops by itself and a later run marks it once it is gone.
Heartbeats are written and judged with the database's clock, never the hosts', so clock skew between
machines does not matter. SQLite runs do not beat: a flock dies with its process, and a beat would be
a write competing with the run's own for the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path


def _machine() -> str:
    """Where a pid means something: this boot of this kernel, in this pid namespace ('' when unknown)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return hashlib.sha256(f"{boot} {os.readlink('/proc/self/ns/pid')}".encode()).hexdigest()[:16]
    except OSError:
        return ""


def _started(pid: int) -> str | None:
    """A process's start time in clock ticks since boot, which a reused pid does not share."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def new_owner() -> str:
    return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "started": _started(os.getpid()),
                       "machine": _machine(), "token": secrets.token_hex(8)}, sort_keys=True)


def describe(owner: str | None) -> str:
    details = _parse(owner)
    return f"host {details['host']}, pid {details['pid']}" if "host" in details else "an unknown process"


def _parse(owner: str | None) -> dict:
    try:
        details = json.loads(owner or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def owner_gone(owner: str | None, heartbeat_at, now, stale_after: float) -> bool:
    """Whether the process that began a run is really gone (see the module's docstring)."""
    details = _parse(owner)
    machine = _machine()
    if machine and details.get("machine") == machine:
        return details.get("started") is None or _started(details.get("pid", -1)) != details["started"]
    return heartbeat_at is None or now - heartbeat_at > timedelta(seconds=stale_after)
