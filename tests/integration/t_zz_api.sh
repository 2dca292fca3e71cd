# docs/api.yaml and the test suite agree: every documented method, path and
# status was exercised by some test (they record what they saw in $API_LOG),
# and every status the tests saw is documented. (A 405 is documented on a
# path, for whatever method is not allowed there.) Runs last.
[ "$FULL_RUN" = 1 ] || skip "needs the whole suite's requests"
[ "$FS" = tmpfs ] || skip "once is enough"
[ -s "$API_LOG" ] || die "no request was recorded"
python3 - "$HERE/../../docs/api.yaml" "$API_LOG" <<'PY' || die "docs/api.yaml and the tests disagree"
import re, sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
assert spec["openapi"].startswith("3."), "not OpenAPI 3"
documented, templates = set(), []
for path, item in spec["paths"].items():
    templates.append((path, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")))
    for method, op in item.items():
        if method == "parameters":
            continue
        for status in op["responses"]:
            documented.add((method.upper(), path, str(status)))

def template(p):
    for t, rx in templates:
        if t != "/{other}" and rx.match(p):
            return t
    return "/{other}"

seen = set()
for line in open(sys.argv[2]):
    method, path, status = line.split()
    if status != "000":
        seen.add((method, template(path), status))

def matches(x, pool):
    return x in pool or (x[2] == "405" and any(y[1] == x[1] and y[2] == "405" for y in pool))

missing = sorted(d for d in documented if not matches(d, seen))
undocumented = sorted(s for s in seen if not matches(s, documented))
for d in missing:
    print("documented but never exercised:", *d)
for s in undocumented:
    print("exercised but not documented:", *s)
print("%d documented responses, %d seen" % (len(documented), len(seen)))
sys.exit(1 if missing or undocumented else 0)
PY
