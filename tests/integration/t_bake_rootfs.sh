# cainit bake --rootfs: the agent copied once (mode 0755, the same bytes,
# the same SHA-256 reported), the CA trusted through the engine, refusals
# that write nothing, symlink escapes confined, and a fingerprint that is
# stable across runs and changes with the agent and the CA. Without a CA,
# the start paths are prepared for the CA a later /init brings.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
[ -n "$AGENT" ] || skip "no static cainit to bake (build the static one first)"
command -v strace >/dev/null || die "strace is missing (scripts/deps.sh installs it)"
strace_asan() { env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace "$@"; }

mkca A
mkca B
mkleaf leaf A
agent_sha=$(sha256sum "$AGENT" | cut -d' ' -f1)
r=$SCRATCH/r
mkroot debian "$r"
# every start path: cainit's blocks and drop-ins there are not the root's
# content either (the fingerprint is stable when the bake is repeated)
mkdir -p "$r/etc/pam.d" "$r/etc/profile.d" "$r/usr/lib/systemd"
: >"$r/usr/lib/systemd/systemd"
printf 'LANG=C' >"$r/etc/environment"
printf '# system bashrc\n' >"$r/etc/bash.bashrc"
cp -a "$r" "$SCRATCH/pristine"

note "bake a Debian root: agent + CA"
expect_rc 0 strace_asan -f -qq -e trace=openat -o "$SCRATCH/trace" \
	"$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem" --fingerprint-out "$SCRATCH/fp"
fp=$OUT
[[ "$fp" =~ ^sha256:[0-9a-f]{64}$ ]] || die "fingerprint printed: \"$fp\""
[ "$(cat "$SCRATCH/fp")" = "$fp" ] || die "--fingerprint-out holds $(cat "$SCRATCH/fp"), printed $fp"
expect_err "sha256=$agent_sha"
a=$r/usr/local/bin/cainit
[ "$(stat -c %a "$a")" = 755 ] || die "agent mode $(stat -c %a "$a")"
assert_same "$AGENT" "$a"
opens=$(grep -cF "\"$AGENT\"" "$SCRATCH/trace" || true)
[ "$opens" = 1 ] || die "the agent was opened $opens times: $(grep -F "$AGENT" "$SCRATCH/trace")"
note "agent copied once: mode 755, sha256 $agent_sha, opened once"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/leaf.pem"
grep -q 'SSL_CERT_FILE=' "$r/etc/cainit/env" || die "no runtime variables recorded"
grep -q '^SSL_CERT_FILE=' "$r/etc/environment" && [ -f "$r/etc/systemd/system.conf.d/cainit.conf" ] ||
	die "the bake did not write the start paths"
# the agent runs inside the root it was baked into
[ "$STATIC_BUILD" = 0 ] || chroot "$r" /usr/local/bin/cainit version | grep -q '^cainit ' ||
	die "the baked agent does not run in its root"

note "fingerprint: stable in place and on a fresh copy; changes with the CA and the agent"
expect_rc 0 "$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ "$OUT" = "$fp" ] || die "baking the same root again: $OUT, was $fp"
cp -a "$SCRATCH/pristine" "$SCRATCH/copy"
expect_rc 0 "$CAINIT" bake --rootfs "$SCRATCH/copy" --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ "$OUT" = "$fp" ] || die "a fresh copy of the same root: $OUT, was $fp"
expect_rc 0 "$CAINIT" bake --rootfs "$SCRATCH/copy" --agent "$AGENT" --ca "$SCRATCH/B.pem"
fpB=$OUT
[ "$fpB" != "$fp" ] || die "another CA, same fingerprint"
cp "$AGENT" "$SCRATCH/agent2" && printf 'x' >> "$SCRATCH/agent2"
expect_rc 0 "$CAINIT" bake --rootfs "$SCRATCH/copy" --agent "$SCRATCH/agent2" --ca "$SCRATCH/B.pem"
[ "$OUT" != "$fpB" ] || die "another agent, same fingerprint"
assert_same "$SCRATCH/agent2" "$SCRATCH/copy/usr/local/bin/cainit"
expect_rc 0 "$CAINIT" bake --rootfs "$SCRATCH/copy" --agent "$AGENT" --ca "$SCRATCH/B.pem"
[ "$OUT" = "$fpB" ] || die "back to the first agent: $OUT, want $fpB"
echo "changed" >> "$SCRATCH/copy/etc/hostname"
expect_rc 0 "$CAINIT" bake --rootfs "$SCRATCH/copy" --agent "$AGENT" --ca "$SCRATCH/B.pem"
[ "$OUT" != "$fpB" ] || die "a changed root, same fingerprint"

note "without a CA: the start paths prepared with the paths a later /init fills"
r2=$SCRATCH/noca
cp -a "$SCRATCH/pristine" "$r2"
expect_rc 0 "$CAINIT" bake --rootfs "$r2" --agent "$AGENT"
fp0=$OUT
grep -qx 'NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem' "$r2/etc/environment" &&
	grep -q 'NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem' "$r2/etc/systemd/system.conf.d/cainit.conf" &&
	grep -q 'NODE_EXTRA_CA_CERTS' "$r2/etc/profile.d/cainit.sh" || die "bake without a CA did not prepare the start paths"
[ ! -e "$r2/etc/cainit/ca.pem" ] || die "a CA file without a CA"
expect_rc 0 "$CAINIT" bake --rootfs "$r2" --agent "$AGENT"
[ "$OUT" = "$fp0" ] || die "baking a prepared root again: $OUT, was $fp0"
# the CA arrives (as by /init): the same paths, now holding it; the last set
# gone, the root is what it was before the bake (but the agent)
snap=$(cat "$r2/etc/environment" "$r2"/etc/systemd/*/cainit.conf | sha256sum)
expect_rc 0 "$CAINIT" install --root "$r2" "$SCRATCH/A.pem"
[ "$snap" = "$(cat "$r2/etc/environment" "$r2"/etc/systemd/*/cainit.conf | sha256sum)" ] ||
	die "the first CA changed the prepared start paths"
expect_rc 0 "$CAINIT" remove --root "$r2" --all
rm "$r2/usr/local/bin/cainit"
[ "$(content_snapshot "$r2")" = "$(content_snapshot "$SCRATCH/pristine")" ] ||
	die "after remove --all the prepared root is not the pristine one: $(diff <(content_snapshot "$r2") <(content_snapshot "$SCRATCH/pristine"))"
note "prepared: /etc/environment, systemd drop-ins, profile.d; same fingerprint again; the first CA keeps them; remove --all gives the root back"

note "refusals: nothing written"
r=$SCRATCH/refuse
cp -a "$SCRATCH/pristine" "$r"
before=$(snapshot "$r")
printf '#!/bin/sh\necho hi\n' > "$SCRATCH/script"
cp "$AGENT" "$SCRATCH/big" && truncate -s 17M "$SCRATCH/big"
head -c 3000 "$AGENT" > "$SCRATCH/truncated"
check_refused() { # WANT-TEXT ARGS...
	local want=$1; shift
	rm -f "$SCRATCH/fp-refused"
	expect_rc 2 "$CAINIT" bake --rootfs "$r" --fingerprint-out "$SCRATCH/fp-refused" "$@"
	expect_err "$want"
	[ "$(wc -l <<<"$ERR")" = 1 ] || die "not a one-line error: $ERR"
	[ "$(snapshot "$r")" = "$before" ] || die "refused bake ($*) changed the root"
	[ ! -e "$SCRATCH/fp-refused" ] || die "refused bake ($*) wrote the fingerprint"
}
check_refused "no such file" --agent "$SCRATCH/nope" --ca "$SCRATCH/A.pem"
check_refused "not an ELF executable" --agent "$SCRATCH/script"
check_refused "dynamically linked" --agent /bin/true --ca "$SCRATCH/A.pem"
check_refused "more than the 16 MiB" --agent "$SCRATCH/big"
check_refused "not a regular file" --agent /etc
check_refused "truncated" --agent "$SCRATCH/truncated"
check_refused "not a CA" --agent "$AGENT" --ca "$SCRATCH/leaf.pem"
check_refused "private key" --agent "$AGENT" --ca "$SCRATCH/A.key"
if [ "$STATIC_BUILD" = 0 ]; then
	# this cainit (the default agent) is the sanitizer build: dynamic
	check_refused "dynamically linked" --ca "$SCRATCH/A.pem"
else
	expect_rc 0 "$CAINIT" bake --rootfs "$r"
	assert_same "$CAINIT" "$r/usr/local/bin/cainit"
	note "default agent: this cainit"
fi
expect_rc 2 "$CAINIT" bake --rootfs "$r" --tag x
expect_err "--tag, --run-args and --env-override go with --oci"
expect_rc 2 "$CAINIT" bake --rootfs "$r" --name x
expect_err "--name names the CAs of --ca"

note "symlink escapes stay inside the root"
[ ! -e /host ] || skip "the host has a /host directory: the escape check would be unsure"
outer=$SCRATCH/outer
r=$outer/root
mkroot debian "$r"
mkdir -p "$outer/sibling" && echo keep > "$outer/sibling/file"
rm -rf "$r/usr/local/bin" && ln -s /host/usr/local/bin "$r/usr/local/bin"
mv "$r/etc/ssl" "$r/etc/ssl.real" && ln -s ../../.. "$r/etc/ssl"
outside=$(cd "$outer" && find . -path ./root -prune -o -print | sort; cat sibling/file)
expect_rc 0 "$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ ! -e /host ] || die "the bake wrote to the host's /host"
assert_same "$AGENT" "$r/host/usr/local/bin/cainit"
[ "$(cd "$outer" && find . -path ./root -prune -o -print | sort; cat sibling/file)" = "$outside" ] ||
	die "the bake wrote outside the root"
[ -L "$r/etc/ssl" ] || die "the planted symlink was replaced"
note "/usr/local/bin -> /host/usr/local/bin and /etc/ssl -> ../../.. resolved inside the root"

note "several agents: the root's own programs choose"
# an arm64 agent: the static agent's bytes with e_machine AArch64 (bake
# reads its ELF header; tests/arch bakes the arm64 build's real one)
cp "$AGENT" "$SCRATCH/agent-arm64"
printf '\xb7\x00' | dd of="$SCRATCH/agent-arm64" bs=1 seek=18 conv=notrunc 2>/dev/null
arm_sha=$(sha256sum "$SCRATCH/agent-arm64" | cut -d' ' -f1)
# merged /usr: /bin -> usr/bin, sh -> dash (this machine's, an x86-64 ELF)
ra=$SCRATCH/amd && mkroot debian "$ra" && rm -rf "$ra/bin" && mkdir -p "$ra/usr/bin" && ln -s usr/bin "$ra/bin"
cp "$(readlink -f /bin/sh)" "$ra/usr/bin/dash" && ln -s dash "$ra/usr/bin/sh"
# busybox's layout: every program a link to /bin/busybox
rb=$SCRATCH/arm && mkroot debian "$rb" && mkdir -p "$rb/bin" && cp "$SCRATCH/agent-arm64" "$rb/bin/busybox"
ln -sf /bin/busybox "$rb/bin/sh"
for x in "$ra:$agent_sha" "$rb:$arm_sha"; do
	expect_rc 0 "$CAINIT" bake --rootfs "${x%%:*}" --agent "$AGENT" --agent "$SCRATCH/agent-arm64" --ca "$SCRATCH/A.pem"
	[ "$(sha256sum "${x%%:*}/usr/local/bin/cainit" | cut -d' ' -f1)" = "${x#*:}" ] ||
		die "${x%%:*}: not the agent of its architecture"
done
expect_err 'linux/arm64'
# a root whose /bin/sh points at a host path it does not hold: read inside
# the root (nothing there), never the host's x86-64 /usr/bin/dash
rn=$SCRATCH/none && mkroot debian "$rn" && mkdir -p "$rn/bin" && ln -s "$(readlink -f /bin/sh)" "$rn/bin/sh"
cp -a "$rn" "$SCRATCH/none.before"
expect_rc 2 "$CAINIT" bake --rootfs "$rn" --agent "$AGENT" --agent "$SCRATCH/agent-arm64" --ca "$SCRATCH/A.pem"
expect_err 'no ELF program'
diff -r --no-dereference "$SCRATCH/none.before" "$rn" >/dev/null || die "a refused bake changed the root"
expect_rc 0 "$CAINIT" bake --rootfs "$rn" --agent "$AGENT" --ca "$SCRATCH/A.pem"
# one agent, and a root of another architecture: refused, not baked
rc=$SCRATCH/arm-one && mkroot debian "$rc" && mkdir -p "$rc/bin" && cp "$SCRATCH/agent-arm64" "$rc/bin/busybox"
ln -sf /bin/busybox "$rc/bin/sh"
cp -a "$rc" "$SCRATCH/arm-one.before"
expect_rc 2 "$CAINIT" bake --rootfs "$rc" --agent "$AGENT" --ca "$SCRATCH/A.pem"
expect_err 'a linux/arm64 root, and the agent is built for amd64'
[ "$(wc -l <<<"$ERR")" = 1 ] || die "not a one-line error: $ERR"
diff -r --no-dereference "$SCRATCH/arm-one.before" "$rc" >/dev/null || die "a refused bake changed the arm64 root"
expect_rc 0 "$CAINIT" bake --rootfs "$rc" --agent "$SCRATCH/agent-arm64" --ca "$SCRATCH/A.pem"
[ "$(sha256sum "$rc/usr/local/bin/cainit" | cut -d' ' -f1)" = "$arm_sha" ] || die "arm64 root: not the arm64 agent"
note "amd64 (merged /usr) and arm64 (busybox) roots got their own agents; a root with no ELF program refused with two, baked with one; one amd64 agent for an arm64 root refused"
true
