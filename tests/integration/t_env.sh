# The runtime variables: `cainit env` in every format and layout ("adds"
# variables name the CA-only file, "replaces" variables the full bundle or
# hashed directory, never the CA alone); /etc/cainit/ca.pem holding every
# set; /etc/profile.d/cainit.sh written by install, kept while a set is
# left, deleted with the last one, never created where /etc/profile.d is
# missing; and `cainit run` handing the variables to its command, a
# variable the caller set kept with --env-keep, replaced with --env-override
# or when its file is not there (the merge itself: t_env_merge).
mkca A
mkca B
fpA=$(fp_of "$SCRATCH/A.pem")
fpB=$(fp_of "$SCRATCH/B.pem")

adds="NODE_EXTRA_CA_CERTS DENO_CERT"
replaces="SSL_CERT_FILE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE GIT_SSL_CAINFO CARGO_HTTP_CAINFO AWS_CA_BUNDLE
PIP_CERT PERL_LWP_SSL_CA_FILE HTTPS_CA_FILE HTTPLIB2_CA_CERTS GRPC_DEFAULT_SSL_ROOTS_FILE_PATH NPM_CONFIG_CAFILE
npm_config_cafile BUNDLE_SSL_CA_CERT"
# switches to the system store (the CA is in it), with fixed values
consts="NODE_USE_SYSTEM_CA=1 UV_NATIVE_TLS=1 UV_SYSTEM_CERTS=1 DENO_TLS_CA_STORE=system,mozilla"

# env_value ROOT NAME: NAME's value in `cainit env --format dotenv`, "" if absent
env_value() {
	"$CAINIT" env --root "$1" --format dotenv | sed -n "s/^$2=//p"
}

# check_env LAYOUT BUNDLE HASHED: the table's semantics on a fixture root
check_env() {
	local layout=$1 bundle=$2 hashed=$3 r=$SCRATCH/$1 v
	mkroot "$layout" "$r"
	# before any install: nothing (no managed CA, nothing to point at)
	[ -z "$("$CAINIT" env --root "$r")" ] || die "$layout: variables with no managed CA"
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
	for v in $adds; do
		[ "$(env_value "$r" "$v")" = /etc/cainit/ca.pem ] || die "$layout: $v is not the CA-only file"
	done
	for v in $replaces; do
		[ "$(env_value "$r" "$v")" = "$bundle" ] || die "$layout: $v=$(env_value "$r" "$v"), want the bundle $bundle"
	done
	[ "$(env_value "$r" SSL_CERT_DIR)" = "$hashed" ] || die "$layout: SSL_CERT_DIR=$(env_value "$r" SSL_CERT_DIR)"
	for v in $consts; do
		[ "$(env_value "$r" "${v%%=*}")" = "${v#*=}" ] || die "$layout: ${v%%=*}=$(env_value "$r" "${v%%=*}"), want ${v#*=}"
	done
	[ "$("$CAINIT" env --root "$r" --format dotenv | wc -l)" = $(($(wc -w <<<"$adds $replaces $consts") + 1)) ] ||
		die "$layout: cainit env has variables the table does not"
	# what they name: the CA alone, and the full bundle (distro CAs + ours)
	[ "$(count_of "$r/etc/cainit/ca.pem")" = 1 ] || die "$layout: ca.pem holds more than the CA"
	[ "$(fp_of "$r/etc/cainit/ca.pem")" = "$fpA" ] || die "$layout: ca.pem holds another CA"
	# (a scratch root has no distro CAs: its bundle is cainit's own)
	[ "$(count_of "$r$bundle")" -gt "$([ "$layout" = scratch ] && echo 0 || echo 1)" ] ||
		die "$layout: the replaces target is not a full bundle"
	grep -q "set=default sha256=$fpA" "$r$bundle" || die "$layout: the bundle lacks the CA"
	[ -d "$r$hashed" ] || die "$layout: $hashed is not a directory"
	expect_rc 0 "$CAINIT" remove --root "$r" --all
	[ -z "$("$CAINIT" env --root "$r")" ] || die "$layout: variables left after remove"
	[ ! -e "$r/etc/cainit/ca.pem" ] || die "$layout: ca.pem left after remove"
	[ ! -e "$r/etc/cainit/env" ] || die "$layout: /etc/cainit/env left after remove"
}
check_env debian /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs
check_env fedora /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem /etc/pki/ca-trust/extracted/pem/directory-hash
check_env suse /var/lib/ca-certificates/ca-bundle.pem /var/lib/ca-certificates/pem
check_env arch /etc/ca-certificates/extracted/tls-ca-bundle.pem /etc/ssl/certs
check_env scratch /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs
note "adds -> /etc/cainit/ca.pem, replaces -> the full bundle, in 5 layouts"

# ---- formats ----
r=$SCRATCH/debian
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" env --root "$r" --format json
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["NODE_EXTRA_CA_CERTS"] == "/etc/cainit/ca.pem", d
assert d["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt", d
assert len(d) == 21, sorted(d)
' "$OUT" || die "json: $OUT"
expect_rc 0 "$CAINIT" env --root "$r"
[ "$(env -i sh -c "$OUT"'
echo "$NODE_EXTRA_CA_CERTS $SSL_CERT_FILE"')" = "/etc/cainit/ca.pem /etc/ssl/certs/ca-certificates.crt" ] ||
	die "sh format does not eval: $OUT"
expect_rc 0 "$CAINIT" env --root "$r" --format dotenv
[ "$(grep -c '^[A-Za-z_0-9]*=/' <<<"$OUT")" = 17 ] || die "dotenv: $OUT"
expect_rc 2 "$CAINIT" env --root "$r" --format yaml
expect_err "unknown format"
expect_rc 2 "$CAINIT" env --root "$r" extra
expect_rc 0 "$CAINIT" remove --root "$r" --all

# ---- two sets in the CA-only file ----
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" install --root "$r" --name proxy "$SCRATCH/B.pem"
[ "$(count_of "$r/etc/cainit/ca.pem")" = 2 ] || die "ca.pem does not hold both sets"
expect_rc 0 "$CAINIT" install --root "$r" --name proxy "$SCRATCH/B.pem"
expect_err "(unchanged)"
expect_rc 0 "$CAINIT" remove --root "$r" --name default
[ "$(count_of "$r/etc/cainit/ca.pem")" = 1 ] && [ "$(fp_of "$r/etc/cainit/ca.pem")" = "$fpB" ] ||
	die "ca.pem after removing one set"
expect_rc 0 "$CAINIT" remove --root "$r" --all

# ---- /etc/profile.d/cainit.sh ----
[ ! -e "$r/etc/profile.d" ] || die "fixture unexpectedly has /etc/profile.d"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ ! -e "$r/etc/profile.d" ] || die "install created /etc/profile.d"
expect_rc 0 "$CAINIT" remove --root "$r" --all
mkdir -p "$r/etc/profile.d"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
p=$r/etc/profile.d/cainit.sh
[ -f "$p" ] || die "install did not write $p"
[ "$(stat -c %a "$p")" = 644 ] || die "profile script mode $(stat -c %a "$p")"
# a login shell gets every variable; one the user set stays
got=$(env -i sh -c ". '$p'; echo \"\$NODE_EXTRA_CA_CERTS|\$SSL_CERT_FILE|\$NPM_CONFIG_CAFILE\"")
[ "$got" = "/etc/cainit/ca.pem|/etc/ssl/certs/ca-certificates.crt|/etc/ssl/certs/ca-certificates.crt" ] ||
	die "profile script gives: $got"
got=$(env -i SSL_CERT_FILE=/mine sh -c ". '$p'; echo \"\$SSL_CERT_FILE\"")
[ "$got" = /mine ] || die "profile script replaced a variable the user set: $got"
got=$(env -i SSL_CERT_FILE= sh -c ". '$p'; echo \"[\$SSL_CERT_FILE]\"")
[ "$got" = "[]" ] || die "profile script replaced a variable the user set empty: $got"
# bash and dash both read it (bash --login sources /etc/profile.d through /etc/profile)
got=$(env -i bash -c ". '$p'; echo \"\$DENO_CERT\"")
[ "$got" = /etc/cainit/ca.pem ] || die "bash: $got"
before=$(snapshot "$r/etc/profile.d")
expect_rc 0 "$CAINIT" install --root "$r" --name proxy "$SCRATCH/B.pem"
[ "$(snapshot "$r/etc/profile.d")" = "$before" ] || die "a second set rewrote the profile script"
expect_rc 0 "$CAINIT" remove --root "$r" --name default
[ -f "$p" ] || die "profile script removed while a set is left"
expect_rc 0 "$CAINIT" remove --root "$r" --name proxy
[ ! -e "$p" ] || die "profile script left after the last set"
[ -d "$r/etc/profile.d" ] || die "remove took /etc/profile.d itself"
note "profile.d script: written, kept while a set is left, removed with the last"

# ---- cainit run hands them to its command ----
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
out=$(env -u SSL_CERT_FILE -u NODE_EXTRA_CA_CERTS "$CAINIT" run --root "$r" -- env 2>"$SCRATCH/run.err")
grep -qx "NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem" <<<"$out" || die "run: NODE_EXTRA_CA_CERTS: $out"
grep -qx "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" <<<"$out" || die "run: SSL_CERT_FILE"
grep -qx "SSL_CERT_DIR=/etc/ssl/certs" <<<"$out" || die "run: SSL_CERT_DIR"
[ "$(grep -c '=/etc/ssl/certs/ca-certificates.crt$' <<<"$out")" = 14 ] || die "run: replaces variables: $out"
# with --env-keep the caller's own value stays, and is reported; --env-override
# replaces it (the default, a merge, is t_env_merge's: here the caller's files
# do not exist, so cainit's replace them)
out=$(SSL_CERT_FILE=/custom.pem NODE_EXTRA_CA_CERTS=/extra.pem "$CAINIT" run --root "$r" --env-keep -- env 2>"$SCRATCH/run.err")
grep -qx "SSL_CERT_FILE=/custom.pem" <<<"$out" || die "run replaced the caller's SSL_CERT_FILE"
grep -qx "NODE_EXTRA_CA_CERTS=/extra.pem" <<<"$out" || die "run replaced the caller's NODE_EXTRA_CA_CERTS"
grep -qx "REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt" <<<"$out" || die "run: REQUESTS_CA_BUNDLE"
grep -q "SSL_CERT_FILE is set by the caller" "$SCRATCH/run.err" || die "run did not say it kept SSL_CERT_FILE"
[ "$(grep -c '^SSL_CERT_FILE=' <<<"$out")" = 1 ] || die "SSL_CERT_FILE twice"
out=$(SSL_CERT_FILE=/custom.pem "$CAINIT" run --root "$r" -- env 2>"$SCRATCH/run.err")
grep -qx "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" <<<"$out" || die "run kept a caller's SSL_CERT_FILE that is not there"
grep -q "SSL_CERT_FILE=/custom.pem is not a certificate file cainit can read" "$SCRATCH/run.err" || die "run: $(cat "$SCRATCH/run.err")"
out=$(SSL_CERT_FILE=/custom.pem "$CAINIT" run --root "$r" --env-override -- env 2>/dev/null)
grep -qx "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" <<<"$out" || die "--env-override kept the caller's value"
[ "$(grep -c '^SSL_CERT_FILE=' <<<"$out")" = 1 ] || die "SSL_CERT_FILE twice with --env-override"
# /etc/cainit/env is what run and env read: it matches, and only the
# variables cainit sets are ever taken from it
expect_rc 0 "$CAINIT" env --root "$r" --format dotenv
[ "$OUT" = "$(cat "$r/etc/cainit/env")" ] || die "/etc/cainit/env differs from cainit env"
printf 'LD_PRELOAD=/tmp/evil.so\nPATH=/evil\nSSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n' > "$r/etc/cainit/env"
out=$("$CAINIT" run --root "$r" -- env 2>/dev/null)
! grep -q "LD_PRELOAD\|PATH=/evil" <<<"$out" || die "run took a variable cainit does not set from /etc/cainit/env"
grep -qx "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" <<<"$out" || die "run lost SSL_CERT_FILE"
expect_rc 0 "$CAINIT" install --root "$r" --name again "$SCRATCH/B.pem"
[ "$(grep -c = "$r/etc/cainit/env")" = 21 ] || die "install did not rewrite /etc/cainit/env"
expect_rc 0 "$CAINIT" remove --root "$r" --name again
# the rest of the caller's environment passes through untouched
out=$(CAINIT_TEST_VAR='a b=c' "$CAINIT" run --root "$r" -- env 2>/dev/null)
grep -qx "CAINIT_TEST_VAR=a b=c" <<<"$out" || die "run lost the caller's variables"
note "run: user-set variable kept, --env-override replaces, adds vs replaces"
