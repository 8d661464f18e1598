package testcluster

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// FaultProxy stands between a client and the cluster's API server, so that
// a test can make the server slow, take it away and bring it back, as a
// client sees a server that is overloaded, stopped or restarted. It
// forwards every request as user; a client reaches it with
// FaultProxy.Kubeconfig.
type FaultProxy struct {
	server *httptest.Server

	mu       sync.Mutex
	delay    time.Duration
	down     bool
	downWhen func(*http.Request) bool
	// downAfter is downWhen once the server has answered: the request
	// took effect, and its answer is lost.
	downAfter func(*http.Request) bool
	conns     map[net.Conn]bool
	requests  []string // "VERB path?query" of each request forwarded
}

// NewFaultProxy starts a proxy to the cluster that forwards as user. Close
// stops it.
func (c *Cluster) NewFaultProxy(user string) (*FaultProxy, error) {
	u, ok := c.users[user]
	if !ok {
		return nil, fmt.Errorf("no user %q in the test cluster", user)
	}
	cfg := u.Config()
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("fault proxy transport: %w", err)
	}
	p := &FaultProxy{conns: map[net.Conn]bool{}}
	upstream := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		if p.downWhen != nil && p.downWhen(r) {
			p.down, p.downWhen = true, nil
			p.closeConnsLocked()
		}
		down, delay := p.down, p.delay
		if !down {
			p.requests = append(p.requests, r.Method+" "+r.URL.RequestURI())
		}
		p.mu.Unlock()
		if down {
			// The server is gone: the connection breaks under the request.
			panic(http.ErrAbortHandler)
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		p.mu.Lock()
		after := p.downAfter != nil && p.downAfter(r)
		if after {
			p.downAfter = nil
		}
		p.mu.Unlock()
		if after {
			upstream.ServeHTTP(httptest.NewRecorder(), r)
			p.Down()
			panic(http.ErrAbortHandler)
		}
		upstream.ServeHTTP(w, r)
	}))
	p.server.Config.ConnState = func(conn net.Conn, state http.ConnState) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch state {
		case http.StateNew:
			if p.down {
				conn.Close() // refused, as far as a client can tell
				return
			}
			p.conns[conn] = true
		case http.StateClosed, http.StateHijacked:
			delete(p.conns, conn)
		}
	}
	// Broken connections are the point; the server need not log them.
	p.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.server.EnableHTTP2 = true
	p.server.StartTLS()
	return p, nil
}

// Kubeconfig is a kubeconfig for the proxy, with namespace as the default
// when not empty. The proxy's certificate is a test one, so the kubeconfig
// trusts it by its CA.
func (p *FaultProxy) Kubeconfig(namespace string) ([]byte, error) {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Certificate().Raw})
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.server.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy", Namespace: namespace}
	cfg.CurrentContext = "proxy"
	return clientcmd.Write(*cfg)
}

// SetDelay makes each request wait d before it is forwarded.
func (p *FaultProxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Down takes the server away: open connections break and new ones are
// closed as soon as they are made.
func (p *FaultProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.closeConnsLocked()
}

// DownWhen takes the server away at the first request for which match is
// true, before that request is answered.
func (p *FaultProxy) DownWhen(match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.downWhen = match
}

// DownAfter takes the server away when it has answered the first request
// for which match is true: the request takes effect, and the client never
// hears so.
func (p *FaultProxy) DownAfter(match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.downAfter = match
}

// Up brings the server back.
func (p *FaultProxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// IsDown reports whether the server is away.
func (p *FaultProxy) IsDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// Requests returns the requests forwarded so far, as "VERB path?query".
func (p *FaultProxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Count returns how many forwarded requests contain every one of parts.
func (p *FaultProxy) Count(parts ...string) int {
	n := 0
	for _, r := range p.Requests() {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(r, part)
		}
		if all {
			n++
		}
	}
	return n
}

// Close stops the proxy.
func (p *FaultProxy) Close() {
	p.Down()
	p.server.Close()
}

func (p *FaultProxy) closeConnsLocked() {
	for conn := range p.conns {
		conn.Close()
	}
	clear(p.conns)
}
