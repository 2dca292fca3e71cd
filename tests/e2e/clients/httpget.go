// httpget.go URL: a plain Go net/http client for the end-to-end matrix (Go's
// standard library only). Go's default trust (SSL_CERT_FILE, SSL_CERT_DIR,
// then the distro bundle) and its default proxy (HTTPS_PROXY) are used; no
// option of its own. Prints the status code; exit 0 on 200, 3 on an error.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "go:", err)
		os.Exit(3)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.StatusCode)
	if resp.StatusCode != 200 {
		os.Exit(1)
	}
}
