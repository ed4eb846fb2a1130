"""Every Python example in the documentation runs, against the real sshd.

The convention (also stated in docs/index.md, "About the examples"):

* a fenced block opened with exactly ```` ```python ```` is an example and is
  executed; anything else (```` ```bash ````, ```` ```text ````, ...) is not;
* the blocks of one page run in order in one namespace, like a tutorial, with
  the page's working directory set to a fresh local directory;
* the examples use these names, which the test defines from the fixture:

  ============  ==========================================================
  HOST, PORT    the test sshd (127.0.0.1 and a free port)
  USER          the login user
  KEY           path of an Ed25519 private key the server accepts
  KNOWN_HOSTS   a known_hosts file holding the server's keys, written
                OpenSSH's way (``[127.0.0.1]:PORT ssh-ed25519 AAAA...``)
  REMOTE_DIR    absolute path of a fresh, empty remote directory
  LOCAL_DIR     absolute path of a fresh, empty local directory (the cwd)
  ============  ==========================================================

A block passes when it runs without raising; many also ``assert`` what they
show.  Connections an example leaves open are closed afterwards.
"""

import os
import re
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")

# Pages that must keep at least one runnable example: if a rewrite drops
# them all (or breaks the fences), this test says so instead of passing empty.
PAGES_WITH_EXAMPLES = {
    "README.md",
    "docs/index.md",
    "docs/quickstart-paramiko.md",
    "docs/quickstart-pysftp.md",
    "docs/migration.md",
    "docs/sync-and-cli.md",
    "docs/security.md",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


def extract_examples(text):
    """[(first line number, code)] of the ```python blocks in markdown text."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, indent = m.group("fence"), m.group("info").strip(), m.group("indent")
        body = []
        j = i + 1
        while j < len(lines):
            end = _FENCE.match(lines[j])
            if (
                end
                and end.group("fence").startswith(fence[0])
                and len(end.group("fence")) >= len(fence)
                and not end.group("info").strip()
            ):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        if info == "python":
            blocks.append((i + 2, textwrap.dedent("\n".join(body)) + "\n"))
        i = j + 1
    return blocks


def doc_pages():
    pages = ["README.md"]
    for dirpath, dirnames, filenames in os.walk(DOCS):
        dirnames[:] = sorted(d for d in dirnames if d != "hooks")
        for name in sorted(filenames):
            if name.endswith(".md"):
                pages.append(os.path.relpath(os.path.join(dirpath, name), ROOT).replace(os.sep, "/"))
    return pages


def page_examples(page):
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        return extract_examples(f.read())


PAGES = [p for p in doc_pages() if page_examples(p)]


def test_extractor_convention():
    text = "\n".join(
        [
            "```python",
            "a = 1",
            "```",
            "```bash",
            "echo not run",
            "```",
            "  ```python",
            "  b = 2",
            "  ```",
            "```pycon",
            ">>> no",
            "```",
            "````python",
            "```",
            "c = 3",
            "````",
        ]
    )
    codes = [code for _, code in extract_examples(text)]
    assert codes == ["a = 1\n", "b = 2\n", "```\nc = 3\n"]


def test_expected_pages_have_examples():
    missing = sorted(PAGES_WITH_EXAMPLES - set(PAGES))
    assert not missing, "pages without any ```python example: %s" % missing


def _close_everything(namespace):
    import ferrosftp

    closable = (
        ferrosftp.SSHClient,
        ferrosftp.Connection,
        ferrosftp.SFTPClient,
        ferrosftp.Transport,
        ferrosftp.SyncAgent,
    )
    for value in list(namespace.values()):
        if isinstance(value, closable):
            try:
                value.disconnect() if isinstance(value, ferrosftp.SyncAgent) else value.close()
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass


@pytest.mark.parametrize("page", PAGES)
def test_doc_examples_run(page, sshd, remote_dir, tmp_path, monkeypatch):
    local_dir = tmp_path / "local"
    local_dir.mkdir()
    monkeypatch.chdir(local_dir)
    namespace = {
        "__name__": "__docs_example__",
        "HOST": sshd.host,
        "PORT": sshd.port,
        "USER": sshd.username,
        "KEY": sshd.keys["ed25519"],
        "KNOWN_HOSTS": sshd.known_hosts_path,
        "REMOTE_DIR": remote_dir,
        "LOCAL_DIR": str(local_dir),
    }
    examples = page_examples(page)
    assert examples
    import ferrosftp

    # examples may call install_as_paramiko()/install_as_pysftp() or tune
    # DEFAULT_TIMEOUT: none of that may leak into the other tests
    aliases = {k: v for k, v in sys.modules.items() if k.split(".")[0] in ("paramiko", "pysftp")}
    default_timeout = ferrosftp.DEFAULT_TIMEOUT
    ran = 0
    try:
        for line, code in examples:
            # the traceback names the page and the line of the failing example
            exec(compile("\n" * (line - 1) + code, os.path.join(ROOT, page), "exec"), namespace)
            ran += 1
    finally:
        _close_everything(namespace)
        ferrosftp.DEFAULT_TIMEOUT = default_timeout
        for k in [k for k in sys.modules if k.split(".")[0] in ("paramiko", "pysftp")]:
            if k not in aliases:
                del sys.modules[k]
        sys.modules.update(aliases)
    assert ran == len(examples)


# -- the compatibility table ------------------------------------------------------------

_ROW = re.compile(r"^\| `(?P<name>(?:pysftp|paramiko)(?:\.[A-Za-z_][A-Za-z0-9_]*)*)` \| (?P<status>[^|]+?) \|")
_TOTALS = re.compile(r"\*\*Totals: (\d+) names — (\d+) supported, (\d+) differ, (\d+) not supported\.\*\*")
STATUSES = ("supported", "differs", "not supported")


def compatibility_rows():
    with open(os.path.join(DOCS, "compatibility.md"), encoding="utf-8") as f:
        text = f.read()
    rows = [(m.group("name"), m.group("status").strip()) for m in map(_ROW.match, text.splitlines()) if m]
    return text, rows


def _instance_attribute(cls, attr):
    """True if the code of some class in cls's MRO assigns ``<something>.<attr>``
    (``self.x = ...``, ``self.x, self.y = ...``, ``attr.filename = ...``)."""
    import inspect

    for klass in inspect.getmro(cls):
        if klass is object:
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(r"\.%s\b[^=\n(]*=(?!=)" % re.escape(attr), source):
            return True
    return False


def resolve(name):
    """The ferrosftp object a pysftp/paramiko name maps to (AttributeError if none)."""
    import importlib
    import inspect

    parts = name.split(".")[1:]
    obj, rest = None, parts
    for i in range(len(parts), -1, -1):
        modname = ".".join(["ferrosftp"] + parts[:i])
        try:
            obj = importlib.import_module(modname)
        except ImportError:
            continue
        rest = parts[i:]
        break
    for attr in rest:
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
        elif inspect.isclass(obj) and _instance_attribute(obj, attr):
            obj = None  # an instance attribute: exists, nothing further to resolve
        else:
            raise AttributeError("%s: ferrosftp has no %r" % (name, attr))
    return obj


def test_compatibility_table_is_consistent():
    text, rows = compatibility_rows()
    assert len(rows) > 250, "the table lost rows (or the row format changed)"
    bad = [(n, s) for n, s in rows if s not in STATUSES]
    assert not bad, "unknown status: %s" % bad
    names = [n for n, _ in rows]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, "listed twice: %s" % dupes
    m = _TOTALS.search(text)
    assert m, "the totals line is missing"
    counts = [len(rows)] + [sum(1 for _, s in rows if s == st) for st in STATUSES]
    assert [int(x) for x in m.groups()] == counts, "totals line says %s, the rows say %s" % (m.groups(), counts)


def test_compatibility_table_names_exist():
    _, rows = compatibility_rows()
    missing = []
    for name, status in rows:
        if status == "not supported":
            continue
        try:
            resolve(name)
        except AttributeError as e:
            missing.append(str(e))
    assert not missing, "marked supported/differs but absent:\n" + "\n".join(missing)


def test_compatibility_table_absent_names_are_absent():
    """A name marked not supported either does not exist or raises when used:
    if it starts to exist as a plain class/function, the table must be updated."""
    _, rows = compatibility_rows()
    raising = {  # present so that imports work, but they raise: see the notes
        "paramiko.Transport.renegotiate_keys",
        "paramiko.PKey.sign_ssh_data",
        "paramiko.PKey.verify_ssh_sig",
        "paramiko.agent.AgentRequestHandler",
    }
    present = []
    for name, status in rows:
        if status != "not supported" or name in raising:
            continue
        try:
            resolve(name)
        except AttributeError:
            continue
        present.append(name)
    assert not present, "marked not supported but now present (update docs/compatibility.md): %s" % present
