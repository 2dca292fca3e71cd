#!/bin/bash
# test_lint_includes.sh: the include linter fails on what it is there to
# catch (a cycle, a front end reaching into the engine, util including the
# engine, trust.h including scan.h) and passes on the real tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lint="$here/../../scripts/lint_includes.py"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

tree() { # a small house: util/a, engine/trust + engine/scan, cli/main
	rm -rf "$t/src" && mkdir -p "$t/src/util" "$t/src/engine" "$t/src/cli"
	printf '#include "a.h"\n' > "$t/src/util/a.c"; : > "$t/src/util/a.h"
	printf '#include "trust.h"\n#include "scan.h"\n' > "$t/src/engine/trust.c"
	printf '#include "a.h"\n' > "$t/src/engine/trust.h"
	printf '#include "scan.h"\n' > "$t/src/engine/scan.c"; : > "$t/src/engine/scan.h"
	printf '#include "trust.h"\n#include "a.h"\n' > "$t/src/cli/main.c"
}
fails() { # fails WHY: the linter must refuse the tree, naming WHY
	local out
	if out=$(python3 "$lint" "$t/src" 2>&1); then echo "FAIL: accepted: $1"; exit 1; fi
	grep -q "$1" <<<"$out" || { echo "FAIL: refused, but not for '$1': $out"; exit 1; }
}

tree
python3 "$lint" "$t/src" >/dev/null || { echo "FAIL: a clean tree refused"; exit 1; }
tree; printf '#include "trust.h"\n' > "$t/src/engine/scan.h"
fails "include cycle: "
tree; printf '#include "scan.h"\n' >> "$t/src/cli/main.c"
fails "a front end includes the engine's scan.h"
tree; printf '#include "scan.h"\n' >> "$t/src/util/a.c"
fails "util includes scan.h"
tree; printf '#include "scan.h"\n' >> "$t/src/engine/trust.h"
fails "trust.h includes scan.h"
python3 "$lint" >/dev/null || { python3 "$lint"; exit 1; }
echo "ok: the linter refuses cycles and layer breaches, and the tree passes"
