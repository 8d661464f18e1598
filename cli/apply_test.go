package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// writesIn returns the requests other than reads and dry runs that user sent
// in namespace ns since the audit log had before events.
func writesIn(t *testing.T, before int, user, ns string) []string {
	t.Helper()
	events, err := cluster.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	var writes []string
	for _, e := range events[before:] {
		if e.User.Username == user && e.ObjectRef.Namespace == ns && !e.ReadOnly() && !e.DryRun() {
			writes = append(writes, e.Verb+" "+e.RequestURI)
		}
	}
	return writes
}

func auditLength(t *testing.T) int {
	t.Helper()
	events, err := cluster.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

func TestApply(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	kubectl(t, "delete", "configmap/settings", "-n", ns)
	logFile := filepath.Join(t.TempDir(), "writes.log")

	// --dry-run and --read-only say what would be done and send nothing.
	before := auditLength(t)
	r := kubedrift(t, testcluster.AdminUser, ns, "--apply", "--dry-run", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "would reconcile (--dry-run, nothing sent):", "  apply   Deployment.apps "+ns+"/web", "  create  ConfigMap "+ns+"/settings")
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--read-only", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "failed     Deployment.apps "+ns+"/web: kubedrift is read-only", "0 reconciled, 2 not")
	if writes := writesIn(t, before, testcluster.AdminUser, ns); len(writes) > 0 {
		t.Fatalf("--dry-run or --read-only wrote: %v", writes)
	}

	// The deployment was scaled with kubectl scale, a person's tool, and
	// its image set by an operator: an operator's field is not taken
	// without --force-conflicts, and the whole apply waits for it.
	kubectl(t, "patch", "deployment/web", "-n", ns, "--type=json", "--field-manager=web-operator",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28.0"}]`)
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"created    ConfigMap "+ns+"/settings (as kubedrift), now in sync",
		"conflict   Deployment.apps "+ns+"/web: ",
		`spec.template.spec.containers[name="web"].image is owned by "web-operator", not a tool people change objects with`,
		"spec.replicas is owned by kubectl (scale",
		"--force-conflicts takes it",
		"1 reconciled, 1 not",
	)
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--force-conflicts", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "applied    Deployment.apps "+ns+"/web (as kubedrift), now in sync", "1 reconciled, 0 not")

	// What a person changes alone is taken back unasked, and said.
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "applied    Deployment.apps "+ns+"/web (as kubedrift), now in sync; took back spec.replicas from kubectl (scale", "1 reconciled, 0 not")

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	// kubedrift now owns most of the manifest; the defaults kubectl's
	// client-side apply recorded at creation are still nobody's choice.
	if strings.Contains(r.stdout, "foreign") {
		t.Errorf("a reconciled object shows foreign fields:\n%v", r)
	}

	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"object":"ConfigMap ` + ns + `/settings","action":"create","fieldManager":"kubedrift","result":"ok"`,
		`"object":"Deployment.apps ` + ns + `/web","action":"apply","fieldManager":"kubedrift","result":"Apply failed with 2 conflicts`,
		`"object":"Deployment.apps ` + ns + `/web","action":"apply","fieldManager":"kubedrift","result":"ok"`,
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the log has no %s\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "correct-horse-battery-staple") || strings.Contains(string(r.stdout), "correct-horse-battery-staple") {
		t.Error("a Secret value was printed or logged")
	}
}

func TestApplyReadOnlyUser(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "delete", "configmap/settings", "-n", ns)

	r := kubedrift(t, testcluster.ReadOnlyUser, ns, "--apply", "--log-file", filepath.Join(t.TempDir(), "log"), "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"failed     ConfigMap "+ns+"/settings: create needs permission the user lacks",
		`User "`+testcluster.ReadOnlyUser+`" cannot patch resource "configmaps"`,
	)
	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertContains(t, r, "missing   ConfigMap "+ns+"/settings")
}

func TestApplyPrune(t *testing.T) {
	// Only --prune deletes an unmanaged object, and only the one that
	// carries the selector's labels.
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept, labels: {app: shop}}\n"})
	kubectl(t, "apply", "-n", ns, "-f", dir)
	kubectl(t, "create", "configmap", "leftover", "-n", ns)
	kubectl(t, "label", "configmap", "leftover", "app=shop", "-n", ns)
	kubectl(t, "create", "configmap", "unrelated", "-n", ns)
	logFile := filepath.Join(t.TempDir(), "log")

	r := kubedrift(t, testcluster.AdminUser, ns, "--apply", "-l", "app=shop", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "unmanaged  ConfigMap "+ns+"/leftover", "nothing to reconcile")

	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--prune", "-l", "app=shop", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "deleted    ConfigMap "+ns+"/leftover", "1 reconciled, 0 not")

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", "app=shop", "--prune", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	kubectl(t, "get", "configmap", "unrelated", "-n", ns)
}
