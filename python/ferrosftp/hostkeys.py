"""OpenSSH ``known_hosts`` handling, shaped like ``paramiko.hostkeys``.

:class:`HostKeys` keeps paramiko's mapping API (``lookup``/``check``/``add``/
``load``/``save``, exact and hashed host names only).  On top of it,
:meth:`HostKeys.verify` implements OpenSSH's matching rules for the client's
host key check: wildcards (``*``, ``?``), negation (``!pattern``), hashed
names, ``[host]:port`` entries, and the ``@revoked`` / ``@cert-authority``
markers (which paramiko does not understand and would choke on).
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import MutableMapping

from .pkey import PKey, UnknownKeyType, _blob_type, _plain_type
from .ssh_exception import SSHException
from .util import get_logger

__all__ = ["HostKeys", "HostKeyEntry", "InvalidHostKey", "host_key_name"]

_MARKERS = ("@cert-authority", "@revoked")

# verify() results
MATCH = "match"
MISSING = "missing"
CHANGED = "changed"
REVOKED = "revoked"


def host_key_name(hostname, port=22):
    """The name a host's key is filed under: ``host`` for port 22, else
    ``[host]:port`` (OpenSSH's and paramiko's convention)."""
    if port is None or int(port) == 22:
        return hostname
    return "[{}]:{}".format(hostname, int(port))


class InvalidHostKey(Exception):
    """A known_hosts line whose key field is not valid base64."""

    def __init__(self, line, exc):
        self.line = line
        self.exc = exc
        self.args = (line, exc)


class HostKeyEntry:
    """One line of a known_hosts file: host names (or patterns, or hashed
    names) and a key.  ``marker`` is ``'@cert-authority'``, ``'@revoked'``
    or ``None`` (an ordinary line)."""

    marker = None

    def __init__(self, hostnames=None, key=None, marker=None):
        self.valid = (hostnames is not None) and (key is not None)
        self.hostnames = hostnames
        self.key = key
        if marker is not None:
            self.marker = marker

    @classmethod
    def from_line(cls, line, lineno=None):
        """Parse one known_hosts line (already stripped, not a comment).

        Returns ``None`` for lines with fewer than three fields, unknown
        key types or unknown markers.

        :raises InvalidHostKey: if the key field is not valid base64
        :raises SSHException: if the key data is malformed
        """
        log = get_logger("paramiko.hostkeys")
        fields = line.split()
        marker = None
        if fields and fields[0].startswith("@"):
            marker = fields[0]
            if marker not in _MARKERS:
                log.info("Unknown marker %r in known_hosts line %s", marker, lineno)
                return None
            fields = fields[1:]
        if len(fields) < 3:
            log.info(
                "Not enough fields found in known_hosts in line %s (%r)",
                lineno,
                line,
            )
            return None
        names, key_type, key = fields[:3]
        names = names.split(",")
        try:
            key_bytes = base64.decodebytes(key.encode("utf-8"))
        except binascii.Error as e:
            raise InvalidHostKey(line, e)
        try:
            return cls(names, PKey.from_type_string(key_type, key_bytes), marker)
        except UnknownKeyType:
            log.info("Unable to handle key of type %s", key_type)
            return None

    def to_line(self):
        """The entry as a known_hosts line (with trailing newline), or
        ``None`` if the entry is not valid."""
        if self.valid:
            prefix = (self.marker + " ") if self.marker else ""
            return "{}{} {} {}\n".format(
                prefix,
                ",".join(self.hostnames),
                self.key.get_name(),
                self.key.get_base64(),
            )
        return None

    def __repr__(self):
        if self.marker:
            return "<HostKeyEntry {} {!r}: {!r}>".format(self.marker, self.hostnames, self.key)
        return "<HostKeyEntry {!r}: {!r}>".format(self.hostnames, self.key)


class _SubDict(MutableMapping):
    """The ``{keytype: key}`` view ``HostKeys.lookup`` returns."""

    def __init__(self, hostname, entries, hostkeys):
        self._hostname = hostname
        self._entries = entries
        self._hostkeys = hostkeys

    def __iter__(self):
        for k in self.keys():
            yield k

    def __len__(self):
        return len(self.keys())

    def __delitem__(self, key):
        found = False
        for e in list(self._entries):
            if e.key is not None and e.key.get_name() == key:
                self._entries.remove(e)
                if e in self._hostkeys._entries:
                    self._hostkeys._entries.remove(e)
                found = True
        if not found:
            raise KeyError(key)

    def __getitem__(self, key):
        for e in self._entries:
            if e.key is not None and e.key.get_name() == key:
                return e.key
        raise KeyError(key)

    def __setitem__(self, key, val):
        for e in self._entries:
            if e.key is None:
                continue
            if e.key.get_name() == key:
                e.key = val
                break
        else:
            e = HostKeyEntry([self._hostname], val)
            self._entries.append(e)
            self._hostkeys._entries.append(e)

    def keys(self):
        return [e.key.get_name() for e in self._entries if e.key is not None]


class HostKeys(MutableMapping):
    """An OpenSSH-style known hosts file.

    Acts like a dict ``{hostname: {keytype: PKey}}``; ``hostkeys[name]`` is
    :meth:`lookup`.  Marker lines (``@cert-authority``, ``@revoked``) are
    kept apart in ``_marker_entries``: they never show up in lookups, are
    used by :meth:`verify`, and are written back by :meth:`save`.
    """

    def __init__(self, filename=None):
        self._entries = []
        self._marker_entries = []
        if filename is not None:
            self.load(filename)

    def add(self, hostname, keytype, key):
        """Add a key; replaces the key of an existing ``(hostname,
        keytype)`` entry."""
        for e in self._entries:
            if hostname in e.hostnames and e.key is not None and e.key.get_name() == keytype:
                e.key = key
                return
        self._entries.append(HostKeyEntry([hostname], key))

    def load(self, filename):
        """Merge the keys of an OpenSSH known_hosts file (no ``~``
        expansion).  Blank lines, comments, lines with fewer than three
        fields, unknown key types and malformed keys are skipped.

        :raises IOError: if the file can't be read
        :raises InvalidHostKey: on a key field that is not base64
        """
        with open(filename, "r") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if (len(line) == 0) or (line[0] == "#"):
                    continue
                try:
                    entry = HostKeyEntry.from_line(line, lineno)
                except SSHException:
                    continue
                if entry is None:
                    continue
                if entry.marker:
                    self._marker_entries.append(entry)
                    continue
                # drop names that already map to this very key
                for h in list(entry.hostnames):
                    if self.check(h, entry.key):
                        entry.hostnames.remove(h)
                if len(entry.hostnames):
                    self._entries.append(entry)

    def save(self, filename):
        """Write the keys in OpenSSH format (one line per entry; marker
        lines last).

        :raises IOError: if the file can't be written
        """
        with open(filename, "w") as f:
            for e in self._entries + self._marker_entries:
                line = e.to_line()
                if line:
                    f.write(line)

    def lookup(self, hostname):
        """``{keytype: PKey}`` for ``hostname`` (exact or hashed match, no
        wildcards), or ``None``."""
        entries = [e for e in self._entries if self._hostname_matches(hostname, e)]
        if len(entries) == 0:
            return None
        return _SubDict(hostname, entries, self)

    def _hostname_matches(self, hostname, entry):
        for h in entry.hostnames:
            if h == hostname:
                return True
            if h.startswith("|1|") and not hostname.startswith("|1|") and _hashed_name_matches(hostname, h):
                return True
        return False

    def check(self, hostname, key):
        """``True`` if ``key`` is on record for ``hostname``."""
        k = self.lookup(hostname)
        if k is None:
            return False
        host_key = k.get(key.get_name(), None)
        if host_key is None:
            return False
        return host_key.asbytes() == key.asbytes()

    def clear(self):
        """Remove every entry."""
        self._entries = []
        self._marker_entries = []

    def __iter__(self):
        for k in self.keys():
            yield k

    def __len__(self):
        return len(self.keys())

    def __getitem__(self, key):
        ret = self.lookup(key)
        if ret is None:
            raise KeyError(key)
        return ret

    def __delitem__(self, key):
        index = None
        for i, entry in enumerate(self._entries):
            if self._hostname_matches(key, entry):
                index = i
                break
        if index is None:
            raise KeyError(key)
        self._entries.pop(index)

    def __setitem__(self, hostname, entry):
        # ``entry`` is a {keytype: key} mapping
        if len(entry) == 0:
            self._entries.append(HostKeyEntry([hostname], None))
            return
        for key_type in entry.keys():
            found = False
            for e in self._entries:
                if hostname in e.hostnames and e.key is not None and e.key.get_name() == key_type:
                    e.key = entry[key_type]
                    found = True
            if not found:
                self._entries.append(HostKeyEntry([hostname], entry[key_type]))

    def keys(self):
        ret = []
        for e in self._entries:
            for h in e.hostnames:
                if h not in ret:
                    ret.append(h)
        return ret

    def values(self):
        return [self.lookup(k) for k in self.keys()]

    @staticmethod
    def hash_host(hostname, salt=None):
        """The hashed form ``|1|<salt>|<hmac>`` of ``hostname`` (as OpenSSH's
        ``HashKnownHosts`` writes it).  ``salt`` may be a previous hashed
        name or base64 salt; random if ``None``."""
        if salt is None:
            salt = os.urandom(hashlib.sha1().digest_size)
        else:
            if isinstance(salt, bytes):
                salt = salt.decode("ascii")
            if salt.startswith("|1|"):
                salt = salt.split("|")[2]
            salt = base64.decodebytes(salt.encode("ascii"))
        assert len(salt) == hashlib.sha1().digest_size
        digest = hmac.new(salt, hostname.encode("utf-8"), hashlib.sha1).digest()
        return "|1|{}|{}".format(
            base64.b64encode(salt).decode("ascii"),
            base64.b64encode(digest).decode("ascii"),
        )

    # -- OpenSSH-style verification ------------------------------------------------

    def verify(self, hostname, key):
        """Check a server's host key the way OpenSSH does.

        :param str hostname: the lookup name: ``host`` for port 22, else
            ``[host]:port`` (see :func:`host_key_name`).  For a non-22 port
            only entries whose patterns match ``[host]:port`` count, so a
            bare ``host`` line never vouches for another port.
        :param PKey key: the key the server presented
        :returns: ``"revoked"`` if the key is listed under ``@revoked`` for
            a matching pattern; ``"match"`` if a matching entry holds this
            key; ``"changed"`` if matching entries hold a different key of
            the same type (ECDSA curves count as one type, like OpenSSH);
            ``"missing"`` otherwise (also when only other key types are on
            record, or only ``@cert-authority`` lines match -- certificates
            are not checked).

        Host fields may be comma-separated lists of names, ``*``/``?``
        wildcards, ``!negated`` patterns (a matching negation excludes the
        line) and hashed ``|1|salt|hash`` names; matching is
        case-insensitive.
        """
        blob = key.asbytes()
        key_type = _key_type_of(key)
        for e in self._marker_entries:
            if (
                e.marker == "@revoked"
                and e.key is not None
                and e.key.asbytes() == blob
                and _host_matches_patterns(hostname, e.hostnames)
            ):
                return REVOKED
        same_type = False
        for e in self._entries:
            if e.key is None:
                continue
            if not _host_matches_patterns(hostname, e.hostnames):
                continue
            if e.key.asbytes() == blob:
                return MATCH
            if _type_family(_key_type_of(e.key)) == _type_family(key_type):
                same_type = True
        return CHANGED if same_type else MISSING


def _key_type_of(key):
    try:
        return _plain_type(_blob_type(key.asbytes()))
    except SSHException:
        return key.get_name()


def _type_family(key_type):
    # OpenSSH compares "plain" key types: every ECDSA curve is one type.
    if key_type.startswith("ecdsa-sha2-"):
        return "ecdsa"
    return key_type


def _hashed_name_matches(hostname, hashed):
    try:
        expected = HostKeys.hash_host(hostname, hashed)
    except (binascii.Error, AssertionError, IndexError, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), hashed.encode())


_pattern_cache = {}


def _pattern_regex(pattern):
    rx = _pattern_cache.get(pattern)
    if rx is None:
        parts = []
        for ch in pattern:
            if ch == "*":
                parts.append(".*")
            elif ch == "?":
                parts.append(".")
            else:
                parts.append(re.escape(ch))
        rx = re.compile("".join(parts) + r"\Z", re.DOTALL)
        if len(_pattern_cache) < 4096:
            _pattern_cache[pattern] = rx
    return rx


def _host_matches_patterns(hostname, patterns):
    """OpenSSH ``match_hostname``: any positive match and no negated one."""
    host = hostname.lower()
    positive = False
    for pattern in patterns:
        if not pattern:
            continue
        if pattern.startswith("|1|"):
            if _hashed_name_matches(hostname, pattern) or (host != hostname and _hashed_name_matches(host, pattern)):
                positive = True
            continue
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:]
        if _pattern_regex(pattern.lower()).match(host):
            if negated:
                return False
            positive = True
    return positive
