#!/bin/bash
# scripts/java_probe.sh [--check]: doctor's Java client, src/doctor/CainitDoctorGet.java,
# compiled for Java 8 (so that any JRE of a root runs it, and no root needs
# a javac) into src/doctor/java_probe_class.h, the class file's bytes as a
# C array that doctor writes out where the JVM can load it. Run it after
# changing the .java file (it needs a JDK's javac, 9 or later, for
# --release 8); the header is committed, so that building cainit needs no
# JDK. --check (make lint): the header was made from the .java as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/doctor/CainitDoctorGet.java
hdr=src/doctor/java_probe_class.h
sum=$(sha256sum "$src" | cut -d' ' -f1)
if [ "${1:-}" = --check ]; then
	grep -q "source sha256 $sum" "$hdr" ||
		{ echo "$hdr was not made from $src as it is: run scripts/java_probe.sh" >&2; exit 1; }
	echo "java probe: $hdr matches $src"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
javac --release 8 -g:none -d "$tmp" "$src"
{
	printf '/*\n * java_probe_class.h: made by scripts/java_probe.sh, not by hand: the class\n'
	printf ' * file of %s (source sha256 %s),\n' "$src" "$sum"
	printf ' * compiled by %s --release 8 -g:none.\n */\n' "$(javac -version 2>&1)"
	printf 'static const unsigned char java_probe_class[] = {\n'
	od -An -v -tx1 "$tmp/CainitDoctorGet.class" | sed 's/ *$//; s/ \([0-9a-f][0-9a-f]\)/0x\1, /g; s/, $/,/; s/^/\t/'
	printf '};\n'
} >"$hdr"
echo "java probe: $hdr ($(stat -c %s "$tmp/CainitDoctorGet.class") bytes of class file)"
