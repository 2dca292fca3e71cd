# inside.sh: the body of bench/run.sh, run in its private mount namespace.
set -euo pipefail
work=$(mktemp -d /tmp/cainit-bench.XXXXXX)
mount -t tmpfs bench "$work"
trap 'umount -l "$work"; rmdir "$work"' EXIT
unset SSL_CERT_FILE SSL_CERT_DIR

# a Debian root on tmpfs holding a copy of the host's store
root=$work/root
mkdir -p "$root/etc/ssl" "$root/usr/local/share/ca-certificates" "$root/usr/lib/ssl"
cp -a /etc/ssl/certs "$root/etc/ssl/"
ln -s /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"
ncerts=$(grep -c 'BEGIN CERTIFICATE' "$root/etc/ssl/certs/ca-certificates.crt")
"$BUILD/tests/mkcert" --rsa --cn "bench egress CA A" --out "$work/A.pem"
"$BUILD/tests/mkcert" --rsa --cn "bench egress CA B" --out "$work/B.pem"

out=$("$BUILD/bench/bench_install" "$root" "$work/A.pem" "$work/B.pem" "$BENCH_ITERATIONS" "$BUILD/cainit")
field() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$out"; }
bytes=$(sed -n 's/^bundle_bytes=//p' <<<"$out")

# (d) the distro tool on a tmpfs copy of /etc and the local anchor dir
mkdir -p "$work/etc" "$work/local"
cp -a /etc/. "$work/etc/"
cp -a /usr/local/share/ca-certificates/. "$work/local/"
mount --bind "$work/etc" /etc
mount --bind "$work/local" /usr/local/share/ca-certificates
update-ca-certificates >/dev/null 2>&1 # settle the copy first
uca=()
for i in $(seq 1 "$BENCH_UCA_RUNS"); do
	rm -f /usr/local/share/ca-certificates/bench-*.crt
	if [ $((i % 2)) = 1 ]; then cp "$work/A.pem" /usr/local/share/ca-certificates/bench-a.crt
	else cp "$work/B.pem" /usr/local/share/ca-certificates/bench-b.crt; fi
	t0=$(date +%s%N)
	update-ca-certificates >/dev/null 2>&1
	uca+=($(( ($(date +%s%N) - t0) / 1000 )))
done
uca_med=$(printf '%s\n' "${uca[@]}" | sort -n | sed -n "$(( (${#uca[@]} + 1) / 2 ))p")
java_hook=no
[ -x /etc/ca-certificates/update.d/jks-keystore ] && java_hook=yes

floor=$(field floor median_us) floor99=$(field floor p99_us)
eng=$(field engine median_us) eng99=$(field engine p99_us)
proc=$(field process median_us) proc99=$(field process p99_us)
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }

cat <<REPORT
cainit bench: one CA rotation into a copy of the host's Debian store on tmpfs
date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   machine: $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r)
bundle: $ncerts certificates, $bytes bytes; CAs: RSA-2048; $BENCH_ITERATIONS rotations each

                                             median        p99
(c) floor: write bundle+CA, rename       $(printf '%8.1f us %8.1f us' "$floor" "$floor99")
(a) engine in-process                    $(printf '%8.1f us %8.1f us' "$eng" "$eng99")   $(awk "BEGIN { printf \"%.2fx floor\", $eng / $floor }") (target <= 1.5x: $(verdict "$eng <= 1.5 * $floor"))
(b) cainit install process               $(printf '%8.1f us %8.1f us' "$proc" "$proc99")   (target < 2000 us: $(verdict "$proc < 2000"))
(d) update-ca-certificates ($BENCH_UCA_RUNS runs)       $(printf '%8.0f us' "$uca_med")               Java hook: $java_hook
    (b) is $(awk "BEGIN { printf \"%.0fx\", $uca_med / $proc }") faster than (d) (target >= 500x: $(verdict "$uca_med >= 500 * $proc"))
REPORT
