#!/usr/bin/env python3
"""Turns the results of scripts/bench-all.sh into Markdown tables (bench-results/summary.md) and
the chart docs/benchmarks.svg (plain SVG text, no plotting library).

    python3 scripts/bench-report.py

Reads bench-results/{machine.txt,callgrind.tsv,allocations.tsv,pyramid.tsv,loadtest.tsv} and
criterion's estimates under target/criterion/. Missing inputs leave their table out.
"""

import csv
import glob
import json
import os
from html import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench-results")
CASES = [(op, wire, size) for wire in ("signed", "encrypted", "pyramid")
         for size in ("small", "large") for op in ("load", "finish")]
PEER = {"signed": "cookie SignedJar", "encrypted": "cookie PrivateJar"}


def tsv(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def criterion():
    """{(group, function): median ns} from criterion's latest run."""
    out = {}
    pattern = os.path.join(ROOT, "target", "criterion", "**", "new", "benchmark.json")
    for bench in glob.glob(pattern, recursive=True):
        estimates = os.path.join(os.path.dirname(bench), "estimates.json")
        if not os.path.exists(estimates):
            continue
        meta = json.load(open(bench))
        median = json.load(open(estimates))["median"]["point_estimate"]
        out[(meta["group_id"], meta["function_id"])] = median
    return out


def ratio(a, b, digits=2):
    return f"{a / b:.{digits}f}×" if a is not None and b else "–"


def us(ns):
    return f"{ns / 1000:.2f}" if ns is not None else "–"


def main():
    lines = []
    machine = os.path.join(RESULTS, "machine.txt")
    if os.path.exists(machine):
        lines += ["```", open(machine).read().strip(), "```", ""]

    instr = {r["operation"]: int(r["instructions"]) for r in tsv("callgrind.tsv") or []}
    times = criterion()

    def t(op, wire, size, who):
        return times.get((f"{op} {wire} {size}", who))

    # ---- codec
    if instr or times:
        lines += [
            "| operation | instr. ours | instr. floor | **ours/floor** | instr. peer | peer/ours "
            "| µs ours | µs floor | ours/floor | µs peer | peer/ours |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for op, wire, size in CASES:
            key = f"{op}-{wire}-{size}"
            if key not in instr and t(op, wire, size, "cookie-session") is None:
                continue
            ours_i, floor_i = instr.get(key), instr.get(f"floor-{key}")
            peer_i = instr.get(f"peer-{key}")
            ours_t, floor_t = t(op, wire, size, "cookie-session"), t(op, wire, size, "floor")
            peer_t = t(op, wire, size, PEER.get(wire, ""))
            lines.append(
                f"| {op} {wire} {size} | {ours_i or '–'} | {floor_i or '–'} | "
                f"**{ratio(ours_i, floor_i, 3)}** | {peer_i or '–'} | {ratio(peer_i, ours_i)} | "
                f"{us(ours_t)} | {us(floor_t)} | {ratio(ours_t, floor_t)} | {us(peer_t)} | "
                f"{ratio(peer_t, ours_t)} |")
        lines.append("")
        enc = []
        for op in ("load", "finish"):
            for size in ("small", "large"):
                a, b = t(op, "encrypted", size, "cookie-session"), t(op, "signed", size, "cookie-session")
                ia, ib = instr.get(f"{op}-encrypted-{size}"), instr.get(f"{op}-signed-{size}")
                if a or ia:
                    enc.append(f"| {op} {size} | {ratio(a, b)} | {ratio(ia, ib)} |")
        if enc:
            lines += ["| encrypted / signed | wall time | instructions |", "|---|---:|---:|"] + enc + [""]
        lazy = [("handler never touches the session", "lazy-untouched", ("lazy", "untouched")),
                ("handler reads the session", "lazy-read", ("lazy", "read"))]
        if "lazy-untouched" in instr:
            lines += ["| request with a valid cookie | instructions | µs |", "|---|---:|---:|"]
            for label, key, crit in lazy:
                lines.append(f"| {label} | {instr.get(key, '–')} | {us(times.get(crit))} |")
            lines.append("")
        aead = [(k, v) for k, v in instr.items() if k.split("-")[0] in
                ("xchacha", "chacha", "aesgcm", "getrandom")]
        if aead:
            lines += ["| AEAD alone | instructions | µs |", "|---|---:|---:|"]
            names = {"xchacha-seal-0": "XChaCha20-Poly1305 seal 0 B",
                     "xchacha-seal-150": "XChaCha20-Poly1305 seal 150 B",
                     "chacha-seal-150": "ChaCha20-Poly1305 seal 150 B",
                     "aesgcm-seal-150": "AES-256-GCM seal 150 B",
                     "getrandom-24": "getrandom 24 B"}
            for key, value in aead:
                lines.append(f"| {key} | {value} | {us(times.get(('aead fixed cost', names.get(key))))} |")
            lines.append("")

    allocs = tsv("allocations.tsv")
    if allocs:
        lines += ["| operation | allocations | reallocations | bytes |", "|---|---:|---:|---:|"]
        for r in allocs:
            if r["operation"].split("-")[0] in ("xchacha", "chacha", "aesgcm", "getrandom"):
                continue
            lines.append(f"| {r['operation']} | {r['allocations']} | {r['reallocations']} | {r['bytes']} |")
        lines.append("")

    e2e = [(g, f, v) for (g, f), v in times.items() if g.endswith(" visits")]
    if e2e:
        lines += ["| framework | session | µs per request | vs no session |", "|---|---|---:|---:|"]
        for group in ("axum visits", "actix visits"):
            base = times.get((group, "no session"))
            for g, f, v in sorted(e2e, key=lambda x: x[2]):
                if g == group:
                    lines.append(f"| {group.split()[0]} | {f} | {us(v)} | {ratio(v, base)} |")
        lines.append("")

    pyramid = tsv("pyramid.tsv")
    if pyramid:
        lines += ["| operation | Pyramid 2.1 µs | ours µs | **speed-up** |", "|---|---:|---:|---:|"]
        for r in pyramid:
            lines.append(f"| {r['operation']} | {us(float(r['pyramid_ns']))} | "
                         f"{us(float(r['ours_ns']))} | **{float(r['speedup']):.1f}×** |")
        lines.append("")

    load = tsv("loadtest.tsv")
    if load:
        base = {r["framework"]: float(r["requests_per_s"]) for r in load if "no session" in r["server"]}
        lines += ["| server | req/s (median) | min–max | p50 ms | p99 ms | vs no session |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in load:
            rps = float(r["requests_per_s"])
            lines.append(f"| {r['server']} | {rps:.0f} | {r.get('rps_min', '')}–{r.get('rps_max', '')} | "
                         f"{float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | "
                         f"{ratio(rps, base.get(r['framework']))} |")
        lines.append("")

    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    chart(instr, times, load)


def chart(instr, times, load):
    """Two panels: instructions per operation relative to the floor, and the load tests."""
    colors = {"floor": "#9e9e9e", "ours": "#1f77b4", "peer": "#ff7f0e", "target": "#d62728"}
    rows = []
    for op, wire, size in CASES:
        key = f"{op}-{wire}-{size}"
        if key in instr and f"floor-{key}" in instr:
            floor = instr[f"floor-{key}"]
            rows.append((f"{op} {wire} {size}", instr[key] / floor,
                         instr.get(f"peer-{key}", 0) / floor or None,
                         times.get((f"{op} {wire} {size}", "cookie-session")),
                         times.get((f"{op} {wire} {size}", "floor"))))
    width, label_w, bar_h, gap = 960, 270, 9, 8
    scale_max = 1.6
    plot_w = width - label_w - 120
    y = 60
    parts = []

    def text(x, y, s, size=12, anchor="start", weight="normal", fill="#222"):
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
                     f'font-weight="{weight}" fill="{fill}">{escape(s)}</text>')

    def bar(x, y, w, h, color):
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h}" fill="{color}"/>')

    text(width / 2, 24, "cookie-session: cost relative to the cryptographic floor and to the peers",
         15, "middle", "bold")
    text(width / 2, 44, "codec: instructions per operation (valgrind callgrind), floor = 1.0; lower is better",
         12, "middle", fill="#555")
    x0 = label_w
    top = y
    for label, ours, peer, t_ours, t_floor in rows:
        text(label_w - 8, y + bar_h + 3, label, 11, "end")
        bar(x0, y, plot_w * min(ours, scale_max) / scale_max, bar_h, colors["ours"])
        text(x0 + plot_w * min(ours, scale_max) / scale_max + 4, y + bar_h - 1, f"{ours:.3f}×", 10)
        if peer:
            bar(x0, y + bar_h, plot_w * min(peer, scale_max) / scale_max, bar_h, colors["peer"])
            text(x0 + plot_w * min(peer, scale_max) / scale_max + 4, y + 2 * bar_h - 1, f"{peer:.2f}×", 10)
        y += 2 * bar_h + gap
    for mark, color, dash, dy in ((1.0, colors["floor"], "", 14), (1.15, colors["target"], "4,3", 26)):
        x = x0 + plot_w * mark / scale_max
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y}" stroke="{color}" '
                     f'stroke-width="1.5" stroke-dasharray="{dash}"/>')
        text(x, y + dy, "floor" if mark == 1.0 else "target 1.15×", 10, "middle", fill=color)
    y += 42
    legend = [("cookie-session", colors["ours"]),
              ("cookie crate: SignedJar (signed), PrivateJar = AES-256-GCM (encrypted)", colors["peer"])]
    lx = label_w
    for name, color in legend:
        bar(lx, y - 9, 12, 10, color)
        text(lx + 16, y, name, 11)
        lx += 200
    y += 30

    if load:
        text(width / 2, y, "load tests: requests/s of GET /visits (read + write) relative to the same route "
             "without sessions (wrk, median of rounds)",
             12, "middle", fill="#555")
        y += 16
        base = {r["framework"]: float(r["requests_per_s"]) for r in load if "no session" in r["server"]}
        top = y
        for r in load:
            if "no session" in r["server"] or r["framework"] not in base:
                continue
            value = float(r["requests_per_s"]) / base[r["framework"]]
            color = colors["ours"] if "cookie-session" in r["server"] else colors["peer"]
            text(label_w - 8, y + bar_h + 1, r["server"], 11, "end")
            bar(x0, y, plot_w * min(value, scale_max) / scale_max, bar_h + 2, color)
            text(x0 + plot_w * min(value, scale_max) / scale_max + 4, y + bar_h, f"{value:.2f}×", 10)
            y += bar_h + 2 + gap
        for mark, color, dash, name, dy in ((1.0, colors["floor"], "", "no session", 14),
                                            (0.9, colors["target"], "4,3", "target 0.90×", 26)):
            x = x0 + plot_w * mark / scale_max
            parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y}" stroke="{color}" '
                         f'stroke-width="1.5" stroke-dasharray="{dash}"/>')
            text(x, y + dy, name, 10, "middle", fill=color)
        y += 40

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
           f'viewBox="0 0 {width} {y}" font-family="sans-serif">',
           f'<rect width="{width}" height="{y}" fill="white"/>'] + parts + ["</svg>"]
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "benchmarks.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")
    print("wrote bench-results/summary.md and docs/benchmarks.svg")


if __name__ == "__main__":
    main()
