"""Benchmark worker for OpenSSH's command-line ``sftp`` in batch mode.

One ``sftp -b -`` process per job; its batch file is its stdin, fed
interactively so only the transfer is timed (like the library workers, which
connect before the clock starts):

    pwd                  <- wait for its answer: connected + authenticated
    [clock starts]  put/get/ls commands ...
    pwd                  <- its answer means every command before it finished
    [clock stops]

In batch mode sftp aborts on the first failing command, so a missing marker
is an error. Client CPU is read from /proc for the sftp process and its ssh
child (utime+stime, clock ticks) at the two markers.

The ``connect`` case spawns one full ``sftp -b -`` per operation (connect,
auth, sftp subsystem, ``pwd``, exit), which is how OpenSSH is used.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time

from _common import main

TICK = os.sysconf("SC_CLK_TCK")
PWD_ANSWER = "Remote working directory: "


def q(path):
    return '"%s"' % path.replace("\\", "\\\\").replace('"', '\\"')


def _proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return 0.0
    fields = data.rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime, stime are fields 14, 15
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def tree_cpu(pid):
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        total += _proc_cpu(p)
        stack += _children(p)
    return total


class SftpSession:
    def __init__(self, argv):
        self.p = subprocess.Popen(
            argv[:1] + ["-b", "-"] + argv[1:],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.err = []
        self._t = threading.Thread(target=self._drain_err, daemon=True)
        self._t.start()
        self.run([])  # wait until connected

    def _drain_err(self):
        for line in self.p.stderr:
            self.err.append(line)

    def run(self, commands, collect=False):
        """Send commands + a pwd marker; return the output lines before the marker."""
        data = "".join(c + "\n" for c in commands) + "pwd\n"

        def feed():  # in a thread: a long batch must not deadlock on full pipes
            try:
                self.p.stdin.write(data)
                self.p.stdin.flush()
            except OSError:
                pass

        w = threading.Thread(target=feed, daemon=True)
        w.start()
        out = []
        after_marker_cmd = False
        while True:
            line = self.p.stdout.readline()
            if not line:
                self.p.wait(10)
                raise RuntimeError(
                    "sftp exited (rc=%s) before the marker: %s" % (self.p.returncode, "".join(self.err)[-2000:])
                )
            if after_marker_cmd and line.startswith(PWD_ANSWER):
                w.join()
                return out
            after_marker_cmd = line.rstrip("\n") == "sftp> pwd"
            if collect and not line.startswith("sftp> "):
                out.append(line)

    def timed(self, ph, name, commands, collect=False):
        c0 = tree_cpu(self.p.pid)
        t0 = time.perf_counter()
        out = self.run(commands, collect)
        t1 = time.perf_counter()
        c1 = tree_cpu(self.p.pid)
        ph.phases[name] = {"wall": t1 - t0, "cpu": c1 - c0}
        return out

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            rc = self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self._t.join(5)
        return rc


def run(job, ph):
    p = job["params"]
    case = job["case"]
    argv = job["sftp_argv"]
    if case == "connect":
        n = p["count"]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        for _ in range(n):
            cp = subprocess.run(
                argv[:1] + ["-b", "-"] + argv[1:],
                input="pwd\n",
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
            if cp.returncode != 0 or PWD_ANSWER not in cp.stdout:
                raise RuntimeError("sftp failed (rc=%d): %s" % (cp.returncode, cp.stderr))
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        ph.phases["connect"] = {"wall": t1 - t0, "cpu": cpu}
        return {"ops": n}

    if case == "info":
        cp = subprocess.run(
            argv[:1] + ["-v", "-b", "-"] + argv[1:],
            input="pwd\n",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
        info = {}
        for line in cp.stderr.splitlines():
            # debug1: kex: server->client cipher: X MAC: Y compression: none
            for key, tag in (("cipher_sc", "server->client cipher: "), ("cipher_cs", "client->server cipher: ")):
                if tag in line:
                    info[key] = line.split(tag, 1)[1].split()[0]
        v = subprocess.run(["ssh", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        info["version"] = v.stdout.strip()
        if cp.returncode != 0:
            raise RuntimeError("sftp -v failed: %s" % cp.stderr[-2000:])
        return {"info": info}

    s = SftpSession(argv)
    result = {}
    try:
        if case == "download":
            s.timed(ph, "get", ["get %s %s" % (q(p["remote"]), q(p["local"]))])
        elif case == "upload":
            s.timed(ph, "put", ["put %s %s" % (q(p["local"]), q(p["remote"]))])
        elif case == "small_files":
            names = p["names"]
            s.timed(
                ph,
                "put",
                ["put %s %s" % (q(os.path.join(p["local_src"], n)), q(p["remote_dir"] + "/" + n)) for n in names],
            )
            s.timed(
                ph,
                "get",
                ["get %s %s" % (q(p["remote_dir"] + "/" + n), q(os.path.join(p["local_dst"], n))) for n in names],
            )
        elif case == "put_r":  # into an existing dir: lands in remote_parent/<basename>
            s.timed(ph, "put_r", ["put -r %s %s" % (q(p["local_tree"]), q(p["remote_parent"]))])
        elif case == "get_r":
            s.timed(ph, "get_r", ["get -r %s %s" % (q(p["remote_tree"]), q(p["local_parent"]))])
        elif case == "listdir_attr":
            out = s.timed(ph, "listdir_attr", ["ls -l %s" % q(p["remote_dir"])], collect=True)
            result = {"count": len(out), "size_sum": sum(int(line.split()[4]) for line in out if len(line.split()) > 4)}
        elif case == "stat":
            out = s.timed(ph, "stat", ["ls -l %s" % q(p["remote_dir"] + "/" + n) for n in p["names"]], collect=True)
            result = {"count": len(out), "size_sum": sum(int(line.split()[4]) for line in out if len(line.split()) > 4)}
        else:
            raise ValueError("unknown case %r" % case)
    finally:
        rc = s.close()
    if rc != 0:
        raise RuntimeError("sftp exited with rc=%s: %s" % (rc, "".join(s.err)[-2000:]))
    return result


if __name__ == "__main__":
    raise SystemExit(main(run, client_is_child=True))
