"""Run a sequence of SFTP operations and describe what happened, the same way
for any paramiko-shaped module: the differential test (test_differential.py)
runs one sequence through ferrosftp in the test process and through real
paramiko in a separate oracle process (this file's ``__main__``), against the
same sshd in separate scratch directories, and compares the descriptions.

Standard library only (the oracle process has paramiko and nothing else).
An operation is a JSON list ``[name, *args]``; paths are relative to the
side's scratch root. A description is ``["ok", value]`` with the value made
comparable across the two roots (no times, no absolute paths), or
``["err", class, errno]``.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys

# How long the oracle waits for paramiko before calling a step a hang.
HANG_SECONDS = 5

# The first of these in an exception's class hierarchy names it.
_CLASSES = (
    "FileNotFoundError",
    "PermissionError",
    "FileExistsError",
    "IsADirectoryError",
    "NotADirectoryError",
    "TimeoutError",
    "EOFError",
    "TypeError",
    "UnicodeError",
    "ValueError",
    "OverflowError",
    "BadHostKeyException",
    "AuthenticationException",
    "SSHException",
    "OSError",
)


def _class_of(e: BaseException) -> str:
    names = [k.__name__ for k in type(e).__mro__]
    for name in _CLASSES:
        if name in names:
            return name
    return type(e).__name__


def _attrs(a, root):
    return [a.st_size, stat.S_IFMT(a.st_mode or 0), (a.st_mode or 0) & 0o7777]


def _rel(path, root):
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path == root:
        return "<root>"
    if path.startswith(root + "/"):
        return "<root>/" + path[len(root) + 1 :]
    return path


class Runner:
    def __init__(self, sftp, root, local_root):
        self.sftp = sftp
        self.root = root
        self.local = local_root

    def p(self, rel):
        if isinstance(rel, dict):  # {"bytes": hex}: a bytes path
            return os.fsencode(self.root) + b"/" + bytes.fromhex(rel["bytes"])
        if not isinstance(rel, str):
            return rel  # a wrong type on purpose
        return self.root + "/" + rel if rel else self.root

    def run(self, op):
        name, args = op[0], op[1:]
        try:
            value = getattr(self, "op_" + name)(*args)
        except Exception as e:  # noqa: BLE001 - described, not judged, here
            return ["err", _class_of(e), getattr(e, "errno", None)]
        return ["ok", value]

    # -- path operations
    def op_stat(self, p):
        return _attrs(self.sftp.stat(self.p(p)), self.root)

    def op_lstat(self, p):
        return _attrs(self.sftp.lstat(self.p(p)), self.root)

    def op_listdir(self, p):
        return sorted(self.sftp.listdir(self.p(p)))

    def op_listdir_attr(self, p):
        return sorted([a.filename] + _attrs(a, self.root) for a in self.sftp.listdir_attr(self.p(p)))

    def op_mkdir(self, p, mode):
        return self.sftp.mkdir(self.p(p), mode)

    def op_rmdir(self, p):
        return self.sftp.rmdir(self.p(p))

    def op_remove(self, p):
        return self.sftp.remove(self.p(p))

    def op_rename(self, a, b):
        return self.sftp.rename(self.p(a), self.p(b))

    def op_posix_rename(self, a, b):
        return self.sftp.posix_rename(self.p(a), self.p(b))

    def op_chmod(self, p, mode):
        return self.sftp.chmod(self.p(p), mode)

    def op_utime(self, p, t):
        return self.sftp.utime(self.p(p), None if t is None else (t, t))

    def op_truncate(self, p, size):
        return self.sftp.truncate(self.p(p), size)

    def op_symlink(self, target, link):
        return self.sftp.symlink(target, self.p(link))

    def op_readlink(self, p):
        return _rel(self.sftp.readlink(self.p(p)), self.root)

    def op_normalize(self, p):
        return _rel(self.sftp.normalize(self.p(p)), self.root)

    def op_cwd(self, p):
        try:
            self.sftp.chdir(self.p(p))
            return _rel(self.sftp.getcwd(), self.root)
        finally:
            self.sftp.chdir(None)

    # -- files
    def op_write(self, p, mode, data):
        with self.sftp.open(self.p(p), mode) as f:
            f.write(bytes.fromhex(data))

    def op_read(self, p, mode, size):
        with self.sftp.open(self.p(p), mode) as f:
            return f.read(size).hex()

    def op_seek_read(self, p, offset, whence, size):
        with self.sftp.open(self.p(p), "r") as f:
            f.seek(offset, whence)
            data = f.read(size)
            return [f.tell(), data.hex()]

    def op_append_tell(self, p, data):
        with self.sftp.open(self.p(p), "a") as f:
            f.write(bytes.fromhex(data))
            return f.tell()

    def op_readv(self, p, chunks):
        with self.sftp.open(self.p(p), "r") as f:
            return [c.hex() for c in f.readv([tuple(c) for c in chunks])]

    # -- transfers
    def op_put(self, data, p):
        local = os.path.join(self.local, "up.bin")
        with open(local, "wb") as f:
            f.write(bytes.fromhex(data))
        return self.sftp.put(local, self.p(p)).st_size

    def op_get(self, p):
        local = os.path.join(self.local, "down.bin")
        if os.path.exists(local):
            os.remove(local)
        self.sftp.get(self.p(p), local)
        with open(local, "rb") as f:
            return f.read().hex()

    def op_putfo(self, data, p):
        return self.sftp.putfo(io.BytesIO(bytes.fromhex(data)), self.p(p)).st_size

    def op_getfo(self, p):
        buf = io.BytesIO()
        n = self.sftp.getfo(self.p(p), buf)
        return [n, buf.getvalue().hex()]


def snapshot(root):
    """The scratch tree as the server's filesystem has it."""
    out = []
    for d, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(d, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            out.append([rel, stat.S_IFMT(st.st_mode), size, stat.S_IMODE(st.st_mode)])
    return sorted(out)


def _serve():
    """The oracle: JSON requests on stdin, one JSON answer line each."""
    import paramiko

    conns = {}
    for line in sys.stdin:
        req = json.loads(line)
        key = (req["host"], req["port"])
        if key not in conns:
            c = paramiko.SSHClient()
            c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            c.connect(
                req["host"],
                port=req["port"],
                username=req["user"],
                key_filename=req["key"],
                look_for_keys=False,
                allow_agent=False,
                timeout=30,
            )
            sftp = c.open_sftp()
            # paramiko can wait forever (readv past the end of a file): a
            # timeout turns that into an answer, and the connection is renewed.
            sftp.get_channel().settimeout(HANG_SECONDS)
            conns[key] = (c, sftp)
        runner = Runner(conns[key][1], req["root"], req["local"])
        results = []
        for op in req["ops"]:
            results.append(runner.run(op))
            if results[-1][:2] == ["err", "TimeoutError"]:
                results[-1] = ["hang"]
                conns.pop(key)[0].close()
                break
        answer = {"results": results, "version": paramiko.__version__}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
