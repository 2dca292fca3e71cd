// fetch_get.mjs URL: the runtime's own fetch() (Bun, Deno), with its default
// trust and no option of its own; both take the proxy from $https_proxy.
// Prints the status code; exit 0 on 200, 1 on another status, 3 on an error
// (its message and code, so that a certificate failure is named).
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const exit = (c) => (globalThis.Deno ? Deno.exit(c) : process.exit(c));
try {
	const r = await fetch(args[args.length - 1], { signal: AbortSignal.timeout(20000) });
	await r.arrayBuffer();
	console.log(r.status);
	exit(r.status === 200 ? 0 : 1);
} catch (e) {
	const c = e.cause ?? e;
	console.error(`fetch: ${e.message} ${c.message ?? ''} ${c.code ?? ''}`);
	exit(3);
}
