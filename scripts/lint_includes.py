#!/usr/bin/env python3
"""lint_includes.py: the module include graph of src/, and the rules that
keep the house's shape (docs/architecture.md). Fails (exit 1) naming each
breach:

- no cycle: a module is a .c and its .h (and its private M_internal.h);
  module A depends on B when A's .c or .h includes B.h. A cycle means two modules cannot be understood,
  tested or moved apart;
- a layer includes only its own and lower layers' headers:
  util < engine (engine/, engine/formats/, engine/stores/) < front ends
  (cli/, agent/, run/, bake/, doctor/); util includes util only;
- front ends include, of the engine, only its public header trust.h;
- trust.h does not include scan.h (the engine's inner state).

  lint_includes.py [SRC_DIR]   (default: src next to this script's parent)
  lint_includes.py --graph     prints the graph as "a -> b" lines
"""
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
src = args[0] if args else os.path.join(here, "..", "src")
FRONT = ("cli", "agent", "run", "bake", "doctor")

files = {}  # header or source name -> (layer, path)
for d, _, names in os.walk(src):
    rel = os.path.relpath(d, src)
    top = rel.split(os.sep)[0]
    for n in names:
        if n.endswith((".c", ".h")):
            if n in files:
                sys.exit("lint: two files named %s" % n)
            files[n] = (top, os.path.join(d, n))

def module(name):
    stem = name[:-2]
    return stem[:-len("_internal")] if stem.endswith("_internal") else stem


inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
graph = {}
breaches = []
for name, (layer, path) in sorted(files.items()):
    mod = module(name)
    for h in inc_re.findall(open(path, encoding="utf-8").read()):
        if h not in files:
            continue  # generated (version.h)
        hl = files[h][0]
        if module(h) != mod:
            graph.setdefault(mod, set()).add(module(h))
        if layer == "util" and hl != "util":
            breaches.append("%s: util includes %s (%s)" % (path, h, hl))
        if layer == "engine" and hl in FRONT:
            breaches.append("%s: the engine includes the front end's %s" % (path, h))
        if layer in FRONT and hl == "engine" and h != "trust.h":
            breaches.append("%s: a front end includes the engine's %s (only trust.h)" % (path, h))
        if name == "trust.h" and h == "scan.h":
            breaches.append("%s: trust.h includes scan.h" % path)

if "--graph" in sys.argv:
    for a in sorted(graph):
        for b in sorted(graph[a]):
            print("%s -> %s" % (a, b))

# cycles: depth-first search, each cycle reported once by its members
state, stack, seen = {}, [], set()


def visit(m):
    state[m] = 1
    stack.append(m)
    for n in sorted(graph.get(m, ())):
        if state.get(n) == 1:
            cyc = stack[stack.index(n):]
            key = frozenset(cyc)
            if key not in seen:
                seen.add(key)
                breaches.append("include cycle: " + " -> ".join(cyc + [n]))
        elif n not in state:
            visit(n)
    stack.pop()
    state[m] = 2


for m in sorted(graph):
    if m not in state:
        visit(m)

for b in breaches:
    print("lint: " + b)
if breaches:
    sys.exit(1)
print("lint: %d modules, %d include edges, no cycle, layers kept" %
      (len({module(n) for n in files}), sum(len(v) for v in graph.values())))
