// HttpGet.java: a plain Java HTTPS client for the tests. It uses the JVM's
// default trust (its cacerts, or javax.net.ssl.trustStore when the test sets
// it) and no option of its own. The default proxy selector is used, so the
// standard https.proxyHost/https.proxyPort properties route it through a
// proxy (without them it connects directly). Prints the status code; exit 0 on 200,
// 3 when the TLS handshake is refused, 1 otherwise.
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

public class HttpGet {
	public static void main(String[] args) throws Exception {
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
				.proxy(ProxySelector.getDefault())
				.connectTimeout(Duration.ofSeconds(5)).build();
		HttpRequest req = HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(10)).build();
		try {
			HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
			System.out.println(r.statusCode());
			System.exit(r.statusCode() == 200 ? 0 : 1);
		} catch (javax.net.ssl.SSLException e) {
			System.err.println("tls: " + e.getMessage());
			System.exit(3);
		}
	}
}
