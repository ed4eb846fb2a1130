"""Case and tool definitions shared by harness.py and report.py."""

from __future__ import annotations

MiB = 1 << 20
GiB = 1 << 30

# Data sizes. "quick" is for smoke-testing the harness, not for numbers.
SIZES = {
    "full": dict(
        big=256 * MiB,
        mid=64 * MiB,
        huge=GiB,
        small_n=1000,
        small_size=4096,
        tree_files=2000,
        tree_dirs=50,
        tree_min=1024,
        tree_max=8192,
        list_n=10000,
        stat_n=1000,
        connect_n=20,
    ),
    "quick": dict(
        big=16 * MiB,
        mid=8 * MiB,
        huge=64 * MiB,
        small_n=100,
        small_size=4096,
        tree_files=200,
        tree_dirs=10,
        tree_min=1024,
        tree_max=8192,
        list_n=1000,
        stat_n=100,
        connect_n=3,
    ),
}

# name -> description. kind "bytes": rate in MiB/s and CPU in s/GiB;
# kind "ops": rate in operations/s and CPU in ms per operation.
# goal: the ratio to OpenSSH sftp ferrosftp aims for (None: no goal).
# rtt: round trip in ms through a latency proxy (False: straight to sshd).
# The goals are the SFTP engine issue's.
CASES = {
    "download": dict(kind="bytes", goal=2.0, rtt=False, unit="MiB/s", label="download {big_mib} MiB"),
    "upload": dict(kind="bytes", goal=1.5, rtt=False, unit="MiB/s", label="upload {big_mib} MiB"),
    "download_rtt20": dict(kind="bytes", goal=2.0, rtt=20, unit="MiB/s", label="download {mid_mib} MiB @20 ms RTT"),
    "upload_rtt20": dict(kind="bytes", goal=2.0, rtt=20, unit="MiB/s", label="upload {mid_mib} MiB @20 ms RTT"),
    "download_rtt100": dict(kind="bytes", goal=3.0, rtt=100, unit="MiB/s", label="download {mid_mib} MiB @100 ms RTT"),
    "upload_rtt100": dict(kind="bytes", goal=3.0, rtt=100, unit="MiB/s", label="upload {mid_mib} MiB @100 ms RTT"),
    "download_1g": dict(kind="bytes", goal=None, rtt=False, unit="MiB/s", label="download {huge_mib} MiB (peak RSS)"),
    "upload_1g": dict(kind="bytes", goal=None, rtt=False, unit="MiB/s", label="upload {huge_mib} MiB (peak RSS)"),
    "small_files": dict(kind="ops", goal=3.0, rtt=False, unit="files/s", label="{small_n} x 4 KiB put+get"),
    "put_r": dict(kind="ops", goal=2.0, rtt=False, unit="files/s", label="put_r {tree_files} files/{tree_dirs} dirs"),
    "get_r": dict(kind="ops", goal=2.0, rtt=False, unit="files/s", label="get_r {tree_files} files/{tree_dirs} dirs"),
    "listdir_attr": dict(kind="ops", goal=1.5, rtt=False, unit="entries/s", label="listdir_attr {list_n} entries"),
    "stat": dict(kind="ops", goal=None, rtt=False, unit="stat/s", label="{stat_n} sequential stat"),
    "connect": dict(kind="ops", goal=None, rtt=False, unit="conn/s", label="connect+auth+sftp+close"),
}

#: Peak RSS goal of the 1 GiB cases, MiB.
GOAL_PEAK_RSS_MIB = 64


def byte_direction(case):
    """'download' or 'upload' for a byte case, None otherwise."""
    for d in ("download", "upload"):
        if case == d or case.startswith(d + "_"):
            return d
    return None


GOAL_VS_PARAMIKO = 2.5
GOAL_CPU_S_PER_GIB = 2.5

# name -> (venv key, worker script, impl argument or None)
TOOLS = {
    "ferrosftp-paramiko": ("peers", "paramiko_api.py", "ferrosftp"),
    "ferrosftp-pysftp": ("peers", "pysftp_api.py", "ferrosftp"),
    "paramiko": ("peers", "paramiko_api.py", "paramiko"),
    "pysftp": ("pysftp", "pysftp_api.py", "pysftp"),
    "asyncssh": ("peers", "asyncssh_worker.py", None),
    "openssh": ("peers", "openssh_sftp.py", None),
}

TOOL_LABELS = {
    "ferrosftp-paramiko": "ferrosftp (paramiko API)",
    "ferrosftp-pysftp": "ferrosftp (pysftp API)",
    "paramiko": "paramiko",
    "pysftp": "pysftp 0.2.9",
    "asyncssh": "asyncssh",
    "openssh": "OpenSSH sftp -b",
}

FERRO_TOOLS = ("ferrosftp-paramiko", "ferrosftp-pysftp")


def case_label(case, sizes):
    fmt = dict(sizes)
    fmt["big_mib"] = sizes["big"] // MiB
    fmt["mid_mib"] = sizes["mid"] // MiB
    fmt["huge_mib"] = sizes.get("huge", GiB) // MiB
    return CASES[case]["label"].format(**fmt)
