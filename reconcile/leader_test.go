package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubedrift/kubedrift/reconcile"
)

// cuttable is a transport that fails every request once cut, as the
// network of a replica that was killed or cut off.
type cuttable struct {
	next http.RoundTripper
	cut  atomic.Bool
}

func (c *cuttable) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.cut.Load() {
		return nil, errors.New("cut off")
	}
	return c.next.RoundTrip(r)
}

// Two replicas campaign for one Lease of the real API server: the first
// leads; when it can no longer reach the server, its lead ends (it stops
// writing) once it cannot renew, Lead says the Lease was lost, and the
// other takes the Lease once it has expired; that one, stopped, gives the
// Lease up.
func TestLeaderTakeover(t *testing.T) {
	ns := realNamespace(t, "leader-takeover")
	links := map[string]*cuttable{}
	leader := func(id string) *reconcile.Leader {
		cfg := rest.CopyConfig(tc.Admin)
		links[id] = &cuttable{}
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { links[id].next = rt; return links[id] }
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &reconcile.Leader{Leases: cs.CoordinationV1(), Namespace: ns, Name: "kubedrift", Identity: id,
			LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 250 * time.Millisecond}
	}
	holder := func() string {
		lease, err := newClientset(t).CoordinationV1().Leases(ns).Get(t.Context(), "kubedrift", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if lease.Spec.HolderIdentity == nil {
			return ""
		}
		return *lease.Spec.HolderIdentity
	}
	type run struct {
		leading, stopped chan struct{}
		err              chan error
		cancel           context.CancelFunc
	}
	start := func(l *reconcile.Leader) *run {
		ctx, cancel := context.WithCancel(t.Context())
		r := &run{leading: make(chan struct{}), stopped: make(chan struct{}), err: make(chan error, 1), cancel: cancel}
		go func() {
			r.err <- l.Lead(ctx, func(ctx context.Context) {
				close(r.leading)
				<-ctx.Done()
				close(r.stopped)
			})
		}()
		t.Cleanup(cancel)
		return r
	}
	within := func(what string, ch <-chan struct{}, d time.Duration) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(d):
			t.Fatalf("%s: not within %s", what, d)
		}
	}

	a := start(leader("a"))
	within("a leads", a.leading, 10*time.Second)
	b := start(leader("b"))
	if got := holder(); got != "a" {
		t.Fatalf("the Lease is held by %q, want a", got)
	}
	select {
	case <-b.leading:
		t.Fatal("b leads beside a")
	case <-time.After(time.Second):
	}

	links["a"].cut.Store(true)
	within("a stops leading once it cannot renew", a.stopped, 5*time.Second)
	if err := <-a.err; !errors.Is(err, reconcile.ErrLostLease) {
		t.Errorf("a's Lead: %v, want ErrLostLease", err)
	}
	within("b takes over", b.leading, 10*time.Second)
	if got := holder(); got != "b" {
		t.Errorf("the Lease is held by %q, want b", got)
	}

	b.cancel()
	within("b stops", b.stopped, 5*time.Second)
	if err := <-b.err; err != nil {
		t.Errorf("b's Lead after its context ended: %v", err)
	}
	if got := holder(); got != "" {
		t.Errorf("the Lease is held by %q after b gave it up, want nobody", got)
	}
}

func newClientset(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
