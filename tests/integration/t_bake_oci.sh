# cainit bake --oci on layouts written by an independent implementation
# (tests/tools/mkoci.py, Python's tarfile): the new image is the base plus
# one layer; unpacked the way a runtime does (whiteouts), it trusts the CA
# in every store and holds the agent; the entrypoint wraps the original
# (Cmd kept, no double wrap when baked again); digests are repeatable; the
# fingerprint follows its inputs; bad layouts and layers are refused with
# nothing written; the image's symlinks cannot steer a write out. (Running
# the images in a container runtime is tests/e2e/run.sh.)
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
[ -n "$AGENT" ] || skip "no static cainit to bake (build the static one first)"
MKOCI="python3 $HERE/../tools/mkoci.py"
show() { $MKOCI show "$SCRATCH/layout" "$1"; }
q() { python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps($1))"; }

mkca A
mkca B
mkleaf leaf A
agent_sha=$(sha256sum "$AGENT" | cut -d' ' -f1)

# the base: a Debian root as a gzip layer, then a plain layer that removes
# one CA of the hashed directory (a whiteout) and adds a file
mkroot debian "$SCRATCH/l1"
mkdir -p "$SCRATCH/l1/usr/local/bin" "$SCRATCH/l2/etc/ssl/certs" "$SCRATCH/l2/app"
pems=("$SCRATCH"/l1/etc/ssl/certs/*.pem); gone=${pems[0]##*/}
touch "$SCRATCH/l2/etc/ssl/certs/.wh.$gone"
echo hello > "$SCRATCH/l2/app/data"
$MKOCI make "$SCRATCH/layout" base --entrypoint '["/app/run"]' --cmd '["serve","--port","80"]' \
	--gzip-layer "$SCRATCH/l1" --layer "$SCRATCH/l2"
index_before=$(sha256sum < "$SCRATCH/layout/index.json")

note "bake --oci with a CA and run args"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:base" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem" \
	--run-args "--timeout 5s --name 'egress ca'" --fingerprint-out "$SCRATCH/fp"
fp=$OUT
[ "$(cat "$SCRATCH/fp")" = "$fp" ] || die "--fingerprint-out differs from what was printed"
info=$(show baked)
ep=$(q 'd["config"]["config"]["Entrypoint"]' <<<"$info")
[ "$ep" = '["/usr/local/bin/cainit", "run", "--timeout", "5s", "--name", "egress ca", "--", "/app/run"]' ] ||
	die "Entrypoint: $ep"
[ "$(q 'd["config"]["config"]["Cmd"]' <<<"$info")" = '["serve", "--port", "80"]' ] || die "Cmd not kept"
labels=$(q 'd["config"]["config"]["Labels"]' <<<"$info")
grep -q "\"io.cainit.agent.sha256\": \"$agent_sha\"" <<<"$labels" || die "labels: $labels"
grep -q "\"io.cainit.ca.sha256\": \"$(fp_of "$SCRATCH/A.pem" | tr -d : | tr A-F a-f)\"" <<<"$labels" ||
	die "labels: $labels"
grep -q "\"io.cainit.fingerprint\": \"$fp\"" <<<"$labels" || die "labels: $labels"
[ "$(q 'len(d["layers"])' <<<"$info")" = 3 ] || die "want the base's 2 layers + 1"
[ "$(q 'd["layers"][2][0]' <<<"$info")" = '"application/vnd.oci.image.layer.v1.tar"' ] || die "layer type"
[ "$(q 'len(d["config"]["rootfs"]["diff_ids"])' <<<"$info")" = 3 ] || die "diff_ids not extended"
entries=$(q '" ".join(sorted(d["layers"][2][1]))' <<<"$info" | tr -d '"')
note "added layer: $entries"
grep -q 'usr/local/bin/cainit' <<<"$entries" || die "no agent in the layer"
grep -q 'etc/ssl/certs/ca-certificates.crt' <<<"$entries" || die "no bundle in the layer"
grep -qE '(^| )(usr|etc|etc/ssl|usr/local/bin)/?( |$)' <<<"$entries" &&
	die "the layer re-declares a directory of the base: $entries"
[ "$(sha256sum < "$SCRATCH/layout/index.json")" != "$index_before" ] || die "index.json not updated"
# the base tag still names the base
[ "$(q 'len(d["layers"])' <<<"$(show base)")" = 2 ] || die "the base tag moved"

note "the baked image, unpacked as a runtime would, trusts the CA"
$MKOCI unpack "$SCRATCH/layout" baked "$SCRATCH/u"
assert_same "$AGENT" "$SCRATCH/u/usr/local/bin/cainit"
[ "$(stat -c %a "$SCRATCH/u/usr/local/bin/cainit")" = 755 ] || die "agent mode"
[ ! -e "$SCRATCH/u/etc/ssl/certs/$gone" ] || die "the base's whiteout was undone"
[ "$(cat "$SCRATCH/u/app/data")" = hello ] || die "the base's second layer is missing"
expect_rc 0 "$CAINIT" verify --root "$SCRATCH/u" "$SCRATCH/leaf.pem"
expect_rc 0 "$CAINIT" status --root "$SCRATCH/u"
grep -q 'present.*verified' <<<"$OUT" || die "status: $OUT"
[ -z "$(ls -A "$TMPDIR")" ] || die "the unpacked work tree was left in $TMPDIR: $(ls -A "$TMPDIR")"

note "repeatable: the same inputs give the same digests"
m1=$(q 'd["manifest_digest"]' <<<"$info")
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:base" --tag again --agent "$AGENT" --ca "$SCRATCH/A.pem" \
	--run-args "--timeout 5s --name 'egress ca'"
[ "$OUT" = "$fp" ] || die "fingerprint changed: $OUT vs $fp"
[ "$(q 'd["manifest_digest"]' <<<"$(show again)")" = "$m1" ] || die "manifest digest changed"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:base" --tag other-args --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ "$OUT" != "$fp" ] || die "other run args, same fingerprint"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:base" --tag other-ca --agent "$AGENT" --ca "$SCRATCH/B.pem" \
	--run-args "--timeout 5s --name 'egress ca'"
[ "$OUT" != "$fp" ] || die "another CA, same fingerprint"

note "baking a baked image wraps once"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:baked" --tag twice --agent "$AGENT" --ca "$SCRATCH/B.pem"
ep=$(q 'd["config"]["config"]["Entrypoint"]' <<<"$(show twice)")
[ "$ep" = '["/usr/local/bin/cainit", "run", "--", "/app/run"]' ] || die "re-baked Entrypoint: $ep"
$MKOCI unpack "$SCRATCH/layout" twice "$SCRATCH/u2"
expect_rc 0 "$CAINIT" status --root "$SCRATCH/u2"
grep -q "$(fp_of "$SCRATCH/B.pem")" <<<"$OUT" || die "B not installed"
grep -q "$(fp_of "$SCRATCH/A.pem")" <<<"$OUT" && die "A left behind after the rotation"

note "without a CA: the agent and cainit's records (this image has no start path); an image with no command gets /bin/sh"
$MKOCI make "$SCRATCH/layout" bare --layer "$SCRATCH/l2"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:bare" --tag bare-baked --agent "$AGENT"
info=$(show bare-baked)
[ "$(q '[p for p in d["layers"][1][1] if not p.startswith("etc/cainit")]' <<<"$info")" = \
	'["usr", "usr/local", "usr/local/bin", "usr/local/bin/cainit"]' ] || die "bare image, no CA: layer $(q 'd["layers"][1][1]' <<<"$info")"
[ "$(q 'd["config"]["config"]["Entrypoint"] + d["config"]["config"]["Cmd"]' <<<"$info")" = \
	'["/usr/local/bin/cainit", "run", "--", "/bin/sh"]' ] || die "default command: $info"
grep -q io.cainit.ca.sha256 <<<"$info" && die "a CA label without a CA"

note "the config's Env: the runtime variables; the image's own adds and switches kept; its JAVA_HOME's keystore"
[ -f /etc/ssl/certs/java/cacerts ] || die "no Debian Java keystore (scripts/deps.sh installs ca-certificates-java)"
mkdir -p "$SCRATCH/j/srv/jdk/lib/security"
cp /etc/ssl/certs/java/cacerts "$SCRATCH/j/srv/jdk/lib/security/cacerts"
$MKOCI make "$SCRATCH/layout" envimg --env '["PATH=/usr/bin:/bin", "NODE_EXTRA_CA_CERTS=/corp.pem", "SSL_CERT_FILE=/old.pem", "JAVA_HOME=/srv/jdk"]' \
	--gzip-layer "$SCRATCH/l1" --layer "$SCRATCH/j"
env_of() { q '"\n".join(d["config"]["config"]["Env"])' <<<"$(show "$1")" | python3 -c 'import json,sys; print(json.load(sys.stdin))'; }
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:envimg" --tag env-baked --agent "$AGENT" --ca "$SCRATCH/A.pem"
fp_env=$OUT
env=$(env_of env-baked)
for kv in PATH=/usr/bin:/bin NODE_EXTRA_CA_CERTS=/corp.pem JAVA_HOME=/srv/jdk SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_DIR=/etc/ssl/certs DENO_CERT=/etc/cainit/ca.pem \
	NODE_USE_SYSTEM_CA=1 DENO_TLS_CA_STORE=system,mozilla; do
	grep -qxF "$kv" <<<"$env" || die "Env lacks $kv: $env"
done
[ "$(grep -c '^NODE_EXTRA_CA_CERTS=\|^SSL_CERT_FILE=' <<<"$env")" = 2 ] || die "a variable twice in Env: $env"
# every variable of the unpacked image's cainit env is in Env
$MKOCI unpack "$SCRATCH/layout" env-baked "$SCRATCH/ue"
while IFS= read -r kv; do
	[ "${kv%%=*}" = NODE_EXTRA_CA_CERTS ] || grep -qxF "$kv" <<<"$env" || die "Env lacks $kv (cainit env of the image)"
done < <("$CAINIT" env --root "$SCRATCH/ue" --format dotenv)
# the same Env recorded in the layer, for doctor's "image" start path
python3 -c 'import json, sys; rec = json.load(open(sys.argv[1])); cfg = json.loads(sys.argv[2]); assert rec == cfg, (rec, cfg)' \
	"$SCRATCH/ue/etc/cainit/image-env.json" "$(q 'd["config"]["config"]["Env"]' <<<"$(show env-baked)")" ||
	die "etc/cainit/image-env.json is not the config's Env"
python3 "$HERE/../tools/jks.py" "$SCRATCH/ue/srv/jdk/lib/security/cacerts" | grep -q 'cainit\.default\.' ||
	die "the keystore under the image's JAVA_HOME did not get the CA"
note "Env: $(wc -l <<<"$env") variables, recorded in etc/cainit/image-env.json too; NODE_EXTRA_CA_CERTS=/corp.pem kept, SSL_CERT_FILE set to the bundle; /srv/jdk's keystore"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:envimg" --tag env-over --agent "$AGENT" --ca "$SCRATCH/A.pem" --env-override
[ "$OUT" != "$fp_env" ] || die "--env-override, same fingerprint"
grep -qxF NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem <<<"$(env_of env-over)" || die "--env-override kept the image's value"

note "without a CA: the start paths prepared in the layer, Env from the image's layout, no certificate"
mkdir -p "$SCRATCH/sp/etc/profile.d" "$SCRATCH/sp/usr/lib/systemd"
printf 'LANG=C.UTF-8\nPATH="/usr/local/bin:/usr/bin:/bin"\n' >"$SCRATCH/sp/etc/environment"
printf '# the distro bashrc\n[ -z "$PS1" ] && return\n' >"$SCRATCH/sp/etc/bash.bashrc"
install -m 0755 /dev/null "$SCRATCH/sp/usr/lib/systemd/systemd"
$MKOCI make "$SCRATCH/layout" startp --gzip-layer "$SCRATCH/l1" --layer "$SCRATCH/sp"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:startp" --tag startp-baked --agent "$AGENT"
info=$(show startp-baked)
for p in etc/profile.d/cainit.sh etc/environment etc/bash.bashrc etc/systemd/system.conf.d/cainit.conf \
	etc/systemd/user.conf.d/cainit.conf usr/local/bin/cainit; do
	q 'd["layers"][2][1]' <<<"$info" | grep -qF "\"$p\"" || die "no CA: $p not in the layer: $(q 'd["layers"][2][1]' <<<"$info")"
done
q 'd["layers"][2][1]' <<<"$info" | grep -q 'ca-certificates.crt\|ca\.pem' && die "no CA, yet a bundle in the layer"
grep -q io.cainit.ca.sha256 <<<"$info" && die "a CA label without a CA"
env=$(env_of startp-baked)
grep -qxF SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt <<<"$env" && grep -qxF NODE_USE_SYSTEM_CA=1 <<<"$env" &&
	grep -qxF NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem <<<"$env" || die "no CA: Env $env"
$MKOCI unpack "$SCRATCH/layout" startp-baked "$SCRATCH/us"
grep -qxF 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' "$SCRATCH/us/etc/environment" ||
	die "no CA: /etc/environment lacks the variables: $(cat "$SCRATCH/us/etc/environment")"
grep -q 'DefaultEnvironment=.*SSL_CERT_FILE=' "$SCRATCH/us/etc/systemd/system.conf.d/cainit.conf" ||
	die "no CA: the systemd drop-in: $(cat "$SCRATCH/us/etc/systemd/system.conf.d/cainit.conf")"
cmp -s "$SCRATCH/l1/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/us/etc/ssl/certs/ca-certificates.crt" ||
	die "no CA, yet the bundle changed"
# the CA a later /init brings fills what bake prepared; removal gives the image's files back
expect_rc 0 "$CAINIT" install --root "$SCRATCH/us" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$SCRATCH/us" --all
cmp "$SCRATCH/sp/etc/environment" "$SCRATCH/us/etc/environment" || die "no CA: /etc/environment not given back"
cmp "$SCRATCH/sp/etc/bash.bashrc" "$SCRATCH/us/etc/bash.bashrc" || die "no CA: bash.bashrc not given back"

note "an image index: the manifest for the agent's architecture"
$MKOCI make "$SCRATCH/layout" for-arm --arch arm64 --layer "$SCRATCH/l2"
$MKOCI index "$SCRATCH/layout" multi for-arm=arm64 base=amd64
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:multi" --tag multi-baked --agent "$AGENT"
[ "$(q 'len(d["layers"])' <<<"$(show multi-baked)")" = 3 ] || die "index: not the amd64 image (2 layers + 1)"

note "several agents: an image index baked platform by platform into a new index"
# an arm64 agent: the static agent's bytes with e_machine AArch64 (bake reads
# only the ELF header; the arm64 build's real one is baked in tests/arch)
cp "$AGENT" "$SCRATCH/agent-arm64"
printf '\xb7\x00' | dd of="$SCRATCH/agent-arm64" bs=1 seek=18 conv=notrunc 2>/dev/null
arm_sha=$(sha256sum "$SCRATCH/agent-arm64" | cut -d' ' -f1)
$MKOCI make "$SCRATCH/layout" for-s390 --arch s390x --layer "$SCRATCH/l2"
$MKOCI index "$SCRATCH/layout" three for-arm=arm64 base=amd64 for-s390=s390x
$MKOCI index "$SCRATCH/layout" for-s390-index for-s390=s390x
blobs_before=$(ls "$SCRATCH/layout/blobs/sha256" | wc -l)
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:three" --tag three-baked --agent "$AGENT" \
	--agent "$SCRATCH/agent-arm64" --ca "$SCRATCH/A.pem" --fingerprint-out "$SCRATCH/fp3"
[ "$(wc -l <<<"$OUT")" = 2 ] || die "want one fingerprint line per baked platform: $OUT"
[ "$(cat "$SCRATCH/fp3")" = "$OUT" ] || die "--fingerprint-out differs from what was printed"
fp_arm=$(sed -n 's|^linux/arm64 ||p' <<<"$OUT"); fp_amd=$(sed -n 's|^linux/amd64 ||p' <<<"$OUT")
[ -n "$fp_arm" ] && [ -n "$fp_amd" ] && [ "$fp_arm" != "$fp_amd" ] || die "fingerprints: $OUT"
python3 - "$SCRATCH/layout" <<'PY' || die "the new index"
import json, sys
L = sys.argv[1]
def tagged(t):
    i = json.load(open(L + "/index.json"))
    return [m for m in i["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == t][0]
def blob(d): return json.load(open(L + "/blobs/sha256/" + d[7:]))
old, new = tagged("three"), tagged("three-baked")
assert new["mediaType"] == "application/vnd.oci.image.index.v1+json", new
o, n = blob(old["digest"])["manifests"], blob(new["digest"])["manifests"]
assert [e["platform"] for e in o] == [e["platform"] for e in n], "platforms changed"
assert n[0]["digest"] != o[0]["digest"] and n[1]["digest"] != o[1]["digest"], "arm64 or amd64 not baked"
assert n[2] == o[2], "s390x (no agent) not left as it was"
PY
for a in arm64:$arm_sha amd64:$agent_sha; do
	info=$(show "three-baked@${a%%:*}")
	grep -q "\"io.cainit.agent.sha256\": \"${a#*:}\"" <<<"$(q 'd["config"]["config"]["Labels"]' <<<"$info")" ||
		die "linux/${a%%:*}: not its own agent's label"
	fp=$(sed -n "s|^linux/${a%%:*} ||p" <<<"$OUT")
	grep -q "\"io.cainit.fingerprint\": \"$fp\"" <<<"$(q 'd["config"]["config"]["Labels"]' <<<"$info")" ||
		die "linux/${a%%:*}: the label is not its printed fingerprint"
	rm -rf "$SCRATCH/u3" && $MKOCI unpack "$SCRATCH/layout" "three-baked@${a%%:*}" "$SCRATCH/u3"
	[ "$(sha256sum "$SCRATCH/u3/usr/local/bin/cainit" | cut -d' ' -f1)" = "${a#*:}" ] ||
		die "linux/${a%%:*}: the image holds another agent"
	grep -q "$(sed -n 2p "$SCRATCH/A.pem")" "$SCRATCH/u3/etc/ssl/certs/ca-certificates.crt" ||
		die "linux/${a%%:*}: the bundle lacks the CA"
done
note "index: arm64 and amd64 baked with their own agents and fingerprints, s390x kept; $(( $(ls "$SCRATCH/layout/blobs/sha256" | wc -l) - blobs_before )) new blobs"
# the fingerprint of a platform is that of the same bake with its one agent
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:three" --tag amd-only --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ "$OUT" = "$fp_amd" ] || die "linux/amd64's fingerprint differs from a one-agent bake's: $OUT vs $fp_amd"
# the same from a directory of release files
mkdir "$SCRATCH/dist" && cp "$AGENT" "$SCRATCH/dist/cainit-linux-amd64" && cp "$SCRATCH/agent-arm64" "$SCRATCH/dist/cainit-linux-arm64"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:three" --tag three-dir --agent-dir "$SCRATCH/dist" --ca "$SCRATCH/A.pem"
[ "$OUT" = "$(cat "$SCRATCH/fp3")" ] || die "--agent-dir: other fingerprints: $OUT"
# a plain image with several agents: the one its architecture needs
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:for-arm" --tag arm-baked --agent-dir "$SCRATCH/dist"
grep -q "\"io.cainit.agent.sha256\": \"$arm_sha\"" <<<"$(show arm-baked)" || die "plain arm64 image: not the arm64 agent"

note "refusals: nothing written"
refused() { # WANT-TEXT ARGS...
	local want=$1; shift
	local idx blobs
	idx=$(sha256sum < "$SCRATCH/layout/index.json")
	blobs=$(ls "$SCRATCH/layout/blobs/sha256" | sort)
	expect_rc 2 "$CAINIT" bake --agent "$AGENT" "$@"
	expect_err "$want"
	[ "$(wc -l <<<"$ERR")" = 1 ] || die "not a one-line error: $ERR"
	[ "$(sha256sum < "$SCRATCH/layout/index.json")" = "$idx" ] || die "refused bake ($*) changed index.json"
	[ "$(ls "$SCRATCH/layout/blobs/sha256" | sort)" = "$blobs" ] || die "refused bake ($*) wrote a blob"
	blobs_late=$blobs
	[ -z "$(ls -A "$TMPDIR")" ] || die "refused bake ($*) left $(ls -A "$TMPDIR")"
}
refused 'no image tagged "nope"' --oci "$SCRATCH/layout:nope" --tag x --ca "$SCRATCH/A.pem"
refused '--oci needs --tag' --oci "$SCRATCH/layout:base"
refused 'not an OCI image layout' --oci "$SCRATCH/l1:base" --tag x
refused 'images in the layout: name one' --oci "$SCRATCH/layout" --tag x
refused 'not a CA' --oci "$SCRATCH/layout:base" --tag x --ca "$SCRATCH/leaf.pem"
$MKOCI make "$SCRATCH/layout" arm --arch arm64 --layer "$SCRATCH/l2"
refused 'a arm64 image, and the agent is built for amd64' --oci "$SCRATCH/layout:arm" --tag x
refused 'linux/s390x has no agent, and --all-platforms' --oci "$SCRATCH/layout:three" --tag x \
	--agent "$SCRATCH/agent-arm64" --all-platforms
refused 'two agents for linux/amd64' --oci "$SCRATCH/layout:three" --tag x --agent "$AGENT"
refused 'no linux platform of the image index has an agent' --oci "$SCRATCH/layout:for-s390-index" --tag x \
	--agent "$SCRATCH/agent-arm64"
refused 'a linux/s390x image, and no agent is built for it' --oci "$SCRATCH/layout:for-s390" --tag x \
	--agent "$SCRATCH/agent-arm64"
refused 'not both' --oci "$SCRATCH/layout:three" --tag x --agent-dir "$SCRATCH/dist"
expect_rc 2 "$CAINIT" bake --oci "$SCRATCH/layout:three" --tag x --agent-dir "$SCRATCH/nonexistent"
expect_err 'no such directory'
refused '--all-platforms goes with --oci and several agents' --oci "$SCRATCH/layout:three" --tag x --all-platforms
printf '\x28\xb5\x2f\xfd rest of a zstd frame' > "$SCRATCH/zstd"
$MKOCI make "$SCRATCH/layout" zstd --raw-layer "$SCRATCH/zstd"
refused 'zstd-compressed layer' --oci "$SCRATCH/layout:zstd" --tag x --ca "$SCRATCH/A.pem"
# an index refused at its second platform: the first was baked (its blobs
# written: a CA no earlier bake used makes them new), then taken away again
mkca late
$MKOCI make "$SCRATCH/layout" zstd-arm --arch arm64 --raw-layer "$SCRATCH/zstd"
$MKOCI index "$SCRATCH/layout" late-refusal base=amd64 zstd-arm=arm64
refused 'zstd-compressed layer' --oci "$SCRATCH/layout:late-refusal" --tag x --ca "$SCRATCH/late.pem" \
	--agent "$SCRATCH/agent-arm64"
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:base" --tag late-ok --agent "$AGENT" --ca "$SCRATCH/late.pem"
[ "$(ls "$SCRATCH/layout/blobs/sha256" | wc -l)" -ge $(( $(wc -l <<<"$blobs_late") + 3 )) ] ||
	die "the late-refusal case proves nothing: the amd64 bake with late.pem wrote no new blobs"
python3 - "$SCRATCH/climb.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("etc/../../escape"); data = b"x"; i.size = 1
    t.addfile(i, io.BytesIO(data))
PY
$MKOCI make "$SCRATCH/layout" climb --raw-layer "$SCRATCH/climb.tar"
refused 'climbs out with ".."' --oci "$SCRATCH/layout:climb" --tag x --ca "$SCRATCH/A.pem"
# the Env record's place taken by a link to the image's own /etc/passwd: not
# followed (bake would have written the Env over that file)
python3 - "$SCRATCH/envlink.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for d in ("etc", "etc/cainit"):
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    i = tarfile.TarInfo("etc/passwd"); data = b"root:x:0:0:root:/root:/bin/sh\n"; i.size = len(data)
    t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("etc/cainit/image-env.json"); i.type = tarfile.SYMTYPE; i.linkname = "../passwd"; t.addfile(i)
PY
$MKOCI make "$SCRATCH/layout" envlink --raw-layer "$SCRATCH/envlink.tar"
refused 'image-env.json: exists and is not a regular file' --oci "$SCRATCH/layout:envlink" --tag x --ca "$SCRATCH/A.pem"
python3 - "$SCRATCH/long.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("etc/file"); i.size = 4000
    t.addfile(i, io.BytesIO(b"y" * 4000))
PY
head -c 1500 "$SCRATCH/long.tar" > "$SCRATCH/short.tar"
$MKOCI make "$SCRATCH/layout" short --raw-layer "$SCRATCH/short.tar"
refused 'ends in the middle of an entry' --oci "$SCRATCH/layout:short" --tag x --ca "$SCRATCH/A.pem"
# a blob whose bytes no longer match its digest
cp -a "$SCRATCH/layout" "$SCRATCH/layout.good"
l2=$(python3 -c "
import json; i=json.load(open('$SCRATCH/layout/index.json'))
m=[x for x in i['manifests'] if x['annotations']['org.opencontainers.image.ref.name']=='base'][0]
print(json.load(open('$SCRATCH/layout/blobs/sha256/'+m['digest'][7:]))['layers'][1]['digest'][7:])")
# (the last byte: past the end-of-archive blocks, so only the digest can tell)
printf 'X' | dd of="$SCRATCH/layout/blobs/sha256/$l2" bs=1 seek=$(( $(stat -c %s "$SCRATCH/layout/blobs/sha256/$l2") - 1 )) \
	conv=notrunc 2>/dev/null
refused "content has sha256:" --oci "$SCRATCH/layout:base" --tag x --ca "$SCRATCH/A.pem"
rm -rf "$SCRATCH/layout" && mv "$SCRATCH/layout.good" "$SCRATCH/layout"

note "the image's symlinks cannot steer the unpack or the engine out"
[ ! -e /host ] || skip "the host has a /host directory: the escape check would be unsure"
mkroot debian "$SCRATCH/e1"
rm -rf "$SCRATCH/e1/usr/local/bin" && ln -s /host/usr/local/bin "$SCRATCH/e1/usr/local/bin"
ln -s ../../../../../../.. "$SCRATCH/e1/up"
# a second layer that writes through both links (no directory entries)
python3 - "$SCRATCH/e2.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("usr/local/bin/other", "up/through-link"):
        i = tarfile.TarInfo(name); i.size = 8
        t.addfile(i, io.BytesIO(b"planted\n"))
PY
$MKOCI make "$SCRATCH/layout" escape --entrypoint '["/app"]' --layer "$SCRATCH/e1" --raw-layer "$SCRATCH/e2.tar"
canary=$(ls -A / | sort)
expect_rc 0 "$CAINIT" bake --oci "$SCRATCH/layout:escape" --tag escape-baked --agent "$AGENT" --ca "$SCRATCH/A.pem"
[ ! -e /host ] || die "the bake wrote to the host's /host"
[ ! -e /through-link ] || die "a layer wrote through a symlink to the host's /"
[ "$(ls -A / | sort)" = "$canary" ] || die "the host's / changed"
entries=$(q '" ".join(d["layers"][2][1])' <<<"$(show escape-baked)" | tr -d '"')
grep -q 'host/usr/local/bin/cainit' <<<"$entries" || die "agent not placed through the in-root symlink: $entries"
grep -q '\.\.' <<<"$entries" && die "a layer entry climbs: $entries"
$MKOCI unpack "$SCRATCH/layout" escape-baked "$SCRATCH/ue"
[ "$(cat "$SCRATCH/ue/host/usr/local/bin/other")" = planted ] || die "usr/local/bin/other not resolved in the root"
note "layer entries through /usr/local/bin -> /host/... and up -> ../../.. stayed inside"
true
