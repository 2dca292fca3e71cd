/*
 * layout.c: the table behind layout.h. Detection (which layouts a root
 * has) is done by the engine from these paths; nothing here reads files.
 */
#include "layout.h"

const struct layout layouts[] = {
	{
		.name = "debian",
		.distros = "Debian, Ubuntu, Alpine",
		.bundle = "/etc/ssl/certs/ca-certificates.crt",
		.aliases = {"/usr/lib/ssl/cert.pem", "/etc/ssl/cert.pem", NULL},
		.anchor_dir = "/usr/local/share/ca-certificates",
		.hashed_dir = "/etc/ssl/certs",
		.regenerator = "update-ca-certificates",
	},
	{
		.name = "fedora",
		.distros = "Fedora, RHEL, CentOS 7+",
		.bundle = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		.aliases = {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/tls/cert.pem", "/etc/ssl/cert.pem", NULL},
		.anchor_dir = "/etc/pki/ca-trust/source/anchors",
		.hashed_dir = "/etc/pki/ca-trust/extracted/pem/directory-hash",
		.regenerator = "update-ca-trust",
	},
	{
		.name = "suse",
		.distros = "openSUSE, SLE",
		.bundle = "/var/lib/ca-certificates/ca-bundle.pem",
		.aliases = {"/etc/ssl/ca-bundle.pem", NULL},
		.anchor_dir = "/etc/pki/trust/anchors",
		.hashed_dir = "/var/lib/ca-certificates/pem",
		.regenerator = "update-ca-certificates",
	},
	{
		.name = "arch",
		.distros = "Arch Linux",
		.bundle = "/etc/ca-certificates/extracted/tls-ca-bundle.pem",
		.aliases = {"/etc/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt", NULL},
		.anchor_dir = "/etc/ca-certificates/trust-source/anchors",
		.hashed_dir = "/etc/ssl/certs",
		.regenerator = "update-ca-trust",
	},
};

const size_t n_layouts = sizeof(layouts) / sizeof(layouts[0]);

const char *const java_keystores[] = {
	"/etc/ssl/certs/java/cacerts",              /* Debian, Ubuntu */
	"/etc/pki/ca-trust/extracted/java/cacerts", /* Fedora, RHEL */
	"/etc/pki/java/cacerts",                    /* RHEL (links to the above) */
	"/var/lib/ca-certificates/java-cacerts",    /* SUSE */
	NULL,
};

/* Where JDKs live, and how many levels below to look: Debian's and
 * Fedora's /usr/lib/jvm/NAME, the official images' /opt/java/openjdk and
 * /usr/local/openjdk-N, vendors' /opt/NAME and /opt/VENDOR/NAME. */
const struct java_parent java_home_parents[] = {
	{"/usr/lib/jvm", 1}, {"/usr/local", 1}, {"/opt", 2}, {NULL, 0},
};

const char *const java_home_keystores[] = {"lib/security/cacerts", "jre/lib/security/cacerts", NULL};

const char *const extra_bundles[] = {
	"/etc/pki/tls/cacert.pem",
	"/etc/ssl/certs/ca-bundle.crt",
	NULL,
};
