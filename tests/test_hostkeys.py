"""HostKeys / HostKeyEntry: paramiko's semantics plus the OpenSSH-style
verify() used by the client (markers, wildcards, hashes, ports)."""

import base64
import os
import subprocess

import pytest

from ferrosftp.hostkeys import (
    HostKeyEntry,
    HostKeys,
    InvalidHostKey,
    host_key_name,
)
from ferrosftp.pkey import ECDSAKey, Ed25519Key, PKey, RSAKey
from ferrosftp.ssh_exception import SSHException


def _keygen(directory, name, *args):
    path = os.path.join(directory, name)
    subprocess.run(
        ["ssh-keygen", "-q", "-N", "", "-C", name, "-f", path, *args],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    with open(path + ".pub") as f:
        key_type, b64 = f.read().split()[:2]
    return key_type, b64


@pytest.fixture(scope="module")
def pubs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("hostkeys"))
    return {
        "ed": _keygen(d, "ed", "-t", "ed25519"),
        "ed2": _keygen(d, "ed2", "-t", "ed25519"),
        "rsa": _keygen(d, "rsa", "-t", "rsa", "-b", "1024"),
        "rsa2": _keygen(d, "rsa2", "-t", "rsa", "-b", "1024"),
        "ec256": _keygen(d, "ec256", "-t", "ecdsa", "-b", "256"),
        "ec384": _keygen(d, "ec384", "-t", "ecdsa", "-b", "384"),
    }


def key(pubs, name):
    key_type, b64 = pubs[name]
    return PKey.from_type_string(key_type, base64.b64decode(b64))


def line(pubs, hosts, name, marker=None):
    key_type, b64 = pubs[name]
    prefix = marker + " " if marker else ""
    return "{}{} {} {}\n".format(prefix, hosts, key_type, b64)


def write(tmp_path, text, name="known_hosts"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


# --- loading ---------------------------------------------------------------------


def test_load_lookup_check(pubs, tmp_path):
    path = write(
        tmp_path,
        "# a comment\n\n"
        + line(pubs, "host1", "ed")
        + line(pubs, "host1,10.0.0.1", "rsa").rstrip("\n")
        + " trailing comment\n"
        + "   \n"
        + line(pubs, "[host1]:2222", "ec256"),
    )
    hk = HostKeys(path)
    assert hk.keys() == ["host1", "10.0.0.1", "[host1]:2222"]
    found = hk.lookup("host1")
    assert sorted(found.keys()) == ["ssh-ed25519", "ssh-rsa"]
    assert isinstance(found["ssh-ed25519"], Ed25519Key)
    assert isinstance(found["ssh-rsa"], RSAKey)
    assert found["ssh-rsa"].get_base64() == pubs["rsa"][1]
    assert list(hk.lookup("10.0.0.1").keys()) == ["ssh-rsa"]
    assert list(hk.lookup("[host1]:2222").keys()) == ["ecdsa-sha2-nistp256"]
    assert isinstance(hk["[host1]:2222"]["ecdsa-sha2-nistp256"], ECDSAKey)
    assert hk.lookup("nothere") is None
    assert hk.check("host1", key(pubs, "ed"))
    assert hk.check("10.0.0.1", key(pubs, "rsa"))
    assert not hk.check("host1", key(pubs, "ed2"))
    assert not hk.check("host1", key(pubs, "ec256"))
    assert not hk.check("nothere", key(pubs, "ed"))


def test_lookup_has_no_wildcards(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "*.example.com", "ed")))
    assert hk.lookup("a.example.com") is None
    assert hk.lookup("*.example.com") is not None


def test_malformed_lines_are_skipped(pubs, tmp_path):
    ed_b64 = pubs["ed"][1]
    rsa_b64 = pubs["rsa"][1]
    text = (
        "onlytwo fields\n"
        "host3 ssh-dss AAAAB3NzaC1kc3MAAAA=\n"  # DSA: unknown type now
        "host4 ssh-foo AAAA\n"  # unknown type
        "host5 ssh-rsa {}\n".format(ed_b64)  # blob type != declared type
        + "host6 ssh-ed25519 AAAA\n"  # truncated blob
        "@bogus-marker host7 ssh-rsa {}\n".format(rsa_b64)
        + "@revoked\n"
        + line(pubs, "good", "ed")
    )
    hk = HostKeys(write(tmp_path, text))
    assert hk.keys() == ["good"]
    assert len(hk) == 1


def test_undecodable_base64_raises_invalid_host_key(tmp_path):
    path = write(tmp_path, "this is not a known_hosts file\n")
    with pytest.raises(InvalidHostKey) as e:
        HostKeys(path)
    assert e.value.line == "this is not a known_hosts file"
    assert e.value.args[0] == "this is not a known_hosts file"
    assert e.value.exc is e.value.args[1]
    assert not isinstance(e.value, SSHException)


def test_no_tilde_expansion(pubs, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    write(tmp_path, line(pubs, "h", "ed"))
    assert HostKeys(str(tmp_path / "known_hosts")).keys() == ["h"]
    with pytest.raises(FileNotFoundError):
        HostKeys("~/known_hosts")


def test_missing_file_raises(tmp_path):
    with pytest.raises(IOError):
        HostKeys().load(str(tmp_path / "missing"))


def test_duplicate_lines_are_merged(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "h", "ed") + line(pubs, "h,other", "ed")))
    assert hk.keys() == ["h", "other"]
    assert len(hk._entries) == 2
    assert hk._entries[1].hostnames == ["other"]


def test_hashed_entries_from_ssh_keygen(pubs, tmp_path):
    path = write(
        tmp_path,
        line(pubs, "hashme.example.com", "ed") + line(pubs, "[hashme.example.com]:2200", "ec384"),
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-H", "-f", path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    text = open(path).read()
    assert "hashme" not in text
    hk = HostKeys(path)
    assert all(h.startswith("|1|") for h in hk.keys())
    assert list(hk.lookup("hashme.example.com").keys()) == ["ssh-ed25519"]
    assert list(hk.lookup("[hashme.example.com]:2200").keys()) == ["ecdsa-sha2-nistp384"]
    assert hk.lookup("other.example.com") is None
    assert hk.check("hashme.example.com", key(pubs, "ed"))
    # hash_host reproduces ssh-keygen's hash given the same salt
    hashed = hk.keys()[0]
    assert HostKeys.hash_host("hashme.example.com", hashed) == hashed
    assert hk.verify("hashme.example.com", key(pubs, "ed")) == "match"
    assert hk.verify("[hashme.example.com]:2200", key(pubs, "ec384")) == "match"
    assert hk.verify("[hashme.example.com]:2201", key(pubs, "ec384")) == "missing"


def test_hash_host_format():
    h = HostKeys.hash_host("example.com")
    assert h.startswith("|1|")
    _, _, salt, digest = h.split("|")
    assert len(base64.b64decode(salt)) == 20
    assert len(base64.b64decode(digest)) == 20
    assert HostKeys.hash_host("example.com", h) == h
    assert HostKeys.hash_host("example.com", salt) == h
    assert HostKeys.hash_host("example.org", h) != h


# --- markers ----------------------------------------------------------------------------


def test_markers_parsed_and_kept_apart(pubs, tmp_path):
    text = (
        line(pubs, "*.example.com", "rsa", marker="@cert-authority")
        + line(pubs, "*", "ed2", marker="@revoked")
        + line(pubs, "a.example.com", "ed")
    )
    hk = HostKeys(write(tmp_path, text))
    assert hk.keys() == ["a.example.com"]
    assert "@cert-authority" not in hk.keys() and "@revoked" not in hk.keys()
    assert [e.marker for e in hk._marker_entries] == ["@cert-authority", "@revoked"]
    assert hk._marker_entries[0].hostnames == ["*.example.com"]
    assert hk.lookup("*") is None
    # save writes marker lines back
    out = str(tmp_path / "saved")
    hk.save(out)
    saved = open(out).read().splitlines()
    assert saved[0] == line(pubs, "a.example.com", "ed").strip()
    assert line(pubs, "*.example.com", "rsa", marker="@cert-authority").strip() in saved
    assert line(pubs, "*", "ed2", marker="@revoked").strip() in saved
    again = HostKeys(out)
    assert again.verify("b.example.com", key(pubs, "ed2")) == "revoked"


def test_hostkeyentry_marker_roundtrip(pubs):
    text = line(pubs, "h1,h2", "ed", marker="@revoked").strip()
    e = HostKeyEntry.from_line(text)
    assert e.marker == "@revoked"
    assert e.hostnames == ["h1", "h2"]
    assert e.valid
    assert e.to_line() == text + "\n"
    assert "@revoked" in repr(e)
    plain = HostKeyEntry.from_line(line(pubs, "h1", "ed").strip())
    assert plain.marker is None
    assert plain.to_line() == line(pubs, "h1", "ed")
    assert repr(plain).startswith("<HostKeyEntry ['h1']: ")


# --- save / load ------------------------------------------------------------------------


def test_save_load_roundtrip(pubs, tmp_path):
    hk = HostKeys()
    hk.add("alpha", "ssh-ed25519", key(pubs, "ed"))
    hk.add("[beta]:2222", "ssh-rsa", key(pubs, "rsa"))
    hk.add("alpha", "ecdsa-sha2-nistp256", key(pubs, "ec256"))
    out = str(tmp_path / "kh")
    hk.save(out)
    lines = open(out).read().splitlines()
    assert lines == [
        line(pubs, "alpha", "ed").strip(),
        line(pubs, "[beta]:2222", "rsa").strip(),
        line(pubs, "alpha", "ec256").strip(),
    ]
    again = HostKeys(out)
    assert again.keys() == hk.keys()
    for host in hk.keys():
        assert {k: v.asbytes() for k, v in again[host].items()} == {k: v.asbytes() for k, v in hk[host].items()}


def test_add_replaces_same_type(pubs):
    hk = HostKeys()
    hk.add("h", "ssh-ed25519", key(pubs, "ed"))
    hk.add("h", "ssh-ed25519", key(pubs, "ed2"))
    assert len(hk._entries) == 1
    assert hk.lookup("h")["ssh-ed25519"] == key(pubs, "ed2")


# --- mapping API ------------------------------------------------------------------------


def test_mapping_api(pubs):
    hk = HostKeys()
    with pytest.raises(KeyError):
        hk["nope"]
    hk["h1"] = {"ssh-ed25519": key(pubs, "ed"), "ssh-rsa": key(pubs, "rsa")}
    hk["h2"] = {"ssh-ed25519": key(pubs, "ed2")}
    assert len(hk) == 2 and list(hk) == ["h1", "h2"]
    assert "h1" in hk and "zz" not in hk
    assert sorted(hk["h1"]) == ["ssh-ed25519", "ssh-rsa"]
    assert [sorted(v) for v in hk.values()] == [["ssh-ed25519", "ssh-rsa"], ["ssh-ed25519"]]
    assert [h for h, _ in hk.items()] == ["h1", "h2"]
    # replacing through __setitem__
    hk["h2"] = {"ssh-ed25519": key(pubs, "ed")}
    assert hk["h2"]["ssh-ed25519"] == key(pubs, "ed")
    del hk["h2"]
    assert "h2" not in hk
    with pytest.raises(KeyError):
        del hk["h2"]
    hk.clear()
    assert len(hk) == 0 and hk.lookup("h1") is None


def test_subdict_set_and_delete(pubs):
    hk = HostKeys()
    hk.add("h", "ssh-ed25519", key(pubs, "ed"))
    sub = hk.lookup("h")
    assert len(sub) == 1
    sub["ssh-rsa"] = key(pubs, "rsa")  # adds to the HostKeys too
    assert sorted(hk.lookup("h")) == ["ssh-ed25519", "ssh-rsa"]
    sub["ssh-rsa"] = key(pubs, "rsa2")  # replaces
    assert hk.lookup("h")["ssh-rsa"] == key(pubs, "rsa2")
    del sub["ssh-rsa"]
    assert list(hk.lookup("h")) == ["ssh-ed25519"]
    with pytest.raises(KeyError):
        del sub["ssh-rsa"]
    assert sub.get("ssh-dss") is None


# --- verify ------------------------------------------------------------------------------


def test_verify_basic(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "h", "ed") + line(pubs, "h", "rsa")))
    assert hk.verify("h", key(pubs, "ed")) == "match"
    assert hk.verify("h", key(pubs, "rsa")) == "match"
    assert hk.verify("h", key(pubs, "ed2")) == "changed"
    assert hk.verify("h", key(pubs, "rsa2")) == "changed"
    # a type with no entry for the host while other types exist: missing
    assert hk.verify("h", key(pubs, "ec256")) == "missing"
    assert hk.verify("other", key(pubs, "ed")) == "missing"


def test_verify_port_entry_changed_even_if_bare_host_matches(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "h", "ed") + line(pubs, "[h]:2222", "ed2")))
    name = host_key_name("h", 2222)
    assert name == "[h]:2222"
    assert hk.verify(name, key(pubs, "ed")) == "changed"
    assert hk.verify(name, key(pubs, "ed2")) == "match"
    assert hk.verify("h", key(pubs, "ed2")) == "changed"
    # a bare host line never vouches for another port
    only_bare = HostKeys(write(tmp_path, line(pubs, "h", "ed"), "bare"))
    assert only_bare.verify("[h]:2222", key(pubs, "ed")) == "missing"


def test_host_key_name():
    assert host_key_name("example.com") == "example.com"
    assert host_key_name("example.com", 22) == "example.com"
    assert host_key_name("example.com", "2200") == "[example.com]:2200"
    assert host_key_name("::1", 2200) == "[::1]:2200"


def test_verify_patterns(pubs, tmp_path):
    text = (
        line(pubs, "!bad.example.com,*.example.com", "ed")
        + line(pubs, "db?.internal", "rsa")
        + line(pubs, "[*.ports.net]:2222", "ec256")
    )
    hk = HostKeys(write(tmp_path, text))
    assert hk.verify("a.example.com", key(pubs, "ed")) == "match"
    assert hk.verify("A.Example.COM", key(pubs, "ed")) == "match"  # case-insensitive
    assert hk.verify("a.example.com", key(pubs, "ed2")) == "changed"
    assert hk.verify("bad.example.com", key(pubs, "ed")) == "missing"  # negated
    assert hk.verify("example.com", key(pubs, "ed")) == "missing"
    assert hk.verify("db1.internal", key(pubs, "rsa")) == "match"
    assert hk.verify("db12.internal", key(pubs, "rsa")) == "missing"
    assert hk.verify("[x.ports.net]:2222", key(pubs, "ec256")) == "match"
    assert hk.verify("[x.ports.net]:2223", key(pubs, "ec256")) == "missing"
    # brackets are literal, not a character class
    assert hk.verify("p.ports.net", key(pubs, "ec256")) == "missing"


def test_verify_star_matches_any_port(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "*", "ed")))
    assert hk.verify("[anything]:2022", key(pubs, "ed")) == "match"
    assert hk.verify("anything", key(pubs, "ed2")) == "changed"


def test_verify_revoked(pubs, tmp_path):
    text = (
        line(pubs, "*", "ed2", marker="@revoked")
        + line(pubs, "only.example.com", "rsa2", marker="@revoked")
        + line(pubs, "h", "ed2")
        + line(pubs, "h", "rsa2")
    )
    hk = HostKeys(write(tmp_path, text))
    # revoked wins over a matching entry
    assert hk.verify("h", key(pubs, "ed2")) == "revoked"
    assert hk.verify("[any]:2222", key(pubs, "ed2")) == "revoked"
    # revocation scoped to another host pattern does not apply here
    assert hk.verify("h", key(pubs, "rsa2")) == "match"
    assert hk.verify("only.example.com", key(pubs, "rsa2")) == "revoked"


def test_verify_cert_authority_is_not_a_host_key(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "*.example.com", "ed", marker="@cert-authority")))
    assert hk.verify("a.example.com", key(pubs, "ed")) == "missing"


def test_verify_ecdsa_curves_are_one_type(pubs, tmp_path):
    hk = HostKeys(write(tmp_path, line(pubs, "h", "ec256")))
    assert hk.verify("h", key(pubs, "ec384")) == "changed"


def test_verify_hashed_port_and_case(pubs, tmp_path):
    text = "{} {} {}\n".format(HostKeys.hash_host("[h.example.com]:2222"), *pubs["ed"])
    hk = HostKeys(write(tmp_path, text))
    assert hk.verify("[h.example.com]:2222", key(pubs, "ed")) == "match"
    assert hk.verify("[H.Example.com]:2222", key(pubs, "ed")) == "match"
    assert hk.verify("[h.example.com]:2222", key(pubs, "ed2")) == "changed"
    assert hk.verify("h.example.com", key(pubs, "ed")) == "missing"


def test_verify_with_keys_added_in_memory(pubs):
    hk = HostKeys()
    hk.add("[h]:2200", "ssh-rsa", key(pubs, "rsa"))
    assert hk.verify("[h]:2200", key(pubs, "rsa")) == "match"
    assert hk.verify("[h]:2200", key(pubs, "rsa2")) == "changed"
