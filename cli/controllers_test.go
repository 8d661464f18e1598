package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

const fluxConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: flux-settings
  namespace: NAMESPACE
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
    kustomize.toolkit.fluxcd.io/namespace: flux-system
data:
  mode: fast
`

// TestFluxManagedObject: an object Flux applied is named as Flux's in the
// report, and the UI warns before reconciling it that Flux will revert it.
func TestFluxManagedObject(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"flux.yaml": fluxConfigMap})
	kubectl(t, "apply", "--server-side", "-f", dir)
	kubectl(t, "patch", "configmap/flux-settings", "-n", ns, "--type=merge", "-p", `{"data":{"mode":"slow"}}`)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "drifted   ConfigMap "+ns+"/flux-settings",
		"managed by Flux Kustomization flux-system/apps: it reverts a change not made in its source at its next reconcile")

	kc, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := runUI(t, ctx, uiOptions(t, ctx, kc, "-f", dir))
	s.wait("drifted    ConfigMap " + ns + "/flux-settings")
	s.press("a")
	s.wait("Reconcile ConfigMap "+ns+"/flux-settings", "Managed by Flux Kustomization flux-system/apps: it reverts a change not made in its source", "y apply")
}
