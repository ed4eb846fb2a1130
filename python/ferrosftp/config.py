"""OpenSSH client configuration (``ssh_config``) files: paramiko's
``paramiko.config`` module.

`SSHConfig` reads ``ssh_config(5)`` text and answers `SSHConfig.lookup` with an
`SSHConfigDict` of the options that apply to one host, with paramiko 5.x's
semantics, quirks included, so that code written against paramiko gets the
same answers:

- keys are lowercased; values are strings (a value wholly in double quotes
  loses them); for every key the first value obtained wins, except
  ``identityfile``, which gathers the files of every matching block (in order,
  without repeats), and ``localforward``/``remoteforward``, which are lists of
  the values of the first block that sets them;
- ``Host`` takes several patterns (``*``, ``?`` and ``[...]``, as `fnmatch`,
  case-sensitive on POSIX) and ``!negated`` ones; ``Match`` takes ``all``,
  ``canonical``, ``final``, ``exec``, ``host``, ``originalhost``, ``user`` and
  ``localuser`` criteria, each of them negatable with ``!``;
- ``Match exec`` runs its command through a shell (`subprocess`; bash where
  there is one, like paramiko's invoke; stdin and stdout on the null device,
  stderr passed through): exit status 0 matches; no invoke is needed;
- ``%`` tokens are expanded in ``hostname``, ``identityfile``,
  ``proxycommand``, ``proxyjump``, ``controlpath`` and ``Match exec`` only,
  each with its own set (`SSHConfig.TOKENS_BY_CONFIG_KEY`): ``%C %d %h %l
  %L %n %p %r %u`` and ``~``. Like paramiko, ``%%`` is left as it is, ``%l``
  is the local fully-qualified name (`socket.getfqdn`) and ``~`` is replaced
  wherever it appears in ``identityfile`` and ``proxycommand`` values;
- ``ProxyCommand none`` gives ``lookup(...)["proxycommand"] is None``;
- ``CanonicalizeHostname`` is honoured (`SSHConfig.canonicalize`), and a host
  without ``HostName`` gets ``hostname`` set to the name looked up.

One addition paramiko lacks: **Include**. ``Include FILE...`` reads other
files with OpenSSH's rules (``ssh_config(5)``, OpenSSH's ``readconf.c``):

- every argument is a path or a glob pattern (several per line; the matches
  of a pattern in sorted order; a pattern that matches nothing is skipped);
- a relative path is taken relative to ``~/.ssh`` -- not to the directory of
  the including file -- whether the config came from `from_path`,
  `from_file` or `from_text`, as for ``ssh -F FILE``; ``~`` and ``~user``
  are expanded;
- the included lines take effect where the ``Include`` line stands: an
  ``Include`` inside a ``Host`` or ``Match`` block applies only when that
  block matches, and ``Host``/``Match`` lines inside an included file affect
  that file only (the including block resumes after the ``Include``);
- files are read when the config is parsed; `ConfigParseError` is raised,
  as OpenSSH refuses to go on, for includes nested more than 16 deep (an
  ``Include`` loop, say: "Too many recursive configuration includes"), for an
  included file that exists but cannot be read, and (on POSIX) for one owned
  by another user than you or root, writable by others, or writable by a
  group that has members besides its owner ("Bad owner or permissions": the
  rule of Debian's and Ubuntu's OpenSSH; upstream OpenSSH refuses any
  group-writable file);
- OpenSSH 10 also expands %-tokens and ``${VAR}`` in Include paths; like
  OpenSSH 9, ferrosftp takes them literally (``~`` excepted).

With paramiko, an ``Include`` line is just an option like any other
(``lookup(...)["include"]``); with ferrosftp it never appears in a lookup.
"""

import fnmatch
import getpass
import glob
import os
import re
import shlex
import socket
import subprocess
from functools import partial
from hashlib import sha1
from io import StringIO

from .ssh_exception import ConfigParseError, CouldNotCanonicalize

__all__ = ["SSH_PORT", "SSHConfig", "SSHConfigDict", "LazyFqdn"]

SSH_PORT = 22

# OpenSSH's READCONF_MAX_DEPTH: the main file is depth 0, a file it includes 1...
_INCLUDE_MAX_DEPTH = 16

# Private keys of a block read through Include (blocks are the dicts in
# SSHConfig._config, with paramiko's own "host"/"matches"/"config" keys):
#   _GUARD: index (in _config) of the block that holds the Include line; the
#           block applies only if that one did, in the same lookup pass
#   _RESUME: this block is the rest of the block at that index, after an
#            Include line: it applies exactly when that block did
_GUARD = "_include_guard"
_RESUME = "_include_resume"

# The order in which paramiko replaces the tokens (each replacement sees the
# result of the ones before it).
_TOKEN_ORDER = ("%C", "%d", "%h", "%L", "%l", "%n", "%p", "%r", "%u", "~")


class SSHConfig:
    """
    Representation of config information as stored in the format used by
    OpenSSH. Queries can be made via `lookup`. The format is described in
    OpenSSH's ``ssh_config`` man page.

    Build one with `from_path`, `from_file` or `from_text` (or make an empty
    one and call `parse`).  ``Include`` lines are followed (see the module's
    documentation); the rest behaves as paramiko's class.
    """

    SETTINGS_REGEX = re.compile(r"(\w+)(?:\s*=\s*|\s+)(.+)")

    # The tokens each key's values may hold (paramiko's table).
    TOKENS_BY_CONFIG_KEY = {
        "controlpath": ["%C", "%h", "%l", "%L", "%n", "%p", "%r", "%u"],
        "hostname": ["%h"],
        "identityfile": ["%C", "~", "%d", "%h", "%l", "%u", "%r"],
        "proxycommand": ["~", "%h", "%p", "%r"],
        "proxyjump": ["%h", "%p", "%r"],
        # the command of a "Match exec" line
        "match-exec": ["%C", "%d", "%h", "%L", "%l", "%n", "%p", "%r", "%u"],
    }

    def __init__(self):
        """An empty config; `parse` adds to it.  The constructors
        `from_path`, `from_file` and `from_text` parse as they build."""
        self._config = []

    # ------------------------------------------------------------ building

    @classmethod
    def from_text(cls, text):
        """A new, parsed `SSHConfig` from the string ``text``."""
        return cls.from_file(StringIO(text))

    @classmethod
    def from_path(cls, path):
        """A new, parsed `SSHConfig` from the file at ``path``."""
        with open(path) as flo:
            return cls.from_file(flo)

    @classmethod
    def from_file(cls, flo):
        """A new, parsed `SSHConfig` from the file-like object ``flo``."""
        obj = cls()
        obj.parse(flo)
        return obj

    def parse(self, file_obj):
        """
        Read an OpenSSH config from the given file object (any iterable of
        lines), adding its blocks after those already read.

        :param file_obj: a file-like object to read the config file from
        """
        self._parse(file_obj, 0, None)

    def _parse(self, lines, depth, guard):
        # Lines before the first Host/Match form an implicit "Host *" block.
        context = {"host": ["*"], "config": {}}
        if guard is not None:
            context[_GUARD] = guard
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            found = self.SETTINGS_REGEX.match(line)
            if not found:
                raise ConfigParseError("Unparsable line {}".format(line))
            key = found.group(1).lower()
            value = found.group(2)

            if key in ("host", "match"):
                self._config.append(context)
                context = {"config": {}}
                if guard is not None:
                    context[_GUARD] = guard
                if key == "host":
                    context["host"] = self._get_hosts(value)
                else:
                    context["matches"] = self._get_matches(value)
            elif key == "include":
                self._config.append(context)
                owner = context.get(_RESUME, len(self._config) - 1)
                for path in self._include_paths(value):
                    self._include_file(path, depth + 1, owner)
                rest = {k: v for k, v in context.items() if k in ("host", "matches")}
                rest["config"] = {}
                rest[_RESUME] = owner
                context = rest
            elif key == "proxycommand" and value.lower() == "none":
                # no proxy command at all (not a command called "none")
                context["config"][key] = None
            else:
                if value.startswith('"') and value.endswith('"'):
                    value = value[1:-1]
                if key in ("identityfile", "localforward", "remoteforward"):
                    context["config"].setdefault(key, []).append(value)
                elif key not in context["config"]:
                    context["config"][key] = value
        self._config.append(context)

    # ------------------------------------------------------------- Include

    @staticmethod
    def _include_paths(value):
        """The files one Include line names, in order (OpenSSH's rules)."""
        for arg in _argv_split(value):
            if not arg:
                raise ConfigParseError("Include: empty argument in {!r}".format(value))
            if not os.path.isabs(arg) and not arg.startswith("~"):
                arg = "~/.ssh/" + arg
            for path in sorted(glob.glob(os.path.expanduser(arg))):
                yield path

    def _include_file(self, path, depth, owner):
        if depth > _INCLUDE_MAX_DEPTH:
            raise ConfigParseError("Too many recursive configuration includes ({})".format(path))
        if os.path.isdir(path):
            return
        try:
            f = open(path)
        except FileNotFoundError:
            return
        except OSError as e:
            raise ConfigParseError("Can't open included config file {}: {}".format(path, e.strerror or e)) from e
        with f:
            # as OpenSSH: an included file that someone else could change is
            # refused (it could run commands: Match exec, ProxyCommand)
            if not _secure_permissions(os.fstat(f.fileno())):
                raise ConfigParseError("Bad owner or permissions on {}".format(path))
            self._parse(f, depth, owner)

    # -------------------------------------------------------------- lookup

    def lookup(self, hostname):
        """
        Return a dict (`SSHConfigDict`) of config options for a given hostname.

        The blocks (``Host`` and ``Match``) that apply to the host are taken
        in file order, and for each option the first value obtained wins, so
        more specific declarations go first and general defaults last.  Keys
        are lowercased (``"port"``, not ``"Port"``); values are strings with
        their tokens expanded (see the module's documentation).

        If no ``HostName`` is configured, ``"hostname"`` is set to the name
        looked up.  ``CanonicalizeHostname`` makes a second pass with the
        canonical name, as OpenSSH does.

        :param str hostname: the hostname to lookup
        """
        return self._lookup_from(hostname, None)

    def _lookup_from(self, hostname, options):
        # The first pass (``options`` may come pre-set, as command-line
        # options do for ssh: they win over the file, and Match sees them).
        options = self._lookup(hostname, options)
        if "hostname" not in options:
            options["hostname"] = hostname
        canon = options.get("canonicalizehostname", None) in ("yes", "always")
        maxdots = int(options.get("canonicalizemaxdots", 1))
        if canon and hostname.count(".") <= maxdots:
            # OpenSSH splits CanonicalDomains on any whitespace
            domains = options["canonicaldomains"].split()
            hostname = self.canonicalize(hostname, options, domains)
            options["hostname"] = hostname
            return self._lookup(hostname, options, canonical=True, final=True)
        return self._lookup(hostname, options, canonical=False, final=True)

    def _lookup(self, hostname, options=None, canonical=False, final=False):
        if options is None:
            options = SSHConfigDict()
        # Blocks apply in turn, so that Match sees what earlier blocks set.
        applied = []
        for context in self._config:
            if _RESUME in context:
                ok = applied[context[_RESUME]]
            elif _GUARD in context and not applied[context[_GUARD]]:
                ok = False
            else:
                ok = bool(
                    self._pattern_matches(context.get("host", []), hostname)
                    or self._does_match(context.get("matches", []), hostname, canonical, final, options)
                )
            applied.append(ok)
            if not ok:
                continue
            for key, value in context["config"].items():
                if key not in options:
                    # a copy: later blocks extend the list in the result
                    options[key] = value[:] if value is not None else value
                elif key == "identityfile":
                    options[key].extend(x for x in value if x not in options[key])
        if final:
            options = self._expand_variables(options, hostname)
        return options

    def canonicalize(self, hostname, options, domains):
        """
        Return canonicalized version of ``hostname``: the first
        ``hostname.domain`` that resolves (with ``options``'
        ``addressfamily``), else ``hostname`` itself when
        ``CanonicalizeFallbackLocal`` is unset or ``yes``.

        :param str hostname: Target hostname.
        :param options: An `SSHConfigDict` from a previous lookup pass.
        :param domains: List of domains (e.g. ``["paramiko.org"]``).
        :raises CouldNotCanonicalize: nothing resolved and fallback is off.
        """
        found = False
        for domain in domains:
            candidate = "{}.{}".format(hostname, domain)
            family_specific = _addressfamily_host_lookup(candidate, options)
            if family_specific is not None:
                found = family_specific[0]
            else:
                try:
                    found = socket.gethostbyname(candidate)
                except socket.gaierror:
                    pass
            if found:
                return candidate
        if options.get("canonicalizefallbacklocal", "yes") == "yes":
            return hostname
        raise CouldNotCanonicalize(hostname)

    def get_hostnames(self):
        """
        Return the set of literal hostnames defined in the SSH config (both
        explicit hostnames and wildcard entries), included files too.
        """
        hosts = set()
        for entry in self._config:
            hosts.update(entry.get("host", ()))
        return hosts

    # ------------------------------------------------------------ matching

    def _pattern_matches(self, patterns, target):
        if hasattr(patterns, "split"):
            patterns = patterns.split(",")
        match = False
        for pattern in patterns:
            if pattern.startswith("!"):
                # a negated pattern that matches rules the target out; one
                # that does not match counts for nothing
                if fnmatch.fnmatch(target, pattern[1:]):
                    return False
            elif fnmatch.fnmatch(target, pattern):
                match = True
        return match

    def _does_match(self, match_list, target_hostname, canonical, final, options):
        matched = []
        local_username = getpass.getuser()
        for candidate in match_list:
            passed = None
            # read every time: an earlier Match may have set them
            configured_host = options.get("hostname", None)
            configured_user = options.get("user", None)
            type_, param = candidate["type"], candidate["param"]
            if type_ == "canonical":
                if self._should_fail(canonical, candidate):
                    return False
            if type_ == "final":
                passed = final
            elif type_ == "all":
                # (parsing allows it alone or after "canonical" only)
                return True
            elif type_ == "host":
                passed = self._pattern_matches(param, configured_host or target_hostname)
            elif type_ == "originalhost":
                passed = self._pattern_matches(param, target_hostname)
            elif type_ == "user":
                passed = self._pattern_matches(param, configured_user or local_username)
            elif type_ == "localuser":
                passed = self._pattern_matches(param, local_username)
            elif type_ == "exec":
                command = self._tokenize(options, target_hostname, "match-exec", param)
                passed = _run_match_exec(command)
            if passed is not None and self._should_fail(passed, candidate):
                return False
            matched.append(candidate)
        return matched

    def _should_fail(self, would_pass, candidate):
        return would_pass if candidate["negate"] else not would_pass

    # -------------------------------------------------------------- tokens

    def _tokenize(self, config, target_hostname, key, value):
        """
        ``value`` (of ``key``) with the tokens that key allows replaced,
        from the options found so far (``config``) and the host name looked
        up (``target_hostname``).
        """
        allowed_tokens = self._allowed_tokens(key)
        if not allowed_tokens:
            return value
        # %h is the configured HostName -- except inside HostName itself
        configured_hostname = target_hostname
        if key != "hostname":
            configured_hostname = config.get("hostname", configured_hostname)
        port = config["port"] if "port" in config else SSH_PORT
        user = getpass.getuser()
        remoteuser = config["user"] if "user" in config else user
        local_hostname = socket.gethostname().split(".")[0]
        homedir = os.path.expanduser("~")
        tohash = local_hostname + target_hostname + repr(port) + remoteuser
        replacements = {
            "%C": lambda: sha1(tohash.encode()).hexdigest(),
            "%d": lambda: homedir,
            "%h": lambda: configured_hostname,
            "%L": lambda: local_hostname,
            "%l": lambda: LazyFqdn(config, local_hostname),
            "%n": lambda: target_hostname,
            "%p": lambda: port,
            "%r": lambda: remoteuser,
            "%u": lambda: user,
            "~": lambda: homedir,
        }
        tokenized = value
        for find in _TOKEN_ORDER:
            # (only looked up when present: the local FQDN may need DNS)
            if find in allowed_tokens and find in tokenized:
                tokenized = tokenized.replace(find, str(replacements[find]()))
        return tokenized

    def _allowed_tokens(self, key):
        """The token strings expanded in values of config ``key``."""
        return self.TOKENS_BY_CONFIG_KEY.get(key, [])

    def _expand_variables(self, config, target_hostname):
        """``config`` with the tokens of every value expanded (in place)."""
        for k in config:
            if config[k] is None:
                continue
            tokenizer = partial(self._tokenize, config, target_hostname, k)
            if isinstance(config[k], list):
                for i, value in enumerate(config[k]):
                    config[k][i] = tokenizer(value)
            else:
                config[k] = tokenizer(config[k])
        return config

    # ------------------------------------------------------------- parsing

    def _get_hosts(self, host):
        """The patterns of a Host line (shell-like words)."""
        try:
            return shlex.split(host)
        except ValueError:
            raise ConfigParseError("Unparsable host {}".format(host))

    def _get_matches(self, match):
        """The criteria of a Match line: dicts of type, param and negate."""
        matches = []
        tokens = shlex.split(match)
        while tokens:
            criterion = {"type": None, "param": None, "negate": False}
            type_ = tokens.pop(0)
            if type_.startswith("!"):
                criterion["negate"] = True
                type_ = type_[1:]
            criterion["type"] = type_
            if type_ in ("all", "canonical", "final"):
                matches.append(criterion)
                continue
            if not tokens:
                raise ConfigParseError("Missing parameter to Match '{}' keyword".format(type_))
            criterion["param"] = tokens.pop(0)
            matches.append(criterion)
        keywords = [x["type"] for x in matches]
        if "all" in keywords:
            allowable = ("all", "canonical")
            ok = [k for k in keywords if k in allowable]
            if any(k not in allowable for k in keywords):
                raise ConfigParseError("Match does not allow 'all' mixed with anything but 'canonical'")
            if "canonical" in ok and ok.index("canonical") > ok.index("all"):
                raise ConfigParseError("Match does not allow 'all' before 'canonical'")
        return matches


def _secure_permissions(st):
    """OpenSSH's check of an included file (readconf.c, with Debian's and
    Ubuntu's ``secure_permissions``): owned by root or by you, not writable
    by others, and writable by its group only if that group's one member is
    the owner (a user private group).  Always true where there are no uids."""
    if not hasattr(os, "getuid"):
        return True
    uid = os.getuid()
    if st.st_uid not in (0, uid):
        return False
    if st.st_mode & 0o002:
        return False
    if st.st_mode & 0o020:
        import grp
        import pwd

        try:
            group = grp.getgrgid(st.st_gid)
            owner = pwd.getpwuid(st.st_uid)
        except KeyError:
            return False
        primary = [p for p in pwd.getpwall() if p.pw_gid == group.gr_gid]
        if any(p.pw_uid != uid for p in primary):
            return False
        if group.gr_mem and group.gr_mem != [owner.pw_name]:
            return False
        if not primary and not group.gr_mem:
            return False
    return True


def _run_match_exec(command):
    """True if ``command``, run by the shell, exits with status 0: bash where
    there is one (as paramiko's invoke), else the system's shell; stdout is
    discarded and stdin is the null device (as OpenSSH does)."""
    shell = "/bin/bash" if os.path.exists("/bin/bash") else None
    result = subprocess.run(command, shell=True, executable=shell, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return result.returncode == 0


def _argv_split(text):
    """Split an Include line's arguments as OpenSSH does (misc.c argv_split):
    whitespace separates, "double" or 'single' quotes group, a backslash
    escapes a quote, a backslash or (outside quotes) a space, and a ``#`` that
    starts an argument ends the line."""
    args = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        arg, quote = [], None
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (quote is None and text[i + 1] == " ")):
                arg.append(text[i + 1])
                i += 2
                continue
            if quote is None and c in " \t":
                break
            if quote is None and c in "\"'":
                quote = c
            elif quote is not None and c == quote:
                quote = None
            else:
                arg.append(c)
            i += 1
        if quote is not None:
            raise ConfigParseError("Include: unterminated quote in {!r}".format(text))
        args.append("".join(arg))
    return args


def _addressfamily_host_lookup(hostname, options):
    """
    ``getaddrinfo`` results for ``hostname`` in the family that
    ``options["addressfamily"]`` names (``inet`` or ``inet6``); None when it
    is unset or ``any``, or when the lookup fails (the caller then does a
    lookup of its own).
    """
    address_family = options.get("addressfamily", "any").lower()
    if address_family == "any":
        return None
    family = socket.AF_INET if address_family == "inet" else socket.AF_INET6
    try:
        return socket.getaddrinfo(hostname, None, family, socket.SOCK_DGRAM, socket.IPPROTO_IP, socket.AI_CANONNAME)
    except socket.gaierror:
        return None


class LazyFqdn:
    """The local host's fully-qualified name, looked up when first turned into
    a string (in the configured address family when there is one)."""

    def __init__(self, config, host=None):
        self.fqdn = None
        self.config = config
        self.host = host

    def __str__(self):
        if self.fqdn is None:
            fqdn = None
            results = _addressfamily_host_lookup(self.host, self.config)
            if results is not None:
                for _af, _socktype, _proto, canonname, _sa in results:
                    if canonname and "." in canonname:
                        fqdn = canonname
                        break
            if fqdn is None:
                fqdn = socket.getfqdn()
            self.fqdn = fqdn
        return self.fqdn


class SSHConfigDict(dict):
    """
    The options `SSHConfig.lookup` found for one host: a `dict` of lowercase
    keys to strings (lists for ``identityfile``, ``localforward`` and
    ``remoteforward``), with typed accessors::

        conf = SSHConfig.from_text("Compression yes\\nServerAliveInterval 60\\n").lookup("h")
        assert conf["compression"] == "yes" and conf.as_bool("compression") is True
        assert conf.as_int("serveraliveinterval") == 60
    """

    def as_bool(self, key):
        """
        The value of ``key`` as a bool: ``"yes"`` (any case) is True, any
        other string False; a value that already is a bool is returned as is.
        """
        val = self[key]
        if isinstance(val, bool):
            return val
        return val.lower() == "yes"

    def as_int(self, key):
        """The value of ``key`` as an int (``ValueError`` if it is not one)."""
        return int(self[key])
