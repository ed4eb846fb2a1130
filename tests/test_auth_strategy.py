"""paramiko.auth_strategy (AuthStrategy and its sources) and
``SSHClient.connect(auth_strategy=...)``, the names Fabric 3, sshtunnel,
smart_open and scp.py take from paramiko, and ``paramiko.agent.AgentRequestHandler``
(agent forwarding: importable, refused when used).

Against the suite's sshd; one test runs the same strategies through real
paramiko 5.1 (FERROSFTP_ORACLE_PATH, as tests/test_differential.py) and
compares every recorded attempt.
"""

import json
import os
import subprocess
import sys
import time

import pytest

import ferrosftp
from client_helpers import connect_client
from ferrosftp import (
    AuthenticationException,
    BadAuthenticationType,
    PKey,
    SSHClient,
    SSHException,
)
from ferrosftp.auth_strategy import (
    AuthFailure,
    AuthResult,
    AuthSource,
    AuthStrategy,
    InMemoryPrivateKey,
    NoneAuth,
    OnDiskPrivateKey,
    Password,
    PrivateKey,
    SourceResult,
)


class Listed(AuthStrategy):
    """A strategy trying the given sources in order."""

    def __init__(self, sources, ssh_config=None):
        super().__init__(ssh_config=ssh_config)
        self.sources = list(sources)

    def get_sources(self):
        yield from self.sources


class Getter:
    """A password getter that counts its calls (laziness) and may raise."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


@pytest.fixture(scope="module")
def stranger_key(tmp_path_factory):
    """A key the server does not know."""
    path = str(tmp_path_factory.mktemp("stranger") / "id_stranger")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", path], check=True, timeout=60
    )
    return path


def _connect(sshd, strategy, **kw):
    c = SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    kw.setdefault("timeout", 20)
    result = c.connect(sshd.host, port=sshd.port, auth_strategy=strategy, **kw)
    return c, result


def _run(client, command):
    _, stdout, _ = client.exec_command(command, timeout=20)
    return stdout.read().decode().strip()


# -- the classes on their own ------------------------------------------------------------


@pytest.mark.timeout(30)
def test_sources_repr_never_show_secrets(sshd):
    key = PKey.from_path(sshd.keys["ed25519"])
    getter = Getter("s3cret-pw")
    pw = Password("alice", getter)
    assert repr(pw) == "Password(user='alice')"
    assert "s3cret" not in repr(pw) and "s3cret" not in str(pw)
    assert getter.calls == 0  # lazy: a repr never asks for the password
    assert repr(NoneAuth("alice")) == "NoneAuth()"
    assert repr(InMemoryPrivateKey("alice", key)) == "InMemoryPrivateKey(pkey={!r})".format(key)
    on_disk = OnDiskPrivateKey("alice", "implicit-home", sshd.keys["ed25519"], key)
    assert repr(on_disk) == "OnDiskPrivateKey(key={!r}, source='implicit-home', path={!r})".format(
        key, sshd.keys["ed25519"]
    )
    assert (on_disk.username, on_disk.source, on_disk.path, on_disk.pkey) == (
        "alice",
        "implicit-home",
        sshd.keys["ed25519"],
        key,
    )
    for source in ("ssh-config", "python-config", "implicit-home"):
        assert OnDiskPrivateKey("u", source, "p", key).source == source
    with pytest.raises(ValueError, match="source argument must be one of"):
        OnDiskPrivateKey("alice", "somewhere", sshd.keys["ed25519"], key)
    assert issubclass(InMemoryPrivateKey, PrivateKey) and issubclass(OnDiskPrivateKey, PrivateKey)
    assert all(issubclass(c, AuthSource) for c in (NoneAuth, Password, PrivateKey))


@pytest.mark.timeout(30)
def test_result_and_failure_shapes():
    strategy = Listed([])
    a, b = NoneAuth("u"), Password("u", Getter("x"))
    denied = AuthenticationException("Authentication failed.")
    result = AuthResult(strategy, [SourceResult(a, denied)])
    result.append(SourceResult(b, []))
    assert isinstance(result, list) and result.strategy is strategy
    assert result[1].source is b and result[1].result == [] and result[1] == (b, [])
    assert SourceResult._fields == ("source", "result")
    assert str(result) == "NoneAuth() -> Authentication failed.\nPassword(user='u') -> success"
    failure = AuthFailure(result=result)
    assert isinstance(failure, AuthenticationException) and isinstance(failure, SSHException)
    assert failure.result is result
    assert str(failure) == "\n" + str(result)
    # a still-required method list is not "success"
    assert str(AuthResult(strategy, [SourceResult(a, ["password"])])) == "NoneAuth() -> ['password']"


class FakeTransport:
    """Records the auth_* calls; answers from a script of outcomes."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def _answer(self, call):
        self.calls.append(call)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def auth_none(self, username):
        return self._answer(("none", username))

    def auth_password(self, username, password):
        return self._answer(("password", username, password))

    def auth_publickey(self, username, key):
        return self._answer(("publickey", username, key))


@pytest.mark.timeout(30)
def test_authenticate_tries_in_order_and_stops_at_success(sshd):
    key = PKey.from_path(sshd.keys["ed25519"])
    later = Getter("never")
    strategy = Listed([NoneAuth("u"), Password("p", Getter("pw")), InMemoryPrivateKey("k", key), Password("q", later)])
    bad_type = BadAuthenticationType("Bad authentication type", ["publickey"])
    boom = RuntimeError("not an SSH error")  # any Exception is recorded, as in paramiko
    t = FakeTransport([bad_type, boom, []])
    result = strategy.authenticate(t)
    assert t.calls == [("none", "u"), ("password", "p", "pw"), ("publickey", "k", key)]
    assert later.calls == 0
    assert [r.result for r in result] == [bad_type, boom, []]
    assert [r.source for r in result] == strategy.sources[:3]


@pytest.mark.timeout(30)
def test_authenticate_failure_and_what_propagates():
    # every source fails: AuthFailure with all of them
    strategy = Listed([NoneAuth("u"), Password("u", Getter(OSError("no tty")))])
    denied = AuthenticationException("Authentication failed.")
    with pytest.raises(AuthFailure) as info:
        strategy.authenticate(FakeTransport([denied]))
    assert [type(r.result) for r in info.value.result] == [AuthenticationException, OSError]
    assert info.value.result.strategy is strategy
    # no sources at all: AuthFailure with an empty result
    with pytest.raises(AuthFailure) as info:
        Listed([]).authenticate(FakeTransport([]))
    assert list(info.value.result) == [] and str(info.value) == "\n"
    # Ctrl-C is not an authentication failure
    with pytest.raises(KeyboardInterrupt):
        Listed([NoneAuth("u")]).authenticate(FakeTransport([KeyboardInterrupt()]))
    # the abstract parts
    with pytest.raises(NotImplementedError):
        AuthSource("u").authenticate(FakeTransport([]))
    with pytest.raises(NotImplementedError):
        AuthStrategy(ssh_config=None).authenticate(FakeTransport([]))
    assert AuthStrategy(ssh_config={"user": "x"}).ssh_config == {"user": "x"}


# -- through SSHClient.connect against the real sshd ------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa", "rsa_pem"])
def test_on_disk_key(sshd, kind):
    path = sshd.keys[kind]
    source = OnDiskPrivateKey(sshd.username, "python-config", path, PKey.from_path(path))
    strategy = Listed([source])
    c, result = _connect(sshd, strategy)
    try:
        assert isinstance(result, AuthResult) and result.strategy is strategy
        assert list(result) == [(source, [])]
        t = c.get_transport()
        assert t.is_authenticated() and t.get_username() == sshd.username
        assert _run(c, "echo on-disk") == "on-disk"
    finally:
        c.close()


@pytest.mark.timeout(60)
def test_in_memory_decrypted_key(sshd):
    key = PKey.from_path(sshd.keys["ed25519_enc"], passphrase=sshd.key_passphrase)
    source = InMemoryPrivateKey(sshd.username, key)
    c, result = _connect(sshd, Listed([source]))
    try:
        assert [(r.source, r.result) for r in result] == [(source, [])]
        assert _run(c, "echo in-memory") == "in-memory"
    finally:
        c.close()


@pytest.mark.timeout(60)
def test_password(sshd):
    right = Getter(sshd.password or "no-password-for-this-user")
    source = Password(sshd.username, right)
    if sshd.password_auth:  # root: the fixture's user has a real password
        c, result = _connect(sshd, Listed([source]))
        try:
            assert list(result) == [(source, [])]
            assert _run(c, "echo by-password") == "by-password"
        finally:
            c.close()
    else:  # an unprivileged sshd cannot check passwords: the source fails, cleanly
        with pytest.raises(AuthFailure) as info:
            _connect(sshd, Listed([source]))
        assert [type(r.result) for r in info.value.result] == [AuthenticationException]
    assert right.calls == 1


@pytest.mark.timeout(60)
def test_all_sources_fail(sshd, stranger_key):
    wrong = Getter("certainly-not-the-password")
    sources = [
        NoneAuth(sshd.username),
        OnDiskPrivateKey(sshd.username, "ssh-config", stranger_key, PKey.from_path(stranger_key)),
        Password(sshd.username, wrong),
    ]
    strategy = Listed(sources)
    c = SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    with pytest.raises(AuthFailure) as info:
        c.connect(sshd.host, port=sshd.port, auth_strategy=strategy, timeout=20)
    failure = info.value
    assert isinstance(failure, AuthenticationException)
    assert failure.result.strategy is strategy
    assert [r.source for r in failure.result] == sources
    none_result, key_result, pw_result = (r.result for r in failure.result)
    assert type(none_result) is BadAuthenticationType
    assert "publickey" in none_result.allowed_types
    assert type(key_result) is AuthenticationException
    assert type(pw_result) is AuthenticationException
    assert str(key_result) == str(pw_result) == "Authentication failed."
    assert wrong.calls == 1
    lines = str(failure).split("\n")
    assert lines[0] == "" and len(lines) == 4
    assert lines[1].startswith("NoneAuth() -> Bad authentication type; allowed types:")
    assert lines[3] == "Password(user={!r}) -> Authentication failed.".format(sshd.username)
    assert "certainly-not" not in str(failure)
    # ferrosftp closes the connection of a failed connect (paramiko leaves it open)
    assert not c.get_transport().is_active()
    c.close()


@pytest.mark.timeout(60)
def test_none_first_then_key_like_openssh(sshd, stranger_key):
    good = PKey.from_path(sshd.keys["ed25519"])
    sources = [
        NoneAuth(sshd.username),
        InMemoryPrivateKey(sshd.username, PKey.from_path(stranger_key)),
        InMemoryPrivateKey(sshd.username, good),
        Password(sshd.username, Getter(AssertionError())),
    ]
    c, result = _connect(sshd, Listed(sources))
    try:
        assert [r.source for r in result] == sources[:3]
        assert isinstance(result[0].result, BadAuthenticationType)
        assert type(result[1].result) is AuthenticationException
        assert result[2].result == []
        assert str(result).split("\n")[-1] == "{!r} -> success".format(sources[2])
        assert _run(c, "echo after-none") == "after-none"
    finally:
        c.close()


@pytest.mark.timeout(60)
def test_strategy_replaces_classic_arguments(sshd, stranger_key):
    # the classic arguments are ignored (paramiko does the same), including username
    source = InMemoryPrivateKey(sshd.username, PKey.from_path(sshd.keys["ecdsa"]))
    c, result = _connect(
        sshd,
        Listed([source]),
        username="somebody-else",
        password="x",
        key_filename=stranger_key,
        allow_agent=True,
        look_for_keys=True,
    )
    try:
        assert list(result) == [(source, [])]
        assert c.get_transport().get_username() == sshd.username
    finally:
        c.close()


@pytest.mark.timeout(90)
def test_agent_key_source(sshd, tmp_path, monkeypatch):
    # Fabric's OpenSSHAuthStrategy yields InMemoryPrivateKey(agent key) per agent key
    sock = str(tmp_path / "agent.sock")
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            assert time.monotonic() < deadline, "ssh-agent did not start"
            time.sleep(0.05)
        env = dict(os.environ, SSH_AUTH_SOCK=sock)
        subprocess.run(
            ["ssh-add", "-q", sshd.keys["ed25519"]], env=env, check=True, timeout=30, stderr=subprocess.DEVNULL
        )
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        agent = ferrosftp.Agent()
        (agent_key,) = agent.get_keys()
        source = InMemoryPrivateKey(sshd.username, agent_key)
        assert repr(source).endswith(" [agent]")
        c, result = _connect(sshd, Listed([source]))
        try:
            assert list(result) == [(source, [])]
            assert _run(c, "echo via-agent") == "via-agent"
        finally:
            c.close()
            agent.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- real paramiko as the oracle ----------------------------------------------------------

# The same script runs once with real paramiko and once with ferrosftp
# installed as paramiko; it prints what every strategy did.
_SCENARIOS = r"""
import json, sys
params = json.loads(sys.argv[1])
if params["impl"] == "ferrosftp":
    import ferrosftp
    ferrosftp.install_as_paramiko()
import paramiko
from paramiko.auth_strategy import (AuthFailure, AuthResult, AuthStrategy, InMemoryPrivateKey,
                                    NoneAuth, OnDiskPrivateKey, Password, SourceResult)
calls = []

def getter(value, name):
    def get():
        calls.append(name)
        if isinstance(value, Exception):
            raise value
        return value
    return get

class Listed(AuthStrategy):
    def __init__(self, sources):
        super().__init__(ssh_config=None)
        self.sources = sources
    def get_sources(self):
        for s in self.sources:
            yield s

def describe(result):
    if isinstance(result, Exception):
        d = {"exc": type(result).__name__, "msg": str(result),
             "auth": isinstance(result, paramiko.AuthenticationException)}
        if isinstance(result, paramiko.BadAuthenticationType):
            d["allowed"] = sorted(result.allowed_types)
        return d
    return {"ok": result}

def run(sources):
    del calls[:]
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    strategy = Listed(sources)
    out = {}
    try:
        res = c.connect(params["host"], port=params["port"], username="somebody-else",
                        password="unused", timeout=20, auth_strategy=strategy)
        out["raised"] = None
    except AuthFailure as e:
        res = e.result
        out["raised"] = type(e).__name__
        out["str"] = str(e)
        out["active_after"] = c.get_transport().is_active()
    out["type"] = [type(res).__name__, isinstance(res, AuthResult), isinstance(res, list)]
    out["strategy_is"] = res.strategy is strategy
    out["sources_are"] = [r.source is s for r, s in zip(res, sources)]
    out["tuples"] = all(isinstance(r, SourceResult) and isinstance(r, tuple) for r in res)
    out["results"] = [[type(r.source).__name__, repr(r.source), describe(r.result)] for r in res]
    out["text"] = str(res)
    out["getter_calls"] = list(calls)
    t = c.get_transport()
    out["authenticated"] = bool(t is not None and t.is_active() and t.is_authenticated())
    if out["authenticated"]:
        _, stdout, _ = c.exec_command("echo strategy-ok")
        out["exec"] = stdout.read().decode().strip()
        out["username"] = t.get_username()
    c.close()
    return out

user = params["user"]
good = paramiko.PKey.from_path(params["good_key"])
stranger = paramiko.PKey.from_path(params["stranger_key"])
report = {
    "none_stranger_good": run([NoneAuth(user),
                               OnDiskPrivateKey(user, "python-config", params["stranger_key"], stranger),
                               InMemoryPrivateKey(user, good),
                               Password(user, getter("never-asked", "late"))]),
    "all_fail": run([NoneAuth(user), InMemoryPrivateKey(user, stranger),
                     Password(user, getter("wrong-password", "wrong"))]),
    "getter_raises": run([Password(user, getter(RuntimeError("no tty"), "raises")),
                          InMemoryPrivateKey(user, good)]),
    "empty": run([]),
}
if params.get("password"):
    report["password"] = run([Password(user, getter(params["password"], "right"))])
print(json.dumps(report, sort_keys=True))
"""


def _scenarios(impl, script, sshd, stranger_key, extra_env):
    params = {
        "impl": impl,
        "host": sshd.host,
        "port": sshd.port,
        "user": sshd.username,
        "good_key": sshd.keys["ed25519"],
        "stranger_key": stranger_key,
        "password": sshd.password if sshd.password_auth else None,
    }
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SSH_AUTH_SOCK")}
    env.update(extra_env)
    p = subprocess.run(
        [sys.executable, script, json.dumps(params)],
        cwd="/",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=150,
    )
    assert p.returncode == 0, "%s: %s" % (impl, p.stderr[-3000:])
    return json.loads(p.stdout)


@pytest.mark.timeout(240)
def test_same_attempts_as_paramiko(sshd, stranger_key, tmp_path):
    where = os.environ.get("FERROSFTP_ORACLE_PATH")
    if not where or not os.path.isdir(os.path.join(where, "paramiko")):
        pytest.fail(
            "this test needs real paramiko in FERROSFTP_ORACLE_PATH "
            "(.ci/run: pip install --target .ci-oracle paramiko==5.1.0)"
        )
    script = str(tmp_path / "scenarios.py")
    with open(script, "w") as f:
        f.write(_SCENARIOS)
    theirs = _scenarios("paramiko", script, sshd, stranger_key, {"PYTHONPATH": where})
    ours = _scenarios("ferrosftp", script, sshd, stranger_key, {})
    assert sorted(ours) == sorted(theirs)
    # The one deliberate difference: after AuthFailure, paramiko's transport
    # stays open; ferrosftp closes it, as for any failed connect.
    for name in ("all_fail", "empty"):
        assert theirs[name].pop("active_after") is True
        assert ours[name].pop("active_after") is False
    for name in theirs:
        assert ours[name] == theirs[name], name
    # and the scenarios did what they are for
    assert theirs["none_stranger_good"]["authenticated"] and theirs["none_stranger_good"]["exec"] == "strategy-ok"
    assert [r[2].get("exc") for r in theirs["none_stranger_good"]["results"]] == [
        "BadAuthenticationType",
        "AuthenticationException",
        None,
    ]
    assert theirs["none_stranger_good"]["getter_calls"] == []
    assert theirs["all_fail"]["raised"] == "AuthFailure" and len(theirs["all_fail"]["results"]) == 3
    assert theirs["getter_raises"]["results"][0][2]["exc"] == "RuntimeError"
    assert theirs["empty"]["results"] == [] and theirs["empty"]["str"] == "\n"
    if sshd.password_auth:
        assert theirs["password"]["authenticated"]


# -- agent forwarding: importable, refused ------------------------------------------------


@pytest.mark.timeout(60)
def test_agent_request_handler_is_refused(client):
    from ferrosftp.agent import AgentRequestHandler

    chan = client.get_transport().open_session(timeout=20)
    try:
        with pytest.raises(SSHException, match="agent forwarding .*not supported"):
            AgentRequestHandler(chan)
        # nothing was half-started: the channel still runs a command
        chan.exec_command("echo still-fine")
        assert chan.makefile("rb").read().strip() == b"still-fine"
        assert chan.recv_exit_status() == 0
    finally:
        chan.close()


# -- Transport.active, as Fabric and smart_open read it ---------------------------------


@pytest.mark.timeout(60)
def test_transport_active_clears_when_the_connection_is_found_dead(sshd, fault_proxy):
    # Fabric's Connection.is_connected is `transport.active` (a stale True means
    # no reconnect); smart_open reconnects when it is False.
    proxy = fault_proxy()
    c = connect_client(sshd, port=proxy.port)
    try:
        t = c.get_transport()
        assert t.active is True and t.is_active()
        proxy.cut_all("rst")
        deadline = time.monotonic() + 20
        while True:  # the first call that touches the dead connection fails
            try:
                c.exec_command("echo x", timeout=5)[1].read()
            except (SSHException, EOFError, OSError):
                break
            assert time.monotonic() < deadline, "the cut connection kept working"
            time.sleep(0.1)
        assert t.active is False and not t.is_active()
    finally:
        c.close()
    assert t.active is False


@pytest.mark.timeout(60)
def test_transport_active_before_and_after(sshd):
    t = ferrosftp.Transport((sshd.host, sshd.port))
    try:
        assert t.active is False  # connected TCP, no handshake yet
        t.start_client(timeout=20)
        assert t.active is True
        t.active = False  # paramiko code may clear it itself
        assert t.active is False
        t.active = True
        assert t.active is True
    finally:
        t.close()
        if t.sock is not None:
            t.sock.close()
    assert t.active is False


# -- the names real programs import -------------------------------------------------------

_PROGRAM_NAMES = r"""
import sys, ferrosftp
assert "paramiko" not in sys.modules
ferrosftp.install_as_paramiko()
import paramiko

# added for them: paramiko.auth_strategy (Fabric 3 fabric/auth.py), AgentRequestHandler
# (fabric/connection.py), SSHClient.connect(auth_strategy=...)
import paramiko.auth_strategy
from paramiko.auth_strategy import (AuthFailure, AuthResult, AuthSource, AuthStrategy,
    InMemoryPrivateKey, NoneAuth, OnDiskPrivateKey, Password, PrivateKey, SourceResult)
from paramiko.agent import AgentRequestHandler
import inspect
assert sys.modules["paramiko.auth_strategy"] is sys.modules["ferrosftp.auth_strategy"]
for name in ("AuthFailure", "AuthResult", "AuthSource", "AuthStrategy", "InMemoryPrivateKey",
             "NoneAuth", "OnDiskPrivateKey", "Password", "PrivateKey", "SourceResult"):
    assert getattr(paramiko, name) is getattr(paramiko.auth_strategy, name), name
assert issubclass(AuthFailure, paramiko.AuthenticationException)
assert AgentRequestHandler is ferrosftp.agent.AgentRequestHandler
assert "auth_strategy" in inspect.signature(paramiko.SSHClient.connect).parameters

# already there, used by Fabric 3, sshtunnel, smart_open and scp.py
from paramiko import Agent, PKey
from paramiko.client import SSHClient, AutoAddPolicy
from paramiko import __version__
import paramiko.pkey, paramiko.transport
for name in ("SSHClient", "AutoAddPolicy", "Agent", "PKey", "RSAKey", "DSSKey", "ECDSAKey",
             "Ed25519Key", "Transport", "SSHException", "AuthenticationException",
             "PasswordRequiredException", "SFTPFile", "SFTPClient"):
    assert hasattr(paramiko, name), name
assert paramiko.pkey.PKey is PKey
members = {
    paramiko.SSHClient: ["connect", "close", "get_transport", "open_sftp", "load_system_host_keys",
                         "set_missing_host_key_policy"],
    paramiko.Transport: ["open_session", "open_channel", "open_sftp_client", "connect", "close",
                         "stop_thread", "is_active", "is_alive", "set_keepalive", "use_compression",
                         "getpeername", "auth_none", "auth_password", "auth_publickey"],
    paramiko.Channel: ["get_pty", "resize_pty", "update_environment", "exec_command", "invoke_shell",
                       "recv", "recv_ready", "recv_stderr", "recv_stderr_ready", "send", "sendall",
                       "shutdown_write", "exit_status_ready", "recv_exit_status", "settimeout",
                       "close", "fileno", "active"],
    paramiko.SFTPClient: ["stat", "getcwd", "normalize", "get", "getfo", "put", "putfo", "chmod",
                          "open", "close"],
    paramiko.SFTPFile: ["prefetch"],
    paramiko.PKey: ["from_path", "from_private_key_file", "get_fingerprint", "get_name", "get_bits",
                    "fingerprint", "algorithm_name"],
    paramiko.Agent: ["get_keys", "close"],
}
for cls, names in members.items():
    for name in names:
        assert hasattr(cls, name), (cls.__name__, name)
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))  # sshtunnel's way; connects in the constructor
try:
    assert t.sock is not None and t.daemon is True and t.active is False
finally:
    t.close()
    t.sock.close()
print("ok")
"""


@pytest.mark.timeout(120)
def test_program_names_resolve_after_install_as_paramiko(sshd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run(
        [sys.executable, "-c", _PROGRAM_NAMES, str(sshd.port)],
        cwd="/",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=100,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ok"
