/*
 * firefox.h: doctor's Firefox client. Headless Firefox has no exit status
 * or page dump that tells a certificate error from a page, so doctor
 * drives it over Marionette (Firefox's own remote protocol, on loopback):
 * WebDriver's Navigate answers "insecure certificate" exactly when
 * Firefox's certificate check refused the page.
 */
#ifndef CAINIT_FIREFOX_H
#define CAINIT_FIREFOX_H

/* One run: a fresh profile at profile (which must not exist yet) that
 * holds the NSS databases (cert9.db, key4.db) of the default profile of
 * home, when home has one, so Firefox trusts what that profile trusts;
 * Firefox's proxy: proxy_type -1 leaves Firefox's default (the system's,
 * which on Linux is the proxy variables), 0 none, 1 proxy_host:proxy_port
 * for https. */
struct dr_firefox {
	const char *profile;
	const char *home; /* the path's HOME; NULL: a new profile */
	int proxy_type;
	const char *proxy_host, *proxy_port;
	const char *url;
};

/* The body of one run, in a child whose stderr doctor reads: make the
 * profile, start argv (Firefox, with --marionette --profile PROFILE) with
 * envp, wait for its Marionette port, open a session and navigate to
 * f->url. Returns the child's exit status: 0 when the page loaded (any
 * HTTP answer), 1 when Firefox refused it (stderr says why, in one line),
 * 2 when Firefox could not be driven. Firefox is left running: the caller
 * kills the process group. */
int dr_firefox_drive(const char *const argv[], char *const envp[], void *f);

#endif
