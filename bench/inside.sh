# inside.sh: the body of bench/run.sh, run in its private mount namespace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/cainit-bench.XXXXXX)
mount -t tmpfs bench "$work"
trap 'umount -l "$work"; rmdir "$work"' EXIT
unset SSL_CERT_FILE SSL_CERT_DIR

# a Debian root on tmpfs holding a copy of the host's store
root=$work/root
mkdir -p "$root/etc/ssl" "$root/usr/local/share/ca-certificates" "$root/usr/lib/ssl"
cp -a /etc/ssl/certs "$root/etc/ssl/"
rm -rf "$root/etc/ssl/certs/java" # the main scenario is the PEM stores; Java has its own below
ln -s /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"
ncerts=$(grep -c 'BEGIN CERTIFICATE' "$root/etc/ssl/certs/ca-certificates.crt")
"$BUILD/tests/mkcert" --rsa --cn "bench egress CA A" --out "$work/A.pem"
"$BUILD/tests/mkcert" --rsa --cn "bench egress CA B" --out "$work/B.pem"

out=$("$BUILD/bench/bench_install" "$root" "$work/A.pem" "$work/B.pem" "$BENCH_ITERATIONS" "$BUILD/cainit")
get() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$out"; }
bytes=$(sed -n 's/^bundle_bytes=//p' <<<"$out")

# the same engine into a copy of that root that also has Debian's JKS keystore
jroot=$work/jroot
java_ks=/etc/ssl/certs/java/cacerts
jout=""
if [ -f "$java_ks" ]; then
	cp -a "$root" "$jroot"
	mkdir -p "$jroot/etc/ssl/certs/java"
	cp "$java_ks" "$jroot/etc/ssl/certs/java/cacerts"
	jout=$("$BUILD/bench/bench_install" "$jroot" "$work/A.pem" "$work/B.pem" "$(( BENCH_ITERATIONS / 4 ))" -)
fi
jget() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$jout"; }

# the agent, on the same root (cainit's own files removed first)
"$BUILD/cainit" remove --root "$root" --all 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
agent=$("$BUILD/bench/bench_agent" "$BUILD/cainit" "$root" "$port" "$work/A.pem" "$work/B.pem" "$BENCH_ITERATIONS" 2>/dev/null)
aget() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$agent"; }
# the entrypoint, same root (A installed by the runs themselves)
entry=$("$BUILD/bench/bench_run" "$BUILD/cainit" "$root" "$work/A.pem" "$work/B.pem" "$(( BENCH_ITERATIONS / 4 ))")
rget() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$entry"; }
"$BUILD/cainit" remove --root "$root" --all 2>/dev/null
strip -o "$work/cainit.stripped" "$BUILD/cainit"
stripped=$(stat -c %s "$work/cainit.stripped")

# (d) the distro tool, same scenario, on a tmpfs copy of /etc and the anchor dir
mkdir -p "$work/etc" "$work/local"
cp -a /etc/. "$work/etc/"
cp -a /usr/local/share/ca-certificates/. "$work/local/"
mount --bind "$work/etc" /etc
mount --bind "$work/local" /usr/local/share/ca-certificates
update-ca-certificates >/dev/null 2>&1 # settle the copy first
uca=()
for i in $(seq 1 "$BENCH_UCA_RUNS"); do
	cp "$work/A.pem" /usr/local/share/ca-certificates/bench.crt
	t0=$(date +%s%N)
	update-ca-certificates >/dev/null 2>&1
	uca+=($(( ($(date +%s%N) - t0) / 1000 )))
	rm /usr/local/share/ca-certificates/bench.crt
	update-ca-certificates >/dev/null 2>&1
done
uca_med=$(printf '%s\n' "${uca[@]}" | sort -n | sed -n "$(( (${#uca[@]} + 1) / 2 ))p")
java_hook=no
[ -x /etc/ca-certificates/update.d/jks-keystore ] && java_hook=yes
# does the hook really put the CA into the JKS keystore? (then (d) includes it)
cp "$work/A.pem" /usr/local/share/ca-certificates/bench.crt
update-ca-certificates >/dev/null 2>&1
java_in_d=no
if [ -f "$java_ks" ] && keytool -list -cacerts -storepass changeit -alias debian:bench.pem >/dev/null 2>&1; then
	java_in_d=yes
fi
rm /usr/local/share/ca-certificates/bench.crt
update-ca-certificates >/dev/null 2>&1

row() { printf '%-44s %9.1f us %9.1f us   %s\n' "$1" "$(get "$2" median_us)" "$(get "$2" p99_us)" "${3:-}"; }
ratio() { awk "BEGIN { printf \"%.2fx\", $(get "$1" median_us) / $(get "$2" median_us) }"; }
met() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
floor=$(get floor median_us) floor4=$(get floor4 median_us) eng=$(get engine median_us)
spawn=$(get spawn median_us) proc=$(get process median_us)

cat <<REPORT
cainit bench: install one new CA into a fresh copy of the host's Debian store (tmpfs)
date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r)
bundle: $ncerts certificates, $bytes bytes; CA: RSA-2048; $BENCH_ITERATIONS runs of each, interleaved with untimed restores

                                                  median         p99
$(row "(c) floor: bundle+CA to a temp file, rename" floor)
$(row "(c4) floor for all four stores, written blind" floor4 "$(ratio floor4 floor) of (c)")
$(row "(a) engine in-process" engine "$(ratio engine floor) of (c), $(ratio engine floor4) of (c4)   target <= 1.5x (c): $(met "$eng <= 1.5 * $floor")")
$(row "(a') engine in-process, rotation A<->B" rotation "$(ratio rotation floor) of (c)")
$(row "(s) spawn cainit --help (exec baseline)" spawn)
$(row "(b) cainit install process" process "target < 2000 us: $(met "$proc < 2000"); $(awk "BEGIN { printf \"%.0f\", $proc - $spawn }") us over (s)")
(d) update-ca-certificates, median of $BENCH_UCA_RUNS       $(printf '%9.0f us' "$uca_med")                  Java hook: $java_hook
    (b) is $(awk "BEGIN { printf \"%.0fx\", $uca_med / $proc }") faster than (d)   target >= 500x: $(met "$uca_med >= 500 * $proc")
REPORT

health=$(aget health median_us) resume=$(aget resume median_us) rot=$(aget rotation median_us)
ready=$(sed -n 's/^ready_us=//p' <<<"$agent") rss=$(sed -n 's/^rss_idle_kb=//p' <<<"$agent")
arow() { printf '%-44s %9.1f us %9.1f us   %s\n' "$1" "$(aget "$2" median_us)" "$(aget "$2" p99_us)" "${3:-}"; }
cat <<REPORT

cainit serve: the agent over loopback, keep-alive, same root; $BENCH_ITERATIONS requests of each
                                                  median         p99
$(arow "(h) GET /health round trip (floor)" health)
$(arow "(r) POST /init, bundle already installed" resume "$(awk "BEGIN { printf \"%.2fx\", $resume / $health }") of (h)   target <= 1.3x: $(met "$resume <= 1.3 * $health")")
$(arow "(o) POST /init, rotation A<->B" rotation "target < 250 us: $(met "$rot < 250")")
ready (exec to first /health)                  $(printf '%9.0f us' "$ready")                  target < 5000 us: $(met "$ready < 5000")
idle RSS                                       $(printf '%9d kB' "$rss")                  target < 4096 kB: $(met "$rss < 4096")
binary, stripped                               $(printf '%9d B ' "$stripped")                  target < 6 MiB: $(met "$stripped < 6291456")
REPORT

rtrue=$(rget true median_us) rrun=$(rget run median_us) rca=$(rget run_ca median_us)
rstatic=$(rget static median_us) rver=$(rget version median_us) rwait=$(rget wait median_us)
rrow() { printf '%-44s %9.1f us %9.1f us   %s\n' "$1" "$(rget "$2" median_us)" "$(rget "$2" p99_us)" "${3:-}"; }
plus() { awk "BEGIN { printf \"+%.0f us\", $1 - $2 }"; }
cat <<REPORT

cainit run: the entrypoint, same root; $(( BENCH_ITERATIONS / 4 )) runs of each, interleaved
                                                  median         p99
$(rrow "(t) /bin/true alone (baseline)" true)
$(rrow "(x) a static no-op binary (any wrapper's exec)" static)
$(rrow "(v) cainit version (cainit's own exec)" version)
$(rrow "(w) cainit run -- /bin/true" run "$(plus "$rrun" "$rtrue") over (t)   target < +1000 us: $(met "$rrun - $rtrue < 1000"); run's own work $(plus "$rrun - $rver" "$rtrue")")
$(rrow "(wc) cainit run --ca A -- /bin/true, A trusted" run_ca "$(plus "$rca" "$rtrue") over (t)   target < +1500 us: $(met "$rca - $rtrue < 1500")")
$(rrow "(wr) cainit run --ca B -- /bin/true, rotation" run_rotate "$(plus "$(rget run_rotate median_us)" "$rtrue") over (t)")
$(rrow "(wt) --wait: file renamed in -> command runs" wait "target < 5000 us: $(met "$rwait < 5000"); floor (spawn to first instruction) $(rget stamp median_us) us")
REPORT

if [ -n "$jout" ]; then
	jrot=$(jget rotation median_us) jeng=$(jget engine median_us)
	cat <<REPORT

Java: the same CA into a root that also has Debian's JKS keystore ($(stat -c %s "$java_ks") bytes, $(python3 "$here/../tests/tools/jks.py" "$java_ks" | wc -l) entries), in-process; $(( BENCH_ITERATIONS / 4 )) runs
                                                  median         p99
$(printf '%-44s %9.1f us %9.1f us   %s' "(j) engine in-process, JKS included" "$jeng" "$(jget engine p99_us)" "+$(awk "BEGIN { printf \"%.0f\", $jeng - $eng }") us over (a)")
$(printf '%-44s %9.1f us %9.1f us' "(j') engine in-process, rotation A<->B" "$jrot" "$(jget rotation p99_us)")
(d) update-ca-certificates with the Java hook    $(printf '%9.0f us' "$uca_med")                  CA in the JKS afterwards: $java_in_d
    (j) is $(awk "BEGIN { printf \"%.0fx\", $uca_med / $jeng }") faster than (d)
REPORT
fi
