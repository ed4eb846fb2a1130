"""ferrosftp.config (paramiko's ``SSHConfig``) against two oracles.

* OpenSSH's own resolver, ``ssh -G -F FILE HOST`` (it resolves and prints the
  configuration, it does not connect), for every file of the corpus
  (``tests/ssh_config_corpus/``) and the hosts its ``# hosts:`` line names:
  hostname, port, user, identityfile, proxycommand, proxyjump and the keys its
  ``# compare:`` line names must agree.  ``$HOME`` points at a temporary
  directory whose ``.ssh/`` is the corpus's ``dot-ssh/``, so that Include
  resolves the same way for both.
* Real paramiko 5.1 (``FERROSFTP_ORACLE_PATH``, a ``pip install --target``
  directory that .ci/run makes; run in a separate process, so that this
  process never imports paramiko): ``SSHConfig.from_text(text).lookup(host)``,
  ``as_bool``/``as_int`` on every key, ``get_hostnames()`` and the exceptions
  must be the same for a set of texts without Include.

Where OpenSSH and paramiko disagree, ferrosftp follows paramiko (the class it
stands in for), and a ``test_difference_*`` test below shows the difference
by name, with both sides.  The one addition, Include, follows OpenSSH.
"""

import getpass
import hashlib
import inspect
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys

import pytest

from ferrosftp import config as fconfig
from ferrosftp.config import SSHConfig, SSHConfigDict
from ferrosftp.ssh_exception import ConfigParseError, CouldNotCanonicalize

pytestmark = pytest.mark.timeout(120)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "ssh_config_corpus")
CORPUS_FILES = sorted(f for f in os.listdir(CORPUS) if f.endswith(".conf"))
ME = pwd.getpwuid(os.getuid()).pw_name

# What `ssh -G` prints for keys the config leaves unset (OpenSSH 9).
SSH_DEFAULTS = {
    "connecttimeout": "none",
    "serveraliveinterval": "0",
    "compression": "no",
    "forwardagent": "no",
    "stricthostkeychecking": "ask",
    "identitiesonly": "no",
    "port": "22",
}
SSH_DEFAULT_IDENTITY_FILES = [
    "~/.ssh/id_rsa",
    "~/.ssh/id_ecdsa",
    "~/.ssh/id_ecdsa_sk",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ed25519_sk",
    "~/.ssh/id_xmss",
    "~/.ssh/id_dsa",
]


# ----------------------------------------------------------------- helpers


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A $HOME whose .ssh/ is the corpus's dot-ssh/ (modes as a checkout
    under umask 022 gives them: ssh refuses group-writable included files)."""
    h = tmp_path / "home"
    shutil.copytree(os.path.join(CORPUS, "dot-ssh"), str(h / ".ssh"))
    for dirpath, dirs, files in os.walk(str(h)):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    monkeypatch.setenv("HOME", str(h))
    # the local user as ssh sees it (getpwuid), for getpass.getuser() too
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, ME)
    return str(h)


def ssh_G(config_path, host, home_dir, check=True):
    """``ssh -G`` for host: {lowercase key: [values]} (or the process when
    check is False)."""
    ssh = shutil.which("ssh")
    if not ssh:
        pytest.fail("these tests compare with OpenSSH's resolver: install openssh-client (.ci/run does)")
    env = dict(os.environ, HOME=home_dir, LOGNAME=ME, USER=ME)
    p = subprocess.run(
        [ssh, "-G", "-F", str(config_path), "--", host],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=30,
    )
    if not check:
        return p
    assert p.returncode == 0, p.stderr
    out = {}
    for line in p.stdout.splitlines():
        key, _, value = line.partition(" ")
        out.setdefault(key.lower(), []).append(value)
    return out


def openssh_percent(value, table):
    """OpenSSH's percent_expand: %% and the %X of table."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "%" and i + 1 < len(value):
            c = value[i + 1]
            if c == "%":
                out.append("%")
            else:
                assert c in table, "token %%%s not expected in %r" % (c, value)
                out.append(table[c])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def openssh_context(resolved, original_host, home_dir):
    host, port, user = resolved["hostname"][0], resolved["port"][0], resolved["user"][0]
    this = socket.gethostname()
    return {
        "h": host,
        "p": port,
        "r": user,
        "n": original_host,
        "u": ME,
        "d": home_dir,
        "l": this,
        "L": this.split(".")[0],
        "i": str(os.getuid()),
        "C": hashlib.sha1((this + host + port + user).encode()).hexdigest(),
    }


def openssh_identity_file(raw, ctx, home_dir):
    """What ssh opens for an ``identityfile`` line of ``ssh -G`` (a leading
    ~ is the home directory, then the %-tokens).  The home directory is $HOME
    here, as for paramiko: see test_difference_home_directory_is_HOME."""
    if raw == "~" or raw.startswith("~/"):
        raw = home_dir + raw[1:]
    return openssh_percent(raw, ctx)


def openssh_proxy_command(raw, ctx, home_dir):
    """The command ssh's shell runs for a ``proxycommand`` line: %h %n %p %r
    %%, then the shell's own expansion of a ~ that starts a word."""
    cmd = openssh_percent(raw, {k: ctx[k] for k in "hnpr"})
    return re.sub(r"(^|(?<=\s))~(?=/|\s|$)", lambda m: home_dir, cmd)


def corpus_header(name, field_):
    with open(os.path.join(CORPUS, name)) as f:
        for line in f:
            m = re.match(r"#\s*%s:\s*(.*)$" % field_, line)
            if m:
                return m.group(1).split()
    return []


# ------------------------------------------------------ the corpus vs ssh -G


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_agrees_with_ssh_G(name, home):
    path = os.path.join(CORPUS, name)
    hosts = corpus_header(name, "hosts")
    extra = corpus_header(name, "compare")
    assert hosts, "%s has no '# hosts:' line" % name
    config = SSHConfig.from_path(path)
    for host in hosts:
        ours = config.lookup(host)
        theirs = ssh_G(path, host, home)
        where = "%s, host %s" % (name, host)
        assert ours["hostname"] == theirs["hostname"][0], where
        assert ours.get("port", "22") == theirs["port"][0], where
        assert ours.get("user", ME) == theirs["user"][0], where
        ctx = openssh_context(theirs, host, home)
        if "identityfile" in ours:
            expected = [openssh_identity_file(v, ctx, home) for v in theirs["identityfile"]]
            assert ours["identityfile"] == expected, where
        else:  # nothing configured: ssh lists its defaults
            assert theirs["identityfile"] == SSH_DEFAULT_IDENTITY_FILES, where
        if ours.get("proxycommand") is not None:
            assert [openssh_proxy_command(v, ctx, home) for v in theirs["proxycommand"]] == [ours["proxycommand"]], (
                where
            )
        else:  # none set, or "ProxyCommand none" (None here; ssh -G prints nothing)
            assert "proxycommand" not in theirs, where
        assert ours.get("proxyjump") == (theirs.get("proxyjump") or [None])[0], where
        for key in extra:
            assert theirs[key] == [ours.get(key, SSH_DEFAULTS[key])], "%s: %s" % (where, key)
        assert "include" not in ours, where


def test_corpus_include_file_semantics(home):
    """What 06-include.conf resolves to, spelled out (the comparison above
    checks that ssh -G says the same)."""
    c = SSHConfig.from_path(os.path.join(CORPUS, "06-include.conf"))
    inc1 = c.lookup("inc1")
    assert inc1["hostname"] == "inc1.included.example"  # top of inc1.conf, inside "Host inc1"
    assert inc1["port"] == "2601"  # hosts/inc-a.conf (a glob, third file of the line)
    assert inc1["proxyjump"] == "jump.nested.example"  # ~/.ssh/nested.conf, not hosts/nested.conf
    assert inc1["user"] == "after-include"  # the Host inc1 block resumes after its Include
    assert inc1["connecttimeout"] == "7"  # "Host inc*" inside the included file
    assert inc1["identityfile"] == [home + "/.ssh/inc1_key"]
    assert c.lookup("gl2")["port"] == "3001"  # conf.d/10-first.conf before 20-second.conf
    assert c.lookup("gl2")["user"] == "gl2user"
    other = c.lookup("other")
    assert "user" not in other  # not "leaked-into-other": that Host line sits inside "Host inc1"
    assert other["serveraliveinterval"] == "42"
    assert c.lookup("deep")["user"] == "deepuser"
    assert {"inc1", "inc2", "gl1", "gl*", "gl2", "other", "inc*", "deep", "*"} == c.get_hostnames()


# ----------------------------------------------------- Include against ssh -G


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), "w") as f:
        f.write(text)
    os.chmod(str(path), mode)


def test_include_depth_limit_as_openssh(home, tmp_path):
    """16 nested levels of Include are read; the 17th is refused, as ssh does."""
    ssh_dir = os.path.join(home, ".ssh")
    for levels, ok in ((16, True), (17, False)):
        for i in range(1, levels + 1):
            nxt = "Include chain%d-%d\n" % (levels, i + 1) if i < levels else "User bottom%d\n" % levels
            _write(os.path.join(ssh_dir, "chain%d-%d" % (levels, i)), nxt)
        main = tmp_path / ("main%d" % levels)
        _write(main, "Include chain%d-1\n" % levels)
        p = ssh_G(main, "h", home, check=False)
        assert (p.returncode == 0) == ok, p.stderr
        if ok:
            assert SSHConfig.from_path(str(main)).lookup("h")["user"] == "bottom16"
            assert "user bottom16" in p.stdout.lower()
        else:
            assert "Too many recursive configuration includes" in p.stderr
            with pytest.raises(ConfigParseError, match="Too many recursive configuration includes"):
                SSHConfig.from_path(str(main))


def test_include_loop_refused_like_openssh(home, tmp_path):
    _write(os.path.join(home, ".ssh", "loop.conf"), "Host nothing-matches\n    Include loop.conf\n")
    main = tmp_path / "main"
    _write(main, "Include loop.conf\nUser u\n")
    p = ssh_G(main, "h", home, check=False)
    assert p.returncode != 0 and "Too many recursive configuration includes" in p.stderr
    with pytest.raises(ConfigParseError):
        SSHConfig.from_path(str(main))


def test_include_permissions_checked_like_openssh(home, tmp_path):
    """An included file writable by others is refused; one writable by its
    group is refused unless the group is the owner's alone (Debian's and
    Ubuntu's rule, this ssh's: whatever ssh -G decides, ferrosftp must too)."""
    shared = os.path.join(home, ".ssh", "shared.conf")
    _write(shared, "User fromshared\n", mode=0o666)
    main = tmp_path / "main"
    _write(main, "Include shared.conf\n")
    p = ssh_G(main, "h", home, check=False)
    assert p.returncode != 0 and "Bad owner or permissions" in p.stderr
    with pytest.raises(ConfigParseError, match="Bad owner or permissions"):
        SSHConfig.from_path(str(main))
    os.chmod(shared, 0o664)
    p = ssh_G(main, "h", home, check=False)
    if p.returncode == 0:
        assert SSHConfig.from_path(str(main)).lookup("h")["user"] == "fromshared"
    else:
        assert "Bad owner or permissions" in p.stderr
        with pytest.raises(ConfigParseError, match="Bad owner or permissions"):
            SSHConfig.from_path(str(main))
    assert fconfig._secure_permissions(os.stat(shared)) == (p.returncode == 0)
    os.chmod(shared, 0o644)
    assert ssh_G(main, "h", home)["user"] == ["fromshared"]
    assert SSHConfig.from_path(str(main)).lookup("h")["user"] == "fromshared"


def test_include_in_match_block_quoted_paths_and_directories(home, tmp_path):
    """An Include under Match applies only when the Match does; quoted
    names with spaces, absolute paths, directories matched by a glob
    (skipped), and several globs on one line, compared with ssh -G."""
    ssh_dir = os.path.join(home, ".ssh")
    _write(os.path.join(ssh_dir, "with space.conf"), "Port 4001\n")
    _write(os.path.join(ssh_dir, "multi", "b.conf"), "User multi-b\nIdentityFile ~/.ssh/b\n")
    _write(os.path.join(ssh_dir, "multi", "a.conf"), "IdentityFile ~/.ssh/a\n")
    os.makedirs(os.path.join(ssh_dir, "multi", "dir.conf"))
    os.chmod(os.path.join(ssh_dir, "multi", "dir.conf"), 0o755)
    absolute = tmp_path / "elsewhere" / "abs.conf"
    _write(absolute, "ConnectTimeout 12\n")
    main = tmp_path / "main"
    _write(
        main,
        "Match originalhost mm*\n"
        '    Include "with space.conf" multi/*.conf %s\n'
        "    HostName resumed.example\n"
        "Match all\n"
        "    User everyone\n" % absolute,
    )
    c = SSHConfig.from_path(str(main))
    for host in ("mm1", "other"):
        ours, theirs = c.lookup(host), ssh_G(main, host, home)
        assert ours["hostname"] == theirs["hostname"][0]
        assert ours.get("port", "22") == theirs["port"][0]
        assert ours.get("user") == theirs["user"][0]
        assert ours.get("connecttimeout", "none") == theirs["connecttimeout"][0]
        if host == "mm1":
            assert ours["identityfile"] == [home + "/.ssh/a", home + "/.ssh/b"]
            assert theirs["identityfile"] == ["~/.ssh/a", "~/.ssh/b"]
            assert (ours["port"], ours["user"], ours["hostname"]) == ("4001", "multi-b", "resumed.example")
        else:
            assert "identityfile" not in ours and ours["user"] == "everyone"


def test_include_relative_to_dot_ssh_for_every_constructor(home, tmp_path):
    """A relative Include is under ~/.ssh whether the text comes from a
    path (not the path's directory), a file object or a string."""
    _write(os.path.join(home, ".ssh", "rel.conf"), "User in-dot-ssh\n")
    _write(tmp_path / "rel.conf", "User beside-the-file\n")
    main = tmp_path / "main"
    _write(main, "Include rel.conf\n")
    assert SSHConfig.from_path(str(main)).lookup("h")["user"] == "in-dot-ssh"
    assert ssh_G(main, "h", home)["user"] == ["in-dot-ssh"]
    with open(str(main)) as f:
        assert SSHConfig.from_file(f).lookup("h")["user"] == "in-dot-ssh"
    assert SSHConfig.from_text("Include rel.conf\n").lookup("h")["user"] == "in-dot-ssh"
    c = SSHConfig()
    c.parse(["Host x\n", "  Include ~/.ssh/rel.conf\n"])
    assert c.lookup("x")["user"] == "in-dot-ssh" and "user" not in c.lookup("y")


def test_include_errors(home):
    with pytest.raises(ConfigParseError):
        SSHConfig.from_text('Include "unterminated.conf\n')
    with pytest.raises(ConfigParseError):
        SSHConfig.from_text('Include ""\n')
    # nothing matched: nothing read, no error (ssh: "matched no files")
    assert SSHConfig.from_text("Include none-*.conf nothing.conf\nUser u\n").lookup("h")["user"] == "u"
    # a comment ends the list of files
    _write(os.path.join(home, ".ssh", "c.conf"), "User c\n")
    assert SSHConfig.from_text("Include c.conf # not-a-file.conf\n").lookup("h")["user"] == "c"


# ------------------------------------------------ the paramiko 5.1 oracle


def describe_case(SSHConfig, case):
    """Everything a script can see of SSHConfig for one case; the same code
    runs in the paramiko oracle process (its source is sent there)."""

    def attempt(fn):
        try:
            return ["ok", fn()]
        except Exception as e:  # noqa: BLE001
            return ["err", type(e).__name__, str(e)]

    def plain(d):
        return {k: (list(v) if isinstance(v, list) else v) for k, v in d.items()}

    out = {"parse": attempt(lambda: SSHConfig.from_text(case["text"]) and None)}
    if out["parse"][0] == "err":
        return out
    config = SSHConfig.from_text(case["text"])
    lookups = []
    for host in case["hosts"]:
        r = attempt(lambda: config.lookup(host))
        if r[0] == "ok":
            d = r[1]
            r = [
                "ok",
                plain(d),
                type(d).__name__,
                {k: attempt(lambda: d.as_bool(k)) for k in sorted(d)},
                {k: attempt(lambda: d.as_int(k)) for k in sorted(d)},
            ]
        lookups.append([host, r])
    out["lookups"] = lookups
    out["hostnames"] = attempt(lambda: sorted(config.get_hostnames()))
    return out


def fake_dns():
    """Name resolution for the canonicalization cases, the same in both
    processes and without the network: *.resolvable.example is 127.0.0.1."""
    import socket

    real = socket.gethostbyname

    def gethostbyname(name):
        if name.endswith(".resolvable.example"):
            return "127.0.0.1"
        if name.endswith(".example"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name)

    socket.gethostbyname = gethostbyname


ORACLE = """
import json, os, sys
sys.path.insert(0, os.environ["FERROSFTP_ORACLE_PATH"])
import paramiko
from paramiko.config import SSHConfig
assert paramiko.__version__ == "5.1.0", paramiko.__version__
assert "ferrosftp" not in sys.modules
{functions}
fake_dns()
with open(sys.argv[1]) as f:
    cases = json.load(f)
json.dump({{cid: describe_case(SSHConfig, case) for cid, case in cases.items()}}, sys.stdout)
"""


def oracle_cases():
    """Texts without Include, with the hosts to look up (twice each: a
    lookup must not change the config)."""
    me = getpass.getuser()
    cases = {
        "blocks": (
            "# comment\n\nHost web web.prod\n  HostName web01.example.com\n  Port 2222\n  User deploy\n"
            'Host db*\n\tHostName=db.internal\n\tport = 2200\n\tUSER "dbadmin"\n'
            "Host *\n  User everyone\n  Port 22\n  Compression yes\n  ServerAliveInterval 30\n",
            ["web", "web.prod", "db1", "dbx", "other", "web"],
        ),
        "negation": (
            "Host *.corp !beta.corp\n  User corpuser\nHost !gamma alpha beta gamma\n  Port 2001\n"
            "Host !bastion\n  ProxyJump never\nHost * !bastion\n  User normal\n",
            ["alpha", "beta", "gamma", "beta.corp", "x.corp", "bastion", ""],
        ),
        "patterns": (
            'Host ?b [xy]z web-*.example.com "quoted host"\n  User pat\nHost *\n  User rest\n',
            ["ab", "abc", "xz", "qz", "web-1.example.com", "quoted host", "quoted"],
        ),
        "match": (
            "Match host m1\n  User mhost\nMatch user mhost\n  Port 2201\n"
            "Match originalhost m2\n  HostName m2.example.com\nMatch host m2.example.com\n  Port 2202\n"
            "Match !host m1,m2.example.com originalhost m3,m4\n  User notm1m2\n"
            'Match exec "test %h = m4" host m4\n  Port 2404\nMatch exec false\n  Port 9999\n'
            "Match !exec false originalhost m5\n  Port 2505\n"
            "Match localuser " + me + "\n  ConnectTimeout 5\n"
            "Match localuser nosuchuser\n  User nope\n"
            "Match !localuser nosuchuser host other\n  User localok\nMatch all\n  ForwardAgent yes\n",
            ["m1", "m2", "m3", "m4", "m5", "other", "m4"],
        ),
        "match-final-canonical": (
            "Match final host f1\n  User finaluser\nMatch !final\n  Port 1001\n"
            "Match canonical\n  Port 1002\nMatch !canonical host f2\n  User notcanon\n"
            "Match canonical all\n  Compression yes\nMatch !all\n  ForwardX11 yes\n",
            ["f1", "f2"],
        ),
        "match-quirks": (
            "Match tagged foo\n  User tagged\nMatch Host nomatch\n  Port 7\n"
            "Match user late\n  ConnectTimeout 11\nHost x\n  User late\n",
            ["x", "y"],
        ),
        "match-exec-tokens": (
            "Host e1\n  HostName real-e1\n  Port 2022\n  User eu\n"
            'Match exec "test %h:%p:%r:%n = real-e1:2022:eu:e1"\n  Compression yes\n'
            'Match exec "test %u = ' + me + " && test -n '%C%d%L%l'\"\n  ForwardAgent yes\n"
            'Match exec "exit 3"\n  ForwardX11 yes\n',
            ["e1", "e2"],
        ),
        "tokens": (
            "Host t1\n  HostName %h.tokens.example\n  User tokuser\n  Port 2222\n"
            "  IdentityFile ~/.ssh/id_%h_%r_%u_%l_%L_%p_%n_%C_%%_%d\n"
            "  IdentityFile %d/k~x\n"
            "  ProxyCommand ssh -W %h:%p -l %r %n %u %% gw ~/x\n"
            "  ProxyJump %r@%h:%p,%n\n"
            "  ControlPath ~/.ssh/cm-%C-%h-%l-%L-%n-%p-%r-%u-%d-%%\n"
            "  LocalCommand echo %h %p\n"
            "  RemoteCommand echo %h\n"
            "Host t2\n  HostName %h-%p-%r\n  IdentityFile %h\n"
            "Host *\n  IdentityFile ~/.ssh/all_%h\n",
            ["t1", "t2", "t3"],
        ),
        "identityfile": (
            "Host i1\n  IdentityFile ~/.ssh/id_i1\n  IdentityFile ~/.ssh/id_shared\n"
            "  IdentityFile ~/.ssh/id_i1\n"
            "Host i1 i2\n  IdentityFile ~/.ssh/id_i1i2\n  IdentityFile ~/.ssh/id_shared\n"
            "Host *\n  IdentityFile ~/.ssh/id_all\n  IdentitiesOnly yes\n",
            ["i1", "i2", "i3", "i1"],
        ),
        "forwards": (
            "Host f\n  LocalForward 8080 localhost:80\n  LocalForward 8443 localhost:443\n"
            "  RemoteForward 9000 localhost:9000\n"
            "Host *\n  LocalForward 1 localhost:1\n  RemoteForward 2 localhost:2\n  DynamicForward 1080\n",
            ["f", "g"],
        ),
        "proxy": (
            "Host p1\n  ProxyJump admin@bastion.example.com:2222\nHost p2\n  ProxyCommand none\n"
            "Host p3\n  ProxyCommand ssh -W %h:%p jump\nHost p6\n  ProxyCommand NONE\n"
            "Host p2 p3 p4 p6\n  ProxyCommand nc %h %p\n",
            ["p1", "p2", "p3", "p4", "p5", "p6"],
        ),
        "quotes-and-separators": (
            'Host=q\n  User = "bob smith"\n  ProxyCommand "nc %h %p"\n'
            '  IdentityFile "~/my key"\n  HostName "half-quoted\n'
            "  Port=2200\n  Compression=yes\n  ServerAliveInterval=  60\n"
            '  SendEnv "A" "B"\n  BatchMode yes # trailing comment\n',
            ["q"],
        ),
        "bools-and-ints": (
            "Host *\n  Compression YES\n  ForwardAgent no\n  Port 0x16\n  ServerAliveInterval 1m\n"
            "  ConnectTimeout 10\n  ForwardX11 true\n",
            ["h"],
        ),
        "empty": ("", ["h"]),
        "only-comments": ("# nothing\n\n   # indented\n", ["h"]),
        "global-after": ("User first\nHost h\n  User second\n  Port 1\nHost *\n  Port 2\n", ["h", "i"]),
        "canonical": (
            "CanonicalizeHostname yes\nCanonicalDomains nothere.example resolvable.example\n"
            "Match canonical host web.resolvable.example\n  User canon\n"
            "Host web\n  Port 3333\nHost *.resolvable.example\n  ForwardAgent yes\n",
            ["web", "a.b.c", "web"],
        ),
        "canonical-maxdots": (
            "CanonicalizeHostname always\nCanonicalizeMaxDots 0\nCanonicalDomains resolvable.example\n",
            ["web", "web.x"],
        ),
        "canonical-no-fallback": (
            "CanonicalizeHostname yes\nCanonicalDomains nothere.example\nCanonicalizeFallbackLocal no\n",
            ["web"],
        ),
        "canonical-no-domains": ("CanonicalizeHostname yes\n", ["web"]),
        "err-unparsable": ("Host h\n  Port\n", []),
        "err-host-quote": ('Host "unterminated\n', []),
        "err-match-all-mixed": ("Match all host x\n", []),
        "err-match-all-before-canonical": ("Match all canonical\n", []),
        "err-match-missing-param": ("Match host\n", []),
        "err-match-quote": ('Match host "x\n', []),
        "err-match-empty-value": ("Match =\n", []),
    }
    return {cid: {"text": text, "hosts": hosts} for cid, (text, hosts) in cases.items()}


@pytest.fixture(scope="module")
def paramiko_results(tmp_path_factory):
    where = os.environ.get("FERROSFTP_ORACLE_PATH")
    if not where or not os.path.isdir(os.path.join(where, "paramiko")):
        pytest.fail(
            "the oracle tests need real paramiko in FERROSFTP_ORACLE_PATH "
            "(.ci/run: pip install --target .ci-oracle paramiko==5.1.0)"
        )
    tmp = tmp_path_factory.mktemp("oracle")
    request = tmp / "cases.json"
    request.write_text(json.dumps(oracle_cases()))
    script = ORACLE.format(functions=inspect.getsource(describe_case) + "\n" + inspect.getsource(fake_dns))
    p = subprocess.run(
        [sys.executable, "-I", "-c", script, str(request)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(tmp),
        env=dict(os.environ, FERROSFTP_ORACLE_PATH=os.path.abspath(where)),
        timeout=90,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture
def dns(monkeypatch):
    monkeypatch.setattr(socket, "gethostbyname", socket.gethostbyname)  # restored afterwards
    fake_dns()


@pytest.mark.parametrize("cid", sorted(oracle_cases()))
def test_same_as_paramiko(cid, paramiko_results, dns):
    theirs = paramiko_results[cid]
    ours = json.loads(json.dumps(describe_case(SSHConfig, oracle_cases()[cid])))
    if cid.startswith("err-"):
        assert ours["parse"][0] == "err", ours
    else:
        assert ours["parse"] == ["ok", None]
    # get_hostnames: paramiko raises KeyError when the text has a Match
    # block (test_difference_get_hostnames_with_match); ferrosftp answers
    if "hostnames" in theirs and theirs["hostnames"][:2] == ["err", "KeyError"]:
        assert re.search(r"^\s*match\b", oracle_cases()[cid]["text"], re.I | re.M)
        assert ours["hostnames"][0] == "ok"
        theirs = dict(theirs, hostnames=ours["hostnames"])
    assert ours == theirs


def test_oracle_cases_cover_the_features(paramiko_results):
    """The comparison above is not vacuous: the cases reach every branch
    that matters (matched blocks, errors of each kind, tokens, canonical)."""
    r = paramiko_results
    assert r["err-unparsable"]["parse"][1] == "ConfigParseError"
    assert r["err-match-quote"]["parse"][1] == "ValueError"  # shlex's, unwrapped, as paramiko
    assert r["canonical-no-fallback"]["lookups"][0][1][:2] == ["err", "CouldNotCanonicalize"]
    assert r["canonical-no-domains"]["lookups"][0][1][:2] == ["err", "KeyError"]
    lookups = dict(r["canonical"]["lookups"])
    assert lookups["web"][1]["hostname"] == "web.resolvable.example" and lookups["web"][1]["user"] == "canon"
    m = dict(r["match"]["lookups"])
    assert m["m4"][1]["port"] == "2404" and m["m5"][1]["port"] == "2505" and m["m1"][1]["port"] == "2201"
    assert m["other"][1]["user"] == "localok" and m["m3"][1]["user"] == "notm1m2"
    e = dict(r["match-exec-tokens"]["lookups"])
    assert e["e1"][1].get("compression") == "yes" and e["e1"][1].get("forwardagent") == "yes"
    assert "compression" not in e["e2"][1] and "forwardx11" not in e["e1"][1]
    p = dict(r["proxy"]["lookups"])
    assert p["p2"][1]["proxycommand"] is None and p["p6"][1]["proxycommand"] is None
    assert "proxycommand" not in p["p5"][1]


# ------------------------------------ where OpenSSH and paramiko differ


def _differ(text, host, home_dir, tmp_path):
    path = tmp_path / "difference.conf"
    _write(path, text)
    return SSHConfig.from_path(str(path)).lookup(host), ssh_G(path, host, home_dir)


def test_difference_trailing_comment_is_part_of_the_value(home, tmp_path):
    ours, theirs = _differ("Host h\n    User bob # the admin\n", "h", home, tmp_path)
    assert ours["user"] == "bob # the admin"  # paramiko keeps it
    assert theirs["user"] == ["bob"]  # ssh: a # that starts a word ends the line


def test_difference_hostname_case(home, tmp_path):
    ours, theirs = _differ("Host h\n    HostName Web.Example.COM\n", "h", home, tmp_path)
    assert ours["hostname"] == "Web.Example.COM"
    assert theirs["hostname"] == ["web.example.com"]  # ssh lowercases names (not addresses)
    ours, theirs = _differ(
        "Host h\n    HostName web.example.com\nMatch host WEB.example.com\n    Port 2\n", "h", home, tmp_path
    )
    assert "port" not in ours  # fnmatch: case-sensitive on POSIX
    assert theirs["port"] == ["2"]  # ssh: Match host is case-insensitive


def test_difference_match_keyword_case_and_unknown_criteria(home, tmp_path):
    ours, theirs = _differ("Match Host other\n    User capital\n", "h", home, tmp_path)
    assert ours["user"] == "capital"  # paramiko: "Host" is no criterion it knows, so it passes
    assert theirs["user"] == [ME]  # ssh: criteria are case-insensitive; "host other" fails
    path = tmp_path / "unknown.conf"
    _write(path, "Match nosuchcriterion x\n    User u\n")
    assert SSHConfig.from_path(str(path)).lookup("h")["user"] == "u"
    p = ssh_G(path, "h", home, check=False)
    assert p.returncode != 0 and "Unsupported Match attribute" in p.stderr


def test_difference_percent_percent_is_left_alone(home, tmp_path):
    ours, theirs = _differ("Host h\n    HostName 100%%-%h\n    IdentityFile ~/k%%\n", "h", home, tmp_path)
    assert ours["hostname"] == "100%%-h" and ours["identityfile"] == [home + "/k%%"]
    assert theirs["hostname"] == ["100%-h"]  # ssh: %% is a literal %
    assert openssh_identity_file(theirs["identityfile"][0], {}, home) == home + "/k%"


def test_difference_tokens_paramiko_does_not_expand(home, tmp_path):
    """%L %p %n %i in IdentityFile and ${VAR} stay as they are (paramiko's
    table); ssh expands them when it loads the key."""
    ours, theirs = _differ("Host h\n    IdentityFile ~/k-%L-%p-%n-%i-${HOME}\n", "h", home, tmp_path)
    assert ours["identityfile"] == [home + "/k-%L-%p-%n-%i-${HOME}"]
    assert theirs["identityfile"] == ["~/k-%L-%p-%n-%i-${HOME}"]  # expanded later by ssh, all of them


def test_difference_local_hostname_token(home, tmp_path):
    """%l: paramiko's is the local FQDN (socket.getfqdn), OpenSSH's the
    host name (gethostname); they differ on machines where those differ."""
    ours, theirs = _differ("Host h\n    ControlPath /tmp/cm-%l\n    IdentityFile /k-%l\n", "h", home, tmp_path)
    assert ours["controlpath"] == "/tmp/cm-" + socket.getfqdn()
    assert ours["identityfile"] == ["/k-" + socket.getfqdn()]
    assert theirs["controlpath"] == ["/tmp/cm-" + socket.gethostname()]


def test_difference_connection_hash_token(home, tmp_path):
    """%C: paramiko hashes short local name + original host + repr(port) +
    user; OpenSSH hashes the local host name + final host + port + user."""
    ours, theirs = _differ("Host h\n    HostName real\n    Port 2200\n    ControlPath /tmp/%C\n", "h", home, tmp_path)
    short = socket.gethostname().split(".")[0]
    assert ours["controlpath"] == "/tmp/" + hashlib.sha1((short + "h" + repr("2200") + ME).encode()).hexdigest()
    ctx = openssh_context(theirs, "h", home)
    assert theirs["controlpath"] == ["/tmp/" + ctx["C"]]
    assert ours["controlpath"] != theirs["controlpath"][0]


def test_difference_home_directory_is_HOME(home, tmp_path):
    """~ and %d: paramiko uses $HOME (os.path.expanduser); OpenSSH the home
    directory of the passwd entry (seen here through Match exec's %d and the
    ~ of UserKnownHostsFile, which ssh -G prints expanded)."""
    pw_dir = pwd.getpwuid(os.getuid()).pw_dir
    assert home != pw_dir
    ours, theirs = _differ(
        'Match exec "test %%d = %s"\n    User passwd-home\n'
        'Match exec "test %%d = %s"\n    User env-home\n'
        "Host h\n    UserKnownHostsFile ~/kh\n    IdentityFile ~/id\n" % (pw_dir, home),
        "h",
        home,
        tmp_path,
    )
    assert ours["user"] == "env-home" and ours["identityfile"] == [home + "/id"]
    assert theirs["user"] == ["passwd-home"]
    assert theirs["userknownhostsfile"] == [pw_dir + "/kh"]


def test_difference_tilde_anywhere(home, tmp_path):
    ours, theirs = _differ("Host h\n    IdentityFile ~/k~1\n", "h", home, tmp_path)
    assert ours["identityfile"] == [home + "/k" + home + "1"]  # paramiko replaces every ~
    assert openssh_identity_file(theirs["identityfile"][0], {}, home) == home + "/k~1"


def test_difference_proxyjump_tokens(home, tmp_path):
    ours, theirs = _differ("Host h\n    HostName real\n    ProxyJump %h-jump\n", "h", home, tmp_path)
    assert ours["proxyjump"] == "real-jump"
    assert theirs["proxyjump"] == ["%h-jump"]  # OpenSSH 9 takes the jump host literally


def test_difference_hostname_tokens_and_match_host(home, tmp_path):
    """Match host sees paramiko's HostName before its tokens are expanded;
    ssh's after."""
    ours, theirs = _differ(
        "Host h\n    HostName %h.example.com\nMatch host h.example.com\n    Port 2\n", "h", home, tmp_path
    )
    assert ours["hostname"] == "h.example.com" and "port" not in ours
    assert theirs["hostname"] == ["h.example.com"] and theirs["port"] == ["2"]


def test_difference_quoted_proxycommand(home, tmp_path):
    ours, theirs = _differ('Host h\n    ProxyCommand "nc %h %p"\n', "h", home, tmp_path)
    assert ours["proxycommand"] == "nc h 22"  # paramiko strips the enclosing quotes
    assert theirs["proxycommand"] == ['"nc %h %p"']  # ssh keeps the rest of the line as it is


def test_difference_forwards_from_first_block_only(home, tmp_path):
    ours, theirs = _differ(
        "Host h\n    LocalForward 1 localhost:1\nHost *\n    LocalForward 2 localhost:2\n", "h", home, tmp_path
    )
    assert ours["localforward"] == ["1 localhost:1"]  # paramiko: the first block's list
    assert theirs["localforward"] == ["1 [localhost]:1", "2 [localhost]:2"]  # ssh: all of them


def test_difference_proxyjump_and_proxycommand(home, tmp_path):
    ours, theirs = _differ("Host h\n    ProxyJump j\n    ProxyCommand nc %h %p\n", "h", home, tmp_path)
    assert ours["proxyjump"] == "j" and ours["proxycommand"] == "nc h 22"  # paramiko keeps both
    assert theirs["proxyjump"] == ["j"] and "proxycommand" not in theirs  # ssh: the first one only


def test_difference_character_classes_in_host_patterns(home, tmp_path):
    ours, theirs = _differ("Host [ab]x\n    User bracket\n", "ax", home, tmp_path)
    assert ours["user"] == "bracket"  # fnmatch knows [...]
    assert theirs["user"] == [ME]  # ssh: only * and ?


def test_difference_second_pass_sees_later_values(home, tmp_path):
    """paramiko always looks the host up twice, the second time with what
    the first found, so a Match can see a value set below it; ssh reads the
    file once (twice only for canonicalization or Match final)."""
    ours, theirs = _differ("Match user late\n    Port 2\nHost h\n    User late\n", "h", home, tmp_path)
    assert ours["port"] == "2"
    assert theirs["port"] == ["22"]


def test_difference_include_is_ours_alone(paramiko_oracle_lookup, home):
    """paramiko has no Include: the line is an option like any other. ssh
    and ferrosftp read the file."""
    _write(os.path.join(home, ".ssh", "inc.conf"), "User included\n")
    text = "Include inc.conf\n"
    theirs = paramiko_oracle_lookup(text, "h")
    assert theirs["include"] == "inc.conf" and "user" not in theirs
    ours = SSHConfig.from_text(text).lookup("h")
    assert ours["user"] == "included" and "include" not in ours


def test_difference_get_hostnames_with_match(paramiko_oracle_lookup):
    """paramiko's get_hostnames() raises KeyError when the config has a
    Match block; ferrosftp's returns the Host patterns."""
    text = "Host a b\n  User x\nMatch all\n  Port 2\n"
    assert paramiko_oracle_lookup(text, None, what="hostnames") == ["err", "KeyError"]
    assert SSHConfig.from_text(text).get_hostnames() == {"*", "a", "b"}


@pytest.fixture
def paramiko_oracle_lookup(tmp_path):
    """One lookup (or get_hostnames) through real paramiko, for the
    difference tests."""
    where = os.environ.get("FERROSFTP_ORACLE_PATH")
    if not where or not os.path.isdir(os.path.join(where, "paramiko")):
        pytest.fail("needs real paramiko in FERROSFTP_ORACLE_PATH")
    script = (
        "import json, os, sys\n"
        "sys.path.insert(0, os.environ['FERROSFTP_ORACLE_PATH'])\n"
        "from paramiko.config import SSHConfig\n"
        "text, host, what = json.loads(sys.argv[1])\n"
        "c = SSHConfig.from_text(text)\n"
        "if what == 'lookup':\n"
        "    print(json.dumps(dict(c.lookup(host))))\n"
        "else:\n"
        "    try:\n"
        "        print(json.dumps(['ok', sorted(c.get_hostnames())]))\n"
        "    except Exception as e:\n"
        "        print(json.dumps(['err', type(e).__name__]))\n"
    )

    def run(text, host, what="lookup"):
        p = subprocess.run(
            [sys.executable, "-I", "-c", script, json.dumps([text, host, what])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(tmp_path),
            env=dict(os.environ, FERROSFTP_ORACLE_PATH=os.path.abspath(where)),
            timeout=60,
        )
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    return run


# ------------------------------------------------------------- the API


def test_module_and_names():
    import ferrosftp

    assert ferrosftp.SSHConfig is SSHConfig and ferrosftp.SSHConfigDict is SSHConfigDict
    assert fconfig.SSH_PORT == 22
    assert fconfig.ConfigParseError is ferrosftp.ConfigParseError
    assert fconfig.CouldNotCanonicalize is ferrosftp.CouldNotCanonicalize
    assert issubclass(SSHConfigDict, dict)
    assert SSHConfig.TOKENS_BY_CONFIG_KEY["identityfile"] == ["%C", "~", "%d", "%h", "%l", "%u", "%r"]


def test_install_as_paramiko_maps_config(monkeypatch):
    import ferrosftp

    for name in [n for n in sys.modules if n == "paramiko" or n.startswith("paramiko.")]:
        monkeypatch.delitem(sys.modules, name)
    ferrosftp.install_as_paramiko()
    try:
        import paramiko
        import paramiko.config
        from paramiko.config import SSHConfig as Mapped, SSH_PORT

        assert paramiko.config is fconfig and Mapped is SSHConfig and SSH_PORT == 22
        assert paramiko.SSHConfig is SSHConfig and paramiko.SSHConfigDict is SSHConfigDict
    finally:
        for name in [n for n in sys.modules if n == "paramiko" or n.startswith("paramiko.")]:
            del sys.modules[name]


def test_constructors_and_parse(tmp_path):
    text = "Host a\n  User ua\n"
    path = tmp_path / "cfg"
    path.write_text(text)
    assert SSHConfig.from_path(str(path)).lookup("a") == {"hostname": "a", "user": "ua"}
    with open(str(path)) as f:
        assert SSHConfig.from_file(f).lookup("a")["user"] == "ua"
    c = SSHConfig()
    assert c.lookup("a") == {"hostname": "a"}
    c.parse(iter(["Host b\n", "  User ub\n"]))
    c.parse(iter(text.splitlines(True)))  # a second parse adds blocks after the first's
    assert c.lookup("a")["user"] == "ua" and c.lookup("b")["user"] == "ub"
    assert c.get_hostnames() == {"*", "a", "b"}
    r = c.lookup("a")
    assert type(r) is SSHConfigDict
    r["identityfile"] = ["changed"]
    assert "identityfile" not in c.lookup("a")


def test_lookup_does_not_share_lists_with_the_config():
    c = SSHConfig.from_text("Host a\n  IdentityFile /k1\nHost *\n  IdentityFile /k2\n")
    first = c.lookup("a")
    first["identityfile"].append("/mine")
    assert c.lookup("a")["identityfile"] == ["/k1", "/k2"]


def test_as_bool_and_as_int():
    d = SSHConfigDict(a="yes", b="No", c=True, d="42", e="x")
    assert d.as_bool("a") is True and d.as_bool("b") is False and d.as_bool("c") is True
    assert d.as_bool("e") is False and d.as_int("d") == 42
    with pytest.raises(ValueError):
        d.as_int("e")
    with pytest.raises(KeyError):
        d.as_bool("missing")


def test_match_exec_runs_a_shell_and_hides_stdout(tmp_path, capfd):
    marker = tmp_path / "ran"
    c = SSHConfig.from_text('Match exec "echo visible; touch %s; test %%h = yes"\n  User ran\n' % marker)
    assert c.lookup("yes")["user"] == "ran"
    assert marker.exists()
    assert "user" not in c.lookup("no")
    assert "visible" not in capfd.readouterr().out


def test_canonicalize_method(dns):
    c = SSHConfig()
    opts = SSHConfigDict()
    assert c.canonicalize("web", opts, ["nothere.example", "resolvable.example"]) == "web.resolvable.example"
    assert c.canonicalize("web", opts, ["nothere.example"]) == "web"
    with pytest.raises(CouldNotCanonicalize):
        c.canonicalize("web", SSHConfigDict(canonicalizefallbacklocal="no"), ["nothere.example"])


def test_config_parse_errors():
    for text in ("Port\n", 'Host "x\n', "Match all host x\n", "Match host\n"):
        with pytest.raises(ConfigParseError):
            SSHConfig.from_text(text)


# -------------------------------------------- the CLI's use of the config


def _resolve_the_old_way(host, config_path, home_dir, port=None, user=None):
    """What ferrosftp.cli.resolve_ssh_config returned when it ran ``ssh -G``
    (the previous implementation, kept here as the reference)."""
    from ferrosftp.host_config import HostConfig, expand_tokens

    ssh = shutil.which("ssh")
    cmd = [ssh, "-G", "-F", config_path]
    if port:
        cmd += ["-p", str(port)]
    if user:
        cmd += ["-l", user]
    p = subprocess.run(
        cmd + ["--", host],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        env=dict(os.environ, HOME=home_dir, LOGNAME=ME, USER=ME),
    )
    assert p.returncode == 0, p.stderr
    cfg = HostConfig(hostname=host, port=port or 22, user=user, from_ssh=True)
    for line in p.stdout.splitlines():
        key, _, value = line.partition(" ")
        key, value = key.lower(), value.strip()
        if key == "hostname":
            cfg.hostname = value
        elif key == "port":
            cfg.port = int(value)
        elif key == "user":
            cfg.user = value
        elif key == "identityfile":
            cfg.identity_files.append(value)
        elif key == "userknownhostsfile":
            cfg.known_hosts = value.split()
        elif key == "globalknownhostsfile":
            cfg.global_known_hosts = value.split()
        elif key == "stricthostkeychecking":
            cfg.strict_host_key_checking = value.lower()
        elif key == "connecttimeout" and value not in ("none", ""):
            cfg.connect_timeout = float(value)
        elif key == "proxyjump" and value.lower() != "none":
            cfg.proxy_jump = value
        elif key == "proxycommand" and value.lower() != "none":
            cfg.proxy_command = value
        elif key == "identitiesonly":
            cfg.identities_only = value.lower() in ("yes", "true")
    cfg.identity_files = [expand_tokens(v, cfg, host) for v in cfg.identity_files]
    cfg.known_hosts = [expand_tokens(v, cfg, host) for v in cfg.known_hosts]
    cfg.global_known_hosts = [expand_tokens(v, cfg, host) for v in cfg.global_known_hosts]
    if cfg.proxy_command:  # ssh -G prints it raw; ssh runs it with its tokens expanded
        cfg.proxy_command = expand_tokens(cfg.proxy_command, cfg, host)
    return cfg


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_cli_resolution_same_as_with_ssh_G(name, home):
    from ferrosftp.cli import resolve_ssh_config

    path = os.path.join(CORPUS, name)
    for host in corpus_header(name, "hosts"):
        for port, user in ((None, None), (2999, "cliuser")):
            new = resolve_ssh_config(host, port, user, path)
            old = _resolve_the_old_way(host, path, home, port, user)
            if new.user is None:
                new.user = ME  # ssh -G always prints one
            # the one intended change: ~ in the known_hosts files is $HOME
            # now, as for the key files (ssh -G gave the passwd entry's)
            pw_dir = pwd.getpwuid(os.getuid()).pw_dir
            old.known_hosts = [home + k[len(pw_dir) :] if k.startswith(pw_dir + "/") else k for k in old.known_hosts]
            assert new == old, (name, host, port, user)


def test_cli_command_line_wins_and_match_sees_it(home, tmp_path):
    from ferrosftp.cli import resolve_ssh_config

    path = tmp_path / "cfg"
    _write(
        path,
        "Match user cliuser\n    HostName seen-cli-user.example\nHost *\n    User fileuser\n    Port 2\n"
        "    UserKnownHostsFile ~/kh-%h %d/kh2\n    ConnectTimeout 1m30s\n"
        "    StrictHostKeyChecking no\n",
    )
    cfg = resolve_ssh_config("Host1", 2999, "cliuser", str(path))
    assert (cfg.hostname, cfg.port, cfg.user) == ("seen-cli-user.example", 2999, "cliuser")
    assert cfg.known_hosts == [home + "/kh-seen-cli-user.example", home + "/kh2"]
    assert cfg.connect_timeout == 90.0 and cfg.strict_host_key_checking == "false"
    cfg = resolve_ssh_config("Host1", None, None, str(path))
    assert (cfg.hostname, cfg.port, cfg.user) == ("host1", 2, "fileuser")  # lowercased, as ssh does
    assert cfg.identity_files == [os.path.expanduser(f) for f in SSH_DEFAULT_IDENTITY_FILES]


def test_cli_default_file_none_and_missing(home, tmp_path):
    from ferrosftp.cli import UsageError, resolve_ssh_config

    # no ~/.ssh/config: ssh's defaults
    cfg = resolve_ssh_config("h")
    assert cfg.from_ssh and cfg.hostname == "h" and cfg.port == 22
    assert cfg.known_hosts == [home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"]
    assert cfg.global_known_hosts == ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]
    # ~/.ssh/config is read by default, its Include too
    _write(os.path.join(home, ".ssh", "config"), "Host h\n    Include conf.d/*.conf\n    Port 2345\n")
    _write(os.path.join(home, ".ssh", "conf.d", "30-user.conf"), "User fromconfd\n")
    cfg = resolve_ssh_config("h")
    assert (cfg.port, cfg.user) == (2345, "fromconfd")
    # -F none: nothing read, plain defaults
    cfg = resolve_ssh_config("h", config_file="none")
    assert (cfg.port, cfg.user, cfg.from_ssh, cfg.identity_files) == (22, None, False, [])
    with pytest.raises(UsageError, match="can't open"):
        resolve_ssh_config("h", config_file=str(tmp_path / "missing"))
    _write(tmp_path / "bad", "Host h\n  Port\n")
    with pytest.raises(UsageError, match="Unparsable"):
        resolve_ssh_config("h", config_file=str(tmp_path / "bad"))
    _write(tmp_path / "badport", "Port abc\n")
    with pytest.raises(UsageError, match="bad port"):
        resolve_ssh_config("h", config_file=str(tmp_path / "badport"))


def test_cli_proxy_settings(home, tmp_path):
    from ferrosftp.cli import resolve_ssh_config

    path = tmp_path / "cfg"
    _write(path, "Host j\n    ProxyJump bastion\nHost c\n    ProxyCommand nc %h %p\nHost n\n    ProxyCommand none\n")
    assert resolve_ssh_config("j", config_file=str(path)).proxy_jump == "bastion"
    assert resolve_ssh_config("c", config_file=str(path)).proxy_command == "nc c 22"  # tokens expanded
    n = resolve_ssh_config("n", config_file=str(path))
    assert n.proxy_command is None and n.proxy_jump is None


def test_corpus_files_are_all_compared():
    """Every corpus file has a hosts line and is one of the parametrized
    cases; every file under dot-ssh/ is reached by some Include."""
    assert len(CORPUS_FILES) >= 7
    for name in CORPUS_FILES:
        assert corpus_header(name, "hosts"), name
    dot = os.path.join(CORPUS, "dot-ssh")
    files = {os.path.relpath(os.path.join(d, f), dot) for d, _, fs in os.walk(dot) for f in fs}
    assert files == {
        "conf.d/10-first.conf",
        "conf.d/20-second.conf",
        "conf.d/ignored.txt",
        "inc1.conf",
        "hosts/inc-a.conf",
        "hosts/nested.conf",
        "nested.conf",
        "tail.conf",
    }
