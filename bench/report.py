#!/usr/bin/env python3
"""Summaries, the markdown table and the PNG chart of a benchmark result.

Re-render a result file: ``python bench/report.py bench/results/X.json [out.png]``.
"""

from __future__ import annotations

import json
import statistics
import sys

import cases as C


def describe(values):
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _median(values):
    return statistics.median(values) if values else None


def summarize(data):
    meta, runs = data["meta"], data["runs"]
    tools = meta.get("tools") or sorted({r["tool"] for r in runs})
    out = {}
    for case in meta["cases"]:
        kind = C.CASES[case]["kind"]
        by = {t: {r["repeat"]: r for r in runs if r["case"] == case and r["tool"] == t} for t in tools}
        base = {k: r for k, r in by.get("openssh", {}).items() if r["ok"]}
        pmk = {k: r for k, r in by.get("paramiko", {}).items() if r["ok"]}
        cs = {}
        for t in tools:
            recs = by[t]
            ok = {k: r for k, r in recs.items() if r["ok"]}
            if not recs:
                continue
            rates = [r["rate"] for r in ok.values()]
            vs_o = [r["rate"] / base[k]["rate"] for k, r in ok.items() if k in base]
            vs_p = [r["rate"] / pmk[k]["rate"] for k, r in ok.items() if k in pmk]
            phases = {}
            for r in ok.values():
                for name, ph in r.get("phases", {}).items():
                    phases.setdefault(name, []).append(ph["wall"])
            s = {
                "n": len(recs),
                "ok": len(ok),
                "rate": _median(rates),
                "rate_min": min(rates) if rates else None,
                "rate_max": max(rates) if rates else None,
                "vs_openssh": _median(vs_o),
                "vs_paramiko": _median(vs_p),
                "cpu": _median([r["cpu_metric"] for r in ok.values()]),
                "cpu_unit": "s/GiB" if kind == "bytes" else "ms/op",
                "rss": _median([r["peak_rss_mib"] for r in ok.values() if r.get("peak_rss_mib")]),
                "phase_wall_median": {k: _median(v) for k, v in phases.items()},
                "errors": sorted({r.get("error", "?") for r in recs.values() if not r["ok"]}),
            }
            if t in C.FERRO_TOOLS:
                s["goals"] = goal_checks(case, s)
            cs[t] = s
        out[case] = cs
    return out


def goal_checks(case, s):
    spec = C.CASES[case]
    checks = []
    if spec["goal"] is not None:
        v = s["vs_openssh"]
        checks.append(
            {"goal": "vs sftp >= %.1fx" % spec["goal"], "value": v, "pass": v is not None and v >= spec["goal"]}
        )
    v = s["vs_paramiko"]
    if v is not None:
        checks.append(
            {"goal": "vs paramiko >= %.1fx" % C.GOAL_VS_PARAMIKO, "value": v, "pass": v >= C.GOAL_VS_PARAMIKO}
        )
    if spec["kind"] == "bytes":
        v = s["cpu"]
        checks.append(
            {
                "goal": "CPU <= %.1f s/GiB" % C.GOAL_CPU_S_PER_GIB,
                "value": v,
                "pass": v is not None and v <= C.GOAL_CPU_S_PER_GIB,
            }
        )
    if case.endswith("_1g"):
        v = s.get("rss")
        checks.append(
            {
                "goal": "peak RSS <= %d MiB" % C.GOAL_PEAK_RSS_MIB,
                "value": v,
                "pass": v is not None and v <= C.GOAL_PEAK_RSS_MIB,
            }
        )
    return checks


def _f(v, fmt="%.2f"):
    return "—" if v is None else fmt % v


def _rate(v):
    if v is None:
        return "—"
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    return "%.2f" % v


def _goal_cell(checks):
    if not checks:
        return ""
    return "; ".join(("✅ " if c["pass"] else "❌ ") + c["goal"] for c in checks)


def markdown(data):
    meta, summ = data["meta"], data.get("summary") or summarize(data)
    sizes = meta["sizes"]
    m = meta.get("machine", {})
    tools = meta.get("tools", [])
    L = []
    L.append("# ferrosftp benchmark: %s run, %s" % (meta["mode"], meta["started"]))
    L.append("")
    L.append(
        "- git: `%s`; %d repeat(s), interleaved (tool order rotates each repeat); "
        "medians; ratios are medians of per-repeat ratios." % (meta.get("git"), meta["repeats"])
    )
    L.append(
        "- machine: %s, %s cores, %s GiB RAM, %s, kernel %s%s; Python %s"
        % (
            m.get("cpu", "?"),
            m.get("nproc"),
            m.get("mem_gib"),
            m.get("os", "?"),
            m.get("kernel"),
            (", virt: %s" % m["virt"]) if m.get("virt") else "",
            m.get("python"),
        )
    )
    la_d = meta.get("loadavg1_during") or {}
    L.append(
        "- load: loadavg before %s, after %s; 1-min loadavg at job starts "
        "min/median/max %s/%s/%s; whole machine busy %s%% of CPU time during the run "
        "(all processes, including other users')"
        % (
            meta.get("loadavg_before"),
            meta.get("loadavg_after"),
            _f(la_d.get("min")),
            _f(la_d.get("median")),
            _f(la_d.get("max")),
            meta.get("machine_busy_pct"),
        )
    )
    L.append(
        "- server: %s on 127.0.0.1 (internal-sftp); data on tmpfs both sides; "
        "RTT cases through FaultProxy at %s ms RTT; duration %ss"
        % (meta.get("sshd", "sshd"), meta.get("rtt_ms", 20), meta.get("duration_s"))
    )
    fi = meta.get("ferrosftp") or {}
    L.append(
        "- ferrosftp: %s; extension sha256 %s…, built %s%s; client key: %s"
        % (
            meta.get("ferrosftp_source", "?"),
            fi.get("extension_sha256", "?"),
            fi.get("extension_mtime", "?"),
            " (a frozen copy was used for the whole run)" if fi.get("frozen_copy") else "",
            meta.get("client_key", "?"),
        )
    )
    if meta.get("aborted"):
        L.append("- **RUN ABORTED: %s**" % meta["aborted"])
    L.append("")
    L.append("| tool | version | cipher c→s / s→c |")
    L.append("| --- | --- | --- |")
    for t in tools:
        i = meta.get("tool_info", {}).get(t, {})
        ver = i.get("version", "?")
        if i.get("libssh2"):
            ver += " (libssh2 %s)" % i["libssh2"]
        if i.get("paramiko"):
            ver += " (paramiko %s)" % i["paramiko"]
        L.append(
            "| %s | %s | %s / %s |" % (C.TOOL_LABELS.get(t, t), ver, i.get("cipher_cs", "?"), i.get("cipher_sc", "?"))
        )
    for t, why in (meta.get("skipped") or {}).items():
        L.append("| %s | **skipped**: %s | |" % (C.TOOL_LABELS.get(t, t), why.splitlines()[0][:120]))
    L.append("")
    L.append("| case | tool | median | min–max | vs sftp | vs paramiko | client CPU | goals (ferrosftp) |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for case, cs in summ.items():
        spec = C.CASES[case]
        label = C.case_label(case, sizes)
        for t in tools:
            s = cs.get(t)
            if s is None:
                continue
            if s["ok"] == 0:
                L.append(
                    "| %s | %s | **FAILED** (%d/%d) %s | | | | | |"
                    % (
                        label,
                        C.TOOL_LABELS.get(t, t),
                        s["n"] - s["ok"],
                        s["n"],
                        "; ".join(e[:100] for e in s["errors"]),
                    )
                )
                continue
            fails = "" if s["ok"] == s["n"] else " (%d/%d ok)" % (s["ok"], s["n"])
            L.append(
                "| %s | %s | %s %s%s | %s–%s | %s | %s | %s %s | %s |"
                % (
                    label,
                    C.TOOL_LABELS.get(t, t),
                    _rate(s["rate"]),
                    spec["unit"],
                    fails,
                    _rate(s["rate_min"]),
                    _rate(s["rate_max"]),
                    _f(s["vs_openssh"], "%.2fx"),
                    _f(s["vs_paramiko"], "%.2fx"),
                    _f(s["cpu"], "%.2f" if s["cpu_unit"] == "s/GiB" else "%.3f"),
                    s["cpu_unit"] + (", peak RSS %.0f MiB" % s["rss"] if case.endswith("_1g") and s["rss"] else ""),
                    _goal_cell(s.get("goals")),
                )
            )
    L.append("")
    # goal overview
    ferro = [t for t in C.FERRO_TOOLS if t in tools]
    if ferro:
        L.append(
            "Goals at a glance (ratio to OpenSSH sftp; vs paramiko goal %.1fx everywhere; "
            "client CPU goal <= %.1f s/GiB on byte cases):" % (C.GOAL_VS_PARAMIKO, C.GOAL_CPU_S_PER_GIB)
        )
        L.append("")
        L.append("| case | goal vs sftp | " + " | ".join(C.TOOL_LABELS[t] for t in ferro) + " |")
        L.append("| --- | ---: |" + " --- |" * len(ferro))
        for case, cs in summ.items():
            g = C.CASES[case]["goal"]
            cells = []
            for t in ferro:
                s = cs.get(t)
                if not s or s["ok"] == 0:
                    cells.append("failed" if s else "—")
                    continue
                chk = s.get("goals", [])
                ok = all(c["pass"] for c in chk)
                cells.append(
                    "%s %s vs sftp, %s vs paramiko%s"
                    % (
                        "✅" if ok else "❌",
                        _f(s["vs_openssh"], "%.2fx"),
                        _f(s["vs_paramiko"], "%.2fx"),
                        (", CPU %.2f s/GiB" % s["cpu"]) if s["cpu_unit"] == "s/GiB" else "",
                    )
                )
            L.append("| %s | %s | %s |" % (C.case_label(case, sizes), ("%.1fx" % g) if g else "—", " | ".join(cells)))
        L.append("")
    # phases of the two-phase cases
    if "small_files" in summ:
        L.append(
            "small_files phases (median seconds, put / get): "
            + ", ".join(
                "%s %s / %s"
                % (
                    C.TOOL_LABELS.get(t, t),
                    _f(s["phase_wall_median"].get("put"), "%.3f"),
                    _f(s["phase_wall_median"].get("get"), "%.3f"),
                )
                for t, s in summ["small_files"].items()
                if s["ok"]
            )
        )
        L.append("")
    errs = [r for r in data["runs"] if not r["ok"]]
    if errs:
        L.append("Failures:")
        L.append("")
        for r in errs:
            L.append("- repeat %d, %s, %s: %s" % (r["repeat"], r["case"], r["tool"], r.get("error", "?")[:300]))
        L.append("")
    return "\n".join(L) + "\n"


def chart(data, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter

    meta, summ = data["meta"], data.get("summary") or summarize(data)
    tools = [t for t in meta.get("tools", []) if t != "openssh"]
    cases = list(summ)
    if not cases or not tools:
        return None
    colors = {
        "ferrosftp-paramiko": "#d9480f",
        "ferrosftp-pysftp": "#f59f00",
        "paramiko": "#1c7ed6",
        "pysftp": "#74c0fc",
        "asyncssh": "#5c940d",
    }
    fig, ax = plt.subplots(figsize=(max(9, 1.25 * len(cases) + 3), 5.5), dpi=110)
    width = 0.8 / len(tools)
    vals_all = []
    for i, t in enumerate(tools):
        xs, ys = [], []
        for j, case in enumerate(cases):
            s = summ[case].get(t)
            if s and s["vs_openssh"]:
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(s["vs_openssh"])
        vals_all += ys
        ax.bar(xs, ys, width=width * 0.95, label=C.TOOL_LABELS.get(t, t), color=colors.get(t, None))
    for j, case in enumerate(cases):
        g = C.CASES[case]["goal"]
        if g:
            ax.plot([j - 0.45, j + 0.45], [g, g], color="black", lw=1.6, ls="--")
    ax.axhline(1.0, color="grey", lw=1)
    ax.set_yscale("log", base=2)
    lo = min(vals_all + [0.5]) / 1.3
    hi = max(vals_all + [2.0]) * 1.3
    ax.set_ylim(lo, hi)
    ticks = [2.0**k for k in range(-6, 7) if lo <= 2.0**k <= hi]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ("%gx" % v)))
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(
        [C.case_label(c, meta["sizes"]).replace(" @", "\n@").replace(" files/", "\nfiles/") for c in cases],
        fontsize=8,
        rotation=20,
        ha="right",
    )
    ax.set_ylabel("throughput ratio to OpenSSH sftp (median, log scale)")
    ax.set_title(
        "ferrosftp vs peers, ratio to OpenSSH sftp -b (dashed: ferrosftp goal)\n"
        "%s run %s, %d repeat(s), git %s" % (meta["mode"], meta["started"], meta["repeats"], meta.get("git")),
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        d = json.load(f)
    d["summary"] = summarize(d)
    print(markdown(d))
    if len(sys.argv) > 2:
        chart(d, sys.argv[2])
