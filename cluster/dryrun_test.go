package cluster_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// TestReconcileDryRunFirst: with DryRunFirst, an apply the server refuses
// is refused at its dry run and never sent for real, and one it accepts is
// sent as a dry run, then for real.
func TestReconcileDryRunFirst(t *testing.T) {
	ns := realNamespace(t, "reconcile-dry-run-first")
	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply", "--server-side")
	kubectl(t, "", "set", "image", "deployment/web", "-n", ns, "web=nginx:1.28.0")
	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, webDeployment)
	before, err := tc.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}

	out := r.Reconcile(t.Context(), desired[0], cluster.ReconcileOptions{DryRunFirst: true})
	if len(out.Conflicts) != 1 || out.Err == nil || !strings.HasPrefix(out.Err.Error(), "dry run: ") {
		t.Fatalf("%+v; want the conflict over the image, found by the dry run", out)
	}
	out = r.Reconcile(t.Context(), desired[0], cluster.ReconcileOptions{DryRunFirst: true, Force: true})
	if out.Err != nil || out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("%+v (verdict %+v); want applied, in sync", out, out.Verdict)
	}

	// The applies as the audit log has them, in order: the refused dry
	// run, then for the forced reconcile a dry run before each apply (an
	// apply refused because the Deployment controller wrote the object
	// meanwhile is read and tried again), and the dry run that judged the
	// object afterwards.
	events, err := tc.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	var applies []testcluster.AuditEvent
	for _, e := range events[len(before):] {
		if e.User.Username == testcluster.AdminUser && e.ObjectRef.Namespace == ns && e.Verb == "patch" {
			applies = append(applies, e)
		}
	}
	forced := func(e testcluster.AuditEvent) bool { return strings.Contains(e.RequestURI, "force=true") }
	if len(applies) == 0 || !applies[0].DryRun() || forced(applies[0]) || applies[0].ResponseStatus.Code != 409 {
		t.Fatalf("the first apply sent: %+v; want the dry run refused for the conflict", applies)
	}
	written := 0
	for i, e := range applies {
		if e.DryRun() {
			continue
		}
		if prev := applies[i-1]; !forced(e) || !prev.DryRun() || !forced(prev) {
			t.Errorf("apply %s came after %s %s; want a forced dry run before each forced apply", e.RequestURI, prev.Verb, prev.RequestURI)
		}
		if e.ResponseStatus.Code == 200 {
			written++
		}
	}
	if written != 1 {
		t.Errorf("%d applies written, want 1", written)
	}
}

// The interfaces of the drift engine that Client satisfies.
var (
	_ drift.LiveReader = (*cluster.Client)(nil)
	_ drift.PageLister = (*cluster.Client)(nil)
	_ drift.Versioned  = (*cluster.Client)(nil)
	_ drift.DryRunner  = (*cluster.Client)(nil)
)
