#!/usr/bin/env python3
"""The sweep's tables (Markdown, on stdout and in bench-results/sweep.md) and its chart
(docs/benchmarks-sweep.svg, plain SVG text), from the instruction counts of scripts/callgrind.sh.

    scripts/callgrind.sh --match 's[0-9]{4}$'     # the sweep's operations (ours and both floors)
    python3 scripts/bench-sweep.py

For each state size of the sweep (benches/common/payload.rs) and each of the signed and Pyramid
formats: ours (load, load + one `get`, finish of an untouched session, finish with one key set)
against the independent floor (`indep-…`, bench-floor/: serde_json with its default features;
for the signed format both the bare `json ‖ HMAC` floor and the envelope floor, which
authenticates the same 22-byte header ours does and writes the whole `Set-Cookie` value)
and against the in-crate `Value` floor (`floor-…`: serde_json into `Map<String, Value>` with the
library's features, i.e. what every load cost before values stayed raw).
"""

import csv
import os
import re
from html import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench-results")
TARGET = 1.10


def counts():
    path = os.path.join(RESULTS, "callgrind.tsv")
    with open(path) as f:
        return {r["operation"]: int(r["instructions"]) for r in csv.DictReader(f, delimiter="\t")}


def sizes(rows):
    found = {int(m.group(1)) for op in rows for m in [re.search(r"-s(\d{4})$", op)] if m}
    return sorted(found)


def ratio(a, b):
    return f"{a / b:.3f}×" if a is not None and b else "–"


def tables(rows):
    lines = []
    for wire in ("signed", "pyramid"):
        lines += [
            f"### {wire}: instructions per operation",
            "",
            "| state | load | indep. floor | **load/floor** | finish | indep. floor | **finish/floor** "
            "| load + get | finish, one key set | `Value` floor load | load/`Value` | `Value` floor finish "
            "| finish-one/`Value` | envelope floor load | load/envelope | envelope floor finish "
            "| finish/envelope |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size in sizes(rows):
            s = f"s{size:04d}"
            get = lambda op: rows.get(f"{op}-{wire}-{s}")  # noqa: E731
            load, finish = get("load"), get("finish")
            il, if_ = get("indep-load"), get("indep-finish")
            vl, vf = get("floor-load"), get("floor-finish")
            cells = [
                f"{size} B", load, il, f"**{ratio(load, il)}**", finish, if_,
                f"**{ratio(finish, if_)}**", get("load-get"), get("finish-one"), vl,
                ratio(load, vl), vf, ratio(get("finish-one"), vf),
            ]
            el = rows.get(f"indep-load-envelope-{s}") if wire == "signed" else None
            ef = rows.get(f"indep-finish-envelope-{s}") if wire == "signed" else None
            cells += [el, ratio(load, el), ef, ratio(finish, ef)]
            lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def summary(rows):
    """One line per size: ours / independent floor for both formats, and issue 13's rows."""
    lines = [
        "| state | signed load / envelope floor | signed finish / envelope floor "
        "| signed load / bare floor | signed finish / bare floor | Pyramid load | Pyramid finish "
        "| signed load / `Value` floor | Pyramid load / `Value` floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes(rows):
        s = f"s{size:04d}"
        r = lambda op, wire, floor: ratio(rows.get(f"{op}-{wire}-{s}"),  # noqa: E731
                                          rows.get(f"{floor}{op}-{wire}-{s}"))
        env = lambda op: ratio(rows.get(f"{op}-signed-{s}"),  # noqa: E731
                               rows.get(f"indep-{op}-envelope-{s}"))
        lines.append(f"| {size} B | {env('load')} | {env('finish')} "
                     f"| {r('load', 'signed', 'indep-')} | {r('finish', 'signed', 'indep-')} "
                     f"| {r('load', 'pyramid', 'indep-')} | {r('finish', 'pyramid', 'indep-')} "
                     f"| {r('load', 'signed', 'floor-')} | {r('load', 'pyramid', 'floor-')} |")
    lines.append("")
    lines += [
        "| state | signed: load | load + get | finish, one key set | Pyramid: load | load + get "
        "| finish, one key set |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes(rows):
        s = f"s{size:04d}"
        cells = [rows.get(f"{op}-{wire}-{s}") for wire in ("signed", "pyramid")
                 for op in ("load", "load-get", "finish-one")]
        lines.append(f"| {size} B | " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def chart(rows):
    """Ours / independent floor per size: four lines and the 1.10× target. The signed format is
    drawn against the envelope floor (the same header authenticated, the same bytes written)."""
    series = [
        ("signed load", "load", "signed", "#1f77b4", "", "envelope"),
        ("signed finish", "finish", "signed", "#1f77b4", "6,4", "envelope"),
        ("Pyramid load", "load", "pyramid", "#d62728", "", "pyramid"),
        ("Pyramid finish", "finish", "pyramid", "#d62728", "6,4", "pyramid"),
    ]
    xs = sizes(rows)
    if not xs:
        return None
    width, height, left, right, top, bottom = 760, 380, 60, 170, 30, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    points = {}
    for label, op, wire, _, _, floor in series:
        pts = []
        for size in xs:
            a = rows.get(f"{op}-{wire}-s{size:04d}")
            b = rows.get(f"indep-{op}-{floor}-s{size:04d}")
            if a and b:
                pts.append((size, a / b))
        points[label] = pts
    values = [r for pts in points.values() for _, r in pts] + [TARGET, 1.0]
    y_min = min(0.2, min(values) - 0.05)
    y_max = max(1.3, max(values) + 0.05)
    x_max = max(xs) or 1

    def px(x):
        return left + plot_w * x / x_max

    def py(y):
        return top + plot_h * (1 - (y - y_min) / (y_max - y_min))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">Ours / independent floor (instructions; signed: the envelope floor), '
        f'by state size</text>',
    ]
    step = 0.1
    y = round(y_min / step) * step
    while y <= y_max + 1e-9:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
                   f'stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.1f}×</text>')
        y += step
    for size in range(0, x_max + 1, 512):
        out.append(f'<text x="{px(size):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                   f'{size}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">'
               f'state (bytes of JSON)</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(TARGET):.1f}" '
               f'y2="{py(TARGET):.1f}" stroke="#2ca02c" stroke-dasharray="2,3"/>')
    out.append(f'<text x="{left + plot_w + 6}" y="{py(TARGET) + 4:.1f}" fill="#2ca02c">'
               f'target {TARGET:.2f}×</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(1):.1f}" y2="{py(1):.1f}" '
               f'stroke="#888"/>')
    for index, (label, _, _, color, dash, _) in enumerate(series):
        pts = points[label]
        if not pts:
            continue
        path = " ".join(f"{px(x):.1f},{py(r):.1f}" for x, r in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                   f'stroke-dasharray="{dash}"/>')
        for x, r in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(r):.1f}" r="2.5" fill="{color}"/>')
        ly = top + 120 + index * 18
        out.append(f'<line x1="{left + plot_w + 20}" x2="{left + plot_w + 44}" y1="{ly}" '
                   f'y2="{ly}" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{left + plot_w + 50}" y="{ly + 4}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    rows = counts()
    text = summary(rows) + "\n" + tables(rows)
    print(text)
    with open(os.path.join(RESULTS, "sweep.md"), "w") as f:
        f.write(text)
    svg = chart(rows)
    if svg:
        path = os.path.join(ROOT, "docs", "benchmarks-sweep.svg")
        with open(path, "w") as f:
            f.write(svg)
        print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
