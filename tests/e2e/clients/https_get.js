// https_get.js URL: Node's https module with its default trust (its own
// Mozilla list plus NODE_EXTRA_CA_CERTS) and no option of its own. Node 20
// ignores $https_proxy, so when it is set the request goes through it the
// way a proxy-aware client would: an HTTP CONNECT, then TLS over the tunnel.
// Prints the status code; exit 0 on 200, 3 on an error.
'use strict';
const http = require('http');
const https = require('https');
const tls = require('tls');

const url = new URL(process.argv[2]);
const proxy = process.env.https_proxy || process.env.HTTPS_PROXY;
const fail = (e) => { console.error('node: ' + e.message); process.exit(3); };
setTimeout(() => fail(new Error('timed out')), 20000).unref();

function get(opts) {
	https.get(url, opts, (res) => {
		res.resume();
		console.log(res.statusCode);
		process.exitCode = res.statusCode === 200 ? 0 : 1;
	}).on('error', fail);
}

if (!proxy) {
	get({});
} else {
	const p = new URL(proxy);
	const target = `${url.hostname}:${url.port || 443}`;
	http.request({ host: p.hostname, port: p.port, method: 'CONNECT', path: target, headers: { host: target } })
		.on('connect', (res, socket) => {
			if (res.statusCode !== 200)
				fail(new Error(`proxy answered CONNECT with ${res.statusCode}`));
			get({ createConnection: () => tls.connect({ socket, servername: url.hostname }) });
		})
		.on('error', fail)
		.end();
}
