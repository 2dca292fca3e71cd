#!/usr/bin/env python3
"""tests/e2e/doctor_vs_matrix.py RESULTS DOCTOR_JSON SANDBOX COLUMN=PATH...:
doctor's verdicts against the matrix's own clients (the reference), cell by
cell, each matrix COLUMN with doctor's start PATH (install=login: the
matrix's login-shell clients after the install, doctor's login path run in
the same state).

The matrix's clients are independent of doctor's (their own commands,
through a real intercepting proxy, with the proxy's CA); doctor's run in the
same sandbox, in the same state, against its canary, or (doctor --url) the matrix's own origin
through the same proxy. Each pair below reads
the same trust: a matrix column and the doctor start path that starts a
program the same way (given), a matrix client and the doctor client of the
same runtime (below): the matrix's Debian Python clients with doctor's
rows of the first Python on PATH, its pyenv Python's with doctor's rows of
that interpreter (doctor has a row per Python). A cell doctor has as n/a (no such program where doctor looks, or
a path the root lacks) is left out, and so is one the matrix did not run;
every other pair must agree: ok with ok, refused with FAIL. Prints one line
per pair and exits 1 on any disagreement (or when nothing was compared).
"""
import json
import sys

CLIENTS = {
    "curl": "curl", "wget": "wget", "openssl": "openssl", "python-urllib": "python",
    "python-requests": "requests", "pip": "pip", "node": "node", "npm": "npm",
    "git": "git", "go": "go", "java": "java", "ruby": "ruby", "perl-lwp": "perl",
    "pypi-requests": "requests@pyenv", "pypi-pip": "pip@pyenv",
}
AGREE = {("ok", "ok"), ("refused", "fail")}


def main():
    results, doc_path, sandbox = sys.argv[1:4]
    columns = dict(a.split("=", 1) for a in sys.argv[4:])
    doc = json.load(open(doc_path))
    cells = {}
    for c in doc["clients"]:  # (in table order: a client's first row first)
        key = c["client"] + ("@pyenv" if "/.pyenv/" in (c.get("program") or "") else "")
        cells.setdefault(key, c["cells"])
    matrix = {}
    for line in open(results):
        f = line.rstrip("\n").split("|")
        if len(f) >= 4 and f[0] == sandbox:
            matrix[(f[1], f[2])] = f[3]
    compared, bad = 0, 0
    for (col, mc), mv in sorted(matrix.items()):
        path, dc = columns.get(col), CLIENTS.get(mc)
        if path is None or dc is None or dc not in cells or path not in cells[dc]:
            continue
        dv = cells[dc][path]["verdict"]
        if dv == "n/a":
            continue
        compared += 1
        ok = (mv, dv) in AGREE
        bad += not ok
        print(f"{'agree' if ok else 'DISAGREE'}: {mc} / {dc}, {col} / {path}: matrix {mv}, doctor {dv}"
              + ("" if ok else f" ({cells[dc][path].get('detail', '')})"))
    print(f"doctor and the matrix ({', '.join(f'{c}={p}' for c, p in columns.items())}): "
          f"{compared} cells compared, {bad} disagree")
    return 1 if bad or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
