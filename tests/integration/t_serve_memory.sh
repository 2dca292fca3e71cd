# The agent's memory never lies: a request that repeats what it installed is
# answered from memory (no file read or written) only while the files that
# install left are still there. Behind the agent's back, `cainit remove
# --all`, an admin replacing the bundle, or a restart followed by a remove:
# the same /init (or PUT) then installs again, and the CA is trusted again.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkleaf LA A
bundle=$r/etc/ssl/certs/ca-certificates.crt
cp "$bundle" "$SCRATCH/bundle.orig"
echo tok >"$SCRATCH/token"
port=$(free_port)
T=(-H "X-Access-Token: tok")
body=$(init_body "$SCRATCH/A.pem")
installs() { curl -s "${T[@]}" "$AGENT_URL/metrics" | sed -n 's/^cainit_installs_total //p'; }

start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
expect_call 204 POST /init "${T[@]}" -d "$body"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
expect_call 204 POST /init "${T[@]}" -d "$body"
[ "$(installs)" = 1 ] || die "a resume installed again: $(installs) installs"

# 1. cainit remove --all behind the agent: the same /init puts it back
expect_rc 0 "$CAINIT" remove --root "$r" --all
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
expect_call 204 POST /init "${T[@]}" -d "$body"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
[ "$(installs)" = 2 ] || die "after remove --all: $(installs) installs"

# 2. an admin (or a regenerator) writes the distro's bundle back: repaired
cp "$SCRATCH/bundle.orig" "$SCRATCH/b.new" && mv "$SCRATCH/b.new" "$bundle"
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
expect_call 204 POST /init "${T[@]}" -d "$body"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"

# 3. the same through PUT /ca/NAME, and an edit in place (same inode)
expect_call 204 PUT /ca/corp "${T[@]}" --data-binary @"$SCRATCH/A.pem"
rm "$r/etc/cainit/sets/corp.pem"
expect_call 204 PUT /ca/corp "${T[@]}" --data-binary @"$SCRATCH/A.pem"
[ -s "$r/etc/cainit/sets/corp.pem" ] || die "PUT after the record went: not installed again"
cat "$SCRATCH/bundle.orig" >"$bundle" # truncated and rewritten in place
expect_call 204 POST /init "${T[@]}" -d "$body"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
stop_agent

# 4. after a restart (memory primed from disk), a remove behind its back
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
expect_rc 0 "$CAINIT" remove --root "$r" --all
expect_call 204 POST /init "${T[@]}" -d "$body"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
stop_agent
note "remove --all, a bundle written back (renamed or in place), a record removed, a restart: the repeated request installed again each time"
