package cli_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/ui"
)

// faultProxy starts a proxy to the test cluster that forwards as the admin,
// closed with the test.
func faultProxy(t *testing.T) *testcluster.FaultProxy {
	t.Helper()
	p, err := cluster.NewFaultProxy(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// appBehindProxy deploys the application in a namespace of its own and
// returns a kubeconfig that reaches the cluster through a fault proxy.
func appBehindProxy(t *testing.T) (ns, dir string, p *testcluster.FaultProxy, kubeconfig []byte) {
	t.Helper()
	ns = namespace(t)
	dir = manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	p = faultProxy(t)
	kubeconfig, err := p.Kubeconfig(ns)
	if err != nil {
		t.Fatal(err)
	}
	return ns, dir, p, kubeconfig
}

func isDryRun(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.Contains(r.URL.RawQuery, "dryRun=All")
}

// TestCheckSlowCluster: a server slower than --request-timeout ends the
// check with exit 2 and a message, instead of a hang.
func TestCheckSlowCluster(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	p := faultProxy(t)
	p.SetDelay(20 * time.Second)
	kc, err := p.Kubeconfig(ns)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := kubedriftWithKubeconfig(t, kc, "", "--check", "-f", dir, "--request-timeout=1s")
	took := time.Since(start)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, "cannot reach the cluster", "it did not answer in time (--request-timeout)")
	// Not a performance bound: a hang would last until the 20s delay.
	if took > 15*time.Second {
		t.Errorf("the check took %v with --request-timeout=1s", took)
	}
}

// TestCheckClusterGoneDuringCheck: the server goes away after two of four
// dry runs, one per object (none spared). The two verdicts reached stand,
// the other objects are Unreachable errors, and a message says the cluster
// became unreachable.
func TestCheckClusterGoneDuringCheck(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	p := faultProxy(t)
	var mu sync.Mutex
	dryRuns := 0
	p.DownWhen(func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if isDryRun(r) {
			dryRuns++
		}
		return dryRuns == 3
	})
	kc, err := p.Kubeconfig(ns)
	if err != nil {
		t.Fatal(err)
	}
	r := kubedriftWithKubeconfig(t, kc, "", "--check", "-f", dir, "--mode=server", "--spare-dry-runs=false", "--concurrency=1", "--request-timeout=5s")
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"4 objects: 2 in sync, 0 drifted, 0 missing, 2 errors",
		"Unreachable: ",
		"error: the cluster became unreachable during the check: 2 of 4 objects could not be judged; the other verdicts were reached before",
	)
}

// TestUIReconnectsAfterRestart opens the real program through a proxy that
// then takes the server away and brings it back, as a restart does: the UI
// says it lost the cluster, judges everything again once it is back, and
// its live updates work again.
func TestUIReconnectsAfterRestart(t *testing.T) {
	ns, dir, p, kc := appBehindProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := runUI(t, ctx, uiOptions(t, ctx, kc, "-f", dir))

	s.wait("4 in sync")
	lists := p.Count("GET /apis/apps/v1/namespaces/" + ns + "/deployments?limit=")
	p.Down()
	s.wait("live updates: lost the cluster (kubedrift reconnects by itself)")
	time.Sleep(2 * time.Second) // down a while, as a restart takes
	p.Up()
	s.waitFunc("the UI judging again after the reconnect", func(screen string) bool {
		return strings.Contains(screen, "4 in sync") && !strings.Contains(screen, "lost the cluster") &&
			p.Count("GET /apis/apps/v1/namespaces/"+ns+"/deployments?limit=") > lists
	})

	// Live updates resume: a change made now shows without a key press.
	kubectl(t, "scale", "deployment/web", "--replicas=6", "-n", ns)
	s.wait("drifted    Deployment.apps "+ns+"/web", "replicas 6→")
}

// TestReconcileInterrupted: the server goes away right after it applied a
// reconcile, so the reconcile hears no answer. It reports the failure, and
// once the server is back the object's state is told as it is: in sync,
// because the apply did take effect.
func TestReconcileInterrupted(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	kubectl(t, "patch", "configmap/settings", "-n", ns, "--type=merge", "-p", `{"data":{"log-level":"debug"}}`)
	p := faultProxy(t)
	kc, err := p.Kubeconfig(ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := uiOptions(t, ctx, kc, "--request-timeout=5s", "-f", dir)
	rep, errs := opts.Checker.Check(ctx, func(drift.Result, int, int) {})
	if len(errs) > 0 || rep == nil {
		t.Fatalf("check: %v", errs)
	}
	settings := drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "settings"}
	if r, _ := opts.Checker.Recheck(ctx, settings); r.Status != drift.Drifted {
		t.Fatalf("settings is %s, want drifted", r.Status)
	}

	p.DownAfter(func(r *http.Request) bool {
		return r.Method == http.MethodPatch && !strings.Contains(r.URL.RawQuery, "dryRun") && strings.Contains(r.URL.Path, "/configmaps/settings")
	})
	out := opts.Reconciler.Reconcile(ctx, settings, ui.ReconcileOptions{Force: true})
	if out.Err == nil {
		t.Fatalf("the reconcile reports success with no answer from the server: %+v", out)
	}
	if !p.IsDown() {
		t.Fatal("the proxy never saw the apply")
	}
	t.Logf("reconcile: %v", out.Err)
	p.Up()
	if r, _ := opts.Checker.Recheck(ctx, settings); r.Status != drift.InSync {
		t.Errorf("after the server came back, settings is %s (%s: %v), want in sync: the apply took effect", r.Status, r.Reason, r.Err)
	}
}
