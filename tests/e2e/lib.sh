# tests/e2e/lib.sh: what the end-to-end scripts (run.sh: bake on real images;
# matrix.sh: the client matrix) share: the Debian base image, built once per
# build directory, and podman with a private store and the project's own
# containers.conf (runc, no default ulimits). Sourced after $build and
# $work are set, inside a private mount namespace.

# The base root filesystem: debootstrap --variant=minbase bookworm with the
# clients the container sandbox runs (Node: it reads only its own roots
# and NODE_EXTRA_CA_CERTS, which `podman exec` takes from the image's Env;
# systemd: the matrix boots the image with it). The cache file is named after the
# package list, so changing it builds a new one.
E2E_PACKAGES=ca-certificates,curl,wget,openssl,python3-requests,nodejs,systemd,systemd-sysv
e2e_base_tar() {
	local cache=$build/e2e-cache tar mirror start
	tar=$cache/bookworm-minbase-$(md5sum <<<"$E2E_PACKAGES" | cut -c1-8).tar
	mkdir -p "$cache"
	if [ ! -s "$tar" ]; then
		mirror=${E2E_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
		mirror=${mirror:-http://deb.debian.org/debian}
		echo "e2e: debootstrap --variant=minbase bookworm from $mirror (once; cached in $cache)" >&2
		rm -rf "$cache/rootfs.tmp"
		start=$(date +%s)
		debootstrap --variant=minbase --include="$E2E_PACKAGES" bookworm "$cache/rootfs.tmp" "$mirror" \
			>"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" >&2; return 1; }
		tar -C "$cache/rootfs.tmp" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
		rm -rf "$cache/rootfs.tmp"
		echo "e2e: debootstrap took $(( $(date +%s) - start )) s" >&2
	fi
	echo "$tar"
}

e2e_podman_setup() {
	cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
	export CONTAINERS_CONF=$work/containers.conf
}
pod() { podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay "$@"; }
e2e_podman_cleanup() {
	pod rm -a -f >/dev/null 2>&1 || true
	umount -R "$work/storage" 2>/dev/null || true
}

# e2e_import ROOTDIR NAME ENTRYPOINT-JSON CMD-JSON: a one-layer image in the
# private store, then pushed into an OCI layout as $work/layout:NAME
e2e_import() {
	tar -C "$1" -c . | pod import -q --change "ENTRYPOINT $3" --change "CMD $4" - "localhost/cainit-e2e-$2" >/dev/null
	pod push -q "localhost/cainit-e2e-$2" "oci:$work/layout:$2"
}
e2e_image_of() { pod pull -q "oci:$work/layout:$1"; }
