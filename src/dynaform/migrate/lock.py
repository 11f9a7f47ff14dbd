"""Leases in the control table: the environment's migration lock and each backfill segment.

A lease is an item with a holder, a random token and an expiry (epoch milliseconds). It is
taken with a conditional write (free, or expired), renewed by a heartbeat thread every third of
its length while its holder works, and released with a write conditional on the token. A holder
killed with SIGKILL renews nothing: its lease expires and the next run takes it over.
Expiry compares clocks of different machines, so the lease (60 s unless
DYNAFORM_MIGRATE_LEASE says otherwise) must be far longer than their skew.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from dynaform.migrate.control import ControlTable, iso, now_ms

LOCK = ("lock", "lock")
DEFAULT_SECONDS = 60.0


def lease_seconds(environ: dict[str, str] | None = None) -> float:
    raw = (environ if environ is not None else os.environ).get("DYNAFORM_MIGRATE_LEASE", "")
    try:
        return max(1.0, float(raw)) if raw else DEFAULT_SECONDS
    except ValueError:
        return DEFAULT_SECONDS


def who_am_i() -> str:
    """``user@host pid N``: enough to find the process, and to tell a dead one on this host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def holder_is_gone(who: str) -> bool | None:
    """True when ``who`` was a process on this host that no longer runs; None: cannot tell
    (another host)."""
    try:
        host_part, pid_part = who.rsplit(" pid ", 1)
        host = host_part.split("@", 1)[1]
        pid = int(pid_part.split()[0])
    except (ValueError, IndexError):
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as read from the control table."""

    who: str
    token: str
    since: str
    expires: int  # epoch ms
    migration: str = ""
    backfill: str = ""  # "<migration id>#<n>" while a backfill runs: others may join it
    checksum: str = ""

    @classmethod
    def of(cls, item: dict[str, Any]) -> Holder:
        return cls(
            who=item.get("who", ""),
            token=item.get("token", ""),
            since=item.get("since", ""),
            expires=int(item.get("expires", 0)),
            migration=item.get("migration", ""),
            backfill=item.get("backfill", ""),
            checksum=item.get("checksum", ""),
        )

    def expired(self) -> bool:
        return self.expires < now_ms()

    def describe(self) -> str:
        doing = f", running {self.migration}" if self.migration else ""
        return f"{self.who} since {self.since}{doing}"


def free_or_expired(extra: str = "") -> tuple[str, dict[str, Any]]:
    condition = "(attribute_not_exists(PK) OR #expires < :now)"
    return condition + (f" AND {extra}" if extra else ""), {"now": now_ms()}


def mine(token: str) -> tuple[str, dict[str, Any]]:
    return "#token = :tok", {"tok": token}


class Heartbeat:
    """Renews every registered lease every third of its length; a lease it cannot renew (taken
    over) is reported lost, and whoever works under it stops at its next conditional write."""

    def __init__(self, control: ControlTable, seconds: float) -> None:
        self.control = control
        self.seconds = seconds
        self._leases: dict[tuple[str, str], str] = {}
        self.lost: set[tuple[str, str]] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="dynaform-lease")

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def add(self, key: tuple[str, str], token: str) -> None:
        with self._guard:
            self._leases[key] = token
            self.lost.discard(key)

    def remove(self, key: tuple[str, str]) -> None:
        with self._guard:
            self._leases.pop(key, None)

    def holds(self, key: tuple[str, str]) -> bool:
        with self._guard:
            return key in self._leases

    def expiry(self) -> int:
        return now_ms() + int(self.seconds * 1000)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            with self._guard:
                leases = list(self._leases.items())
            for key, token in leases:
                try:
                    kept = self.renew(key, token)
                except Exception:  # an endpoint hiccup: the next beat tries again
                    continue
                if not kept:
                    with self._guard:
                        self.lost.add(key)
                        self._leases.pop(key, None)

    def renew(self, key: tuple[str, str], token: str) -> bool:
        return self.control.set(*key, {"expires": self.expiry()}, mine(token))


class Lock:
    """The environment's migration lock."""

    def __init__(self, control: ControlTable, heartbeat: Heartbeat, who: str) -> None:
        self.control = control
        self.heartbeat = heartbeat
        self.who = who
        self.token = uuid.uuid4().hex
        self.held = False

    def holder(self) -> Holder | None:
        item = self.control.get(*LOCK)
        return Holder.of(item) if item else None

    def acquire(self) -> Holder | None:
        """Take the lock; None when taken, else whoever holds it."""
        values = {
            "who": self.who,
            "token": self.token,
            "since": iso(),
            "expires": self.heartbeat.expiry(),
        }
        if self.control.put(*LOCK, values, free_or_expired()):
            self.held = True
            self.heartbeat.add(LOCK, self.token)
            return None
        found = self.holder()
        if found is None:  # released between the two calls: try once more
            return self.acquire()
        return found

    def publish(self, *, migration: str = "", backfill: str = "", checksum: str = "") -> None:
        """Say what runs, so `status` can show it and others can join its backfill."""
        values = {"migration": migration, "backfill": backfill, "checksum": checksum}
        self.control.set(*LOCK, values, mine(self.token))

    def lost(self) -> bool:
        return LOCK in self.heartbeat.lost

    def release(self) -> None:
        if not self.held:
            return
        self.heartbeat.remove(LOCK)
        self.control.delete(*LOCK, mine(self.token))
        self.held = False
