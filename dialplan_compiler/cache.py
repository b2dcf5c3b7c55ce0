"""Remembering what `dialplan check` found in files that have not changed.

An entry holds the diagnostics of one check, under a key made of
everything they depend on: the file's bytes and the name it is shown
under, the effective configuration (what `select`, `ignore` and `from`
say, and where they were read), the rule set, dialplan's version and the
stat of its own modules (so that an upgrade or an edited install never
reuses an answer), and the Python version. A changed input is a different
key, so an entry is never stale; it is only ever unused.

A run writes what it found as one pack file, under a temporary name renamed
into place, so runs at the same time (two pre-commit hooks, CI jobs sharing
a folder) never see half a pack, and a run with nothing new writes nothing
(one file per entry cost more in file-system work than the checks saved).
A run that finds many packs merges them into one, leaving out entries
written long ago. A pack or entry that cannot be read is a miss: the file is
checked again and its entry written anew. Warnings
and errors are remembered too, so a cached run prints exactly what the
first one printed and exits with the same code.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from . import __version__
from .config import Config
from .diagnostics import Diagnostic, Fix, Related, Severity
from .nodes import Span

#: The folder used when no --cache-dir is given, in the current directory.
DEFAULT_FOLDER = ".dialplan_cache"
#: Bumped whenever the layout of an entry changes.
LAYOUT = "1"
#: When a run finds this many packs, it merges them into one.
MAX_PACKS = 8
#: At a merge, entries written longer ago than this are left out.
MAX_AGE_DAYS = 30


class CacheError(Exception):
    """A cache folder that was asked for by name but cannot be used."""


class Cache:
    """Entries in `folder`; see the module's docstring."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.entries = os.path.join(folder, f"v{LAYOUT}")
        self.salt = _installation()
        self._effective: dict[int, tuple[Config, Any]] = {}  # each configuration's part of a key
        self._entries: dict[str, list] | None = None  # key → [time written, diagnostics]
        self._packs: list[str] = []
        self._new: dict[str, list] = {}

    @classmethod
    def open(cls, folder: str | None) -> Cache | None:
        """The cache in `folder` (default: DEFAULT_FOLDER), created if
        missing. A default folder that cannot be created means no cache;
        one named explicitly raises CacheError."""
        where = folder or DEFAULT_FOLDER
        cache = cls(where)
        try:
            if not os.path.isdir(cache.entries):
                os.makedirs(cache.entries, exist_ok=True)
                _mark(where)
        except OSError as error:
            if folder is None:
                return None
            raise CacheError(f"cannot use the cache folder {folder}: "
                             f"{error.strerror or error}") from None
        from . import values

        # Numbers in changed files are mostly numbers seen before.
        values.judged_phones = values.JudgedPhones(os.path.join(where, "phones"))
        return cache

    def key(self, data: bytes, name: str, config: Config) -> str:
        effective = self._effective.get(id(config))
        if effective is None or effective[0] is not config:
            from .digests import blake2b

            # What every file under this configuration shares (the salt is a
            # few kilobytes) is hashed once; each key continues a copy.
            shared = blake2b(digest_size=20)
            shared.update(f"{self.salt}\0{config.select!r}\0{config.ignore!r}\0"
                          f"{config.default_sender!r}\0{config.path}\0".encode(
                              "utf-8", "surrogateescape"))
            effective = self._effective[id(config)] = (config, shared)
        digest = effective[1].copy()
        digest.update(f"{name}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> tuple[Diagnostic, ...] | None:
        """The diagnostics remembered under `key`; None if there are none
        (or the entry is damaged, which is the same thing)."""
        entry = self._known().get(key)
        if entry is None:
            return None
        try:
            return tuple(_diagnostic(item) for item in entry[1])
        except Exception:  # noqa: BLE001 - any damage to an entry makes it a miss
            return None

    def put(self, key: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        """Remember `diagnostics` under `key`, written by `save`."""
        self._new[key] = [int(time.time()), _encoded(diagnostics)]

    def save(self) -> None:
        """Write what this run found as one new pack, named for this run and
        renamed into place whole; merge the packs when there are many. A
        cache that cannot be written is only a slower next run, so that is
        not an error."""
        if not self._new:
            return
        import json

        merge = len(self._packs) >= MAX_PACKS
        entries = dict(self._new)
        if merge:  # the packs read at the start become one, without entries gone stale
            oldest = time.time() - MAX_AGE_DAYS * 86400
            entries = {key: entry for key, entry in {**self._known(), **self._new}.items()
                       if entry[0] >= oldest}
        name = f"pack-{time.time_ns()}-{os.getpid()}.json"
        temporary = os.path.join(self.entries, f".{name}.tmp")
        try:
            with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as handle:
                json.dump(entries, handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(temporary, os.path.join(self.entries, name))
        except OSError:
            _remove(temporary)
            return
        if merge:
            for pack in self._packs:  # a run reading one of them now just misses
                _remove(os.path.join(self.entries, pack))

    def _known(self) -> dict[str, list]:
        """Every entry of the packs in the folder, read once."""
        if self._entries is None:
            self._entries = {}
            try:
                self._packs = sorted(n for n in os.listdir(self.entries)
                                     if n.startswith("pack-") and n.endswith(".json"))
            except OSError:
                self._packs = []
            for pack in self._packs:
                import json

                try:
                    with open(os.path.join(self.entries, pack), encoding="utf-8",
                              errors="surrogateescape") as handle:
                        found = json.load(handle)
                    self._entries.update((key, entry) for key, entry in found.items()
                                         if isinstance(entry, list) and len(entry) == 2
                                         and isinstance(entry[0], int))
                except Exception:  # noqa: BLE001 - a damaged pack is a pack of misses
                    # Packs are renamed into place whole: this one will never read.
                    _remove(os.path.join(self.entries, pack))
        return self._entries


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _mark(folder: str) -> None:
    """Tell git and backup tools that the folder is a cache."""
    for name, text in ((".gitignore", "# created by dialplan: a cache, never committed\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# a cache of dialplan check; see "
                                        "https://bford.info/cachedir/\n")):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)


def _installation() -> str:
    """What identifies this dialplan and this Python: the version, each
    module's size and modification time, and the rule set."""
    from . import rules

    package = os.path.dirname(os.path.abspath(__file__))
    stats = []
    for folder, _, names in os.walk(package):
        for name in sorted(names):
            if name.endswith((".py", ".json", ".lark")):
                info = os.stat(os.path.join(folder, name))
                stats.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    ruleset = ",".join(f"{r.code}{r.severity.value[0]}" for r in rules.all_rules())
    return f"{__version__}|{sys.version}|{ruleset}|{'|'.join(stats)}"


# --- entries as JSON --------------------------------------------------------------

def _encoded(diagnostics: tuple[Diagnostic, ...]) -> list:
    return [[d.code, d.severity.value, d.message, list(d.span), d.label, d.help,
             [[list(r.span), r.message] for r in d.related],
             [[list(f.span), f.replacement] for f in d.fixes]]
            for d in diagnostics]


def _diagnostic(item: list) -> Diagnostic:
    code, severity, message, span, label, help, related, fixes = item
    return Diagnostic(code, Severity(severity), message, Span(*span), label, help,
                      tuple(Related(Span(*s), m) for s, m in related),
                      tuple(Fix(Span(*s), r) for s, r in fixes))
