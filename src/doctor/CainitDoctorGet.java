/*
 * CainitDoctorGet.java: cainit doctor's Java client (src/doctor/clients.c).
 * One GET of the URL it is given with HttpURLConnection, which validates
 * the server's chain against the JVM's default trust store (its cacerts,
 * or javax.net.ssl.trustStore), through the proxy that https.proxyHost
 * names, if any: exit 0 on any HTTP answer, else the exception's class and
 * message on stderr and exit 1. Compiled for Java 8
 * (any JRE runs it) by scripts/java_probe.sh into java_probe_class.h, so
 * that no javac is needed in the root.
 */
public class CainitDoctorGet {
	public static void main(String[] a) {
		try {
			java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(a[0]).openConnection();
			c.setConnectTimeout(10000);
			c.setReadTimeout(10000);
			c.getResponseCode(); /* any status: the handshake verified */
		} catch (Exception x) {
			System.err.println(x.getClass().getName() + ": " + x.getMessage());
			System.exit(1);
		}
	}
}
