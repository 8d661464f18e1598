package cli_test

import (
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// TestCheckUserWhoMayNotReadSecrets: with Kubernetes' "view" role, which
// leaves Secrets out, the Secret is a Forbidden error and every other
// object is judged, offline since the viewer may not send dry runs.
func TestCheckUserWhoMayNotReadSecrets(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)

	r := kubedrift(t, testcluster.ViewerUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"error     Secret "+ns+"/db",
		`Forbidden: read live object: secrets "db" is forbidden: User "kubedrift-viewer" cannot get resource "secrets"`,
		"drifted   Deployment.apps "+ns+"/web",
		"in sync   Service "+ns+"/web",
		"(judged offline: the dry run is forbidden)",
		"4 objects: 2 in sync, 1 drifted, 0 missing, 1 error",
	)
	if strings.Contains(r.stdout+r.stderr, "correct-horse-battery-staple") {
		t.Errorf("a Secret value in the output:\n%v", r)
	}
}

// TestCheckUserOfOneNamespace: a user who is admin in one namespace and
// nothing elsewhere judges that namespace fully, by dry run, and gets the
// objects of another namespace as Forbidden errors, not a failed run.
func TestCheckUserOfOneNamespace(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	kubectl(t, "create", "rolebinding", "unbound-admin", "--clusterrole=admin", "--user="+testcluster.UnboundUser, "-n", ns)

	other := ns + "-other"
	kubectl(t, "create", "namespace", other)
	t.Cleanup(func() { kubectl(t, "delete", "namespace", other, "--wait=false") })
	otherDir := manifests(t, other, map[string]string{"other.yaml": goodConfigMap})

	r := kubedrift(t, testcluster.UnboundUser, ns, "--check", "-f", dir, "-f", otherDir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"drifted   Deployment.apps "+ns+"/web",
		"in sync   Secret "+ns+"/db",
		"error     ConfigMap "+other+"/good",
		"Forbidden",
		"5 objects: 3 in sync, 1 drifted, 0 missing, 1 error",
	)
	if strings.Contains(r.stdout, "judged offline") {
		t.Errorf("the namespace's admin may send dry runs, yet something was judged offline:\n%v", r)
	}

	// Within the namespace alone, the check is whole.
	r = kubedrift(t, testcluster.UnboundUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
}
