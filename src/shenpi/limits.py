"""Rate limits: every counter of repeated tries, in the one cache all web server processes share.

A counter is a fixed window: the first hit creates the key with the window as its expiry
(`cache.add`), later hits increment it (`cache.incr`, which keeps the expiry). Both steps are
atomic on Redis (SHENPI_CACHE_URL, production) and on the embedded default, `SharedFileCache`
in var/cache, whose add and incr hold a lock file shared by every process of the machine:
two gunicorn workers count into the same number, so a guesser gets no extra tries from them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import zlib
from contextlib import contextmanager

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks
from django.core.files.move import file_move_safe

PREFIX = "limit:"


def key(kind: str, *parts: object) -> str:
    """A counter's key: its kind and what it counts (an address, an account …), hashed when long or personal."""
    subject = ":".join("unknown" if part in (None, "") else str(part) for part in parts)
    if len(subject) > 64 or not subject.isascii():
        subject = hashlib.sha256(subject.encode()).hexdigest()
    return f"{PREFIX}{kind}:{subject}"


def hit(counter: str, window_seconds: int) -> int:
    """One more hit; the number of hits in the window, this one included.

    The window starts at the first hit and is not extended by later ones."""
    window = max(1, int(window_seconds))
    if cache.add(counter, 1, timeout=window):
        return 1
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr: this hit opens the next window
        cache.add(counter, 1, timeout=window)
        return 1


def count(counter: str) -> int:
    """Hits in the counter's current window (0 when none or expired)."""
    return int(cache.get(counter) or 0)


def reached(counter: str, limit: int) -> bool:
    """True once the window holds `limit` hits: the next try is refused."""
    return count(counter) >= limit


def forget(counter: str) -> None:
    cache.delete(counter)


class SharedFileCache(FileBasedCache):
    """Django's file cache, made safe for counters shared by several processes of one machine.

    FileBasedCache checks then writes in `add` and reads then writes in `incr`, so two processes
    can both "add" a key or lose each other's increment; and its `incr` rewrites the entry with
    the default timeout, moving the window. Here both hold an exclusive lock on one lock file,
    and `incr` keeps the entry's expiry.
    """

    _lock_name = "counters.lock"  # not a *.djcache file: culling and clear() leave it alone

    @contextmanager
    def _locked(self):
        self._createdir()
        with open(os.path.join(self._dir, self._lock_name), "ab") as handle:
            locks.lock(handle, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(handle)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked():
            fname = self._key_to_file(key, version)
            try:
                with open(fname, "rb") as handle:
                    if self._is_expired(handle):
                        raise ValueError(f"Key '{key}' not found")
                    handle.seek(0)
                    expiry = pickle.load(handle)  # noqa: S301 - our own file, written by this class
                    value = pickle.loads(zlib.decompress(handle.read()))  # noqa: S301
            except FileNotFoundError:
                raise ValueError(f"Key '{key}' not found") from None
            value += delta
            descriptor, temporary = tempfile.mkstemp(dir=self._dir)
            with open(descriptor, "wb") as handle:
                handle.write(pickle.dumps(expiry, self.pickle_protocol))
                handle.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
            file_move_safe(temporary, fname, allow_overwrite=True)
            return value
