package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// helmCLI runs the real Helm command line h (bin/helm or bin/helm3) as the
// test cluster's admin, as a person would, and returns what it printed.
func helmCLI(t *testing.T, h testcluster.Helm, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := cluster.Helm(ctx, h, testcluster.AdminUser, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestHelmCLIRelease installs the shop chart with the real Helm 4 and Helm
// 3 command lines, which write their release records and apply their
// objects each in its own way (Helm 4 server-side as manager "helm", Helm 3
// by create and three-way merge patch), and reads each release back: the
// untouched install is in sync, a `kubectl scale` afterwards is drift.
func TestHelmCLIRelease(t *testing.T) {
	for _, h := range []testcluster.Helm{testcluster.Helm4, testcluster.Helm3} {
		t.Run(string(h), func(t *testing.T) {
			ns := namespace(t)
			// No hooks: the test cluster has no kubelet, and Helm would
			// wait for the pre-install Job forever. The CRDs are the
			// cluster's, shared by every test.
			helmCLI(t, h, "install", "shop", shopChart, "-n", ns, "-f", shopProdValues, "--no-hooks", "--skip-crds")
			waitForDeployments(t, ns)

			args := []string{"--check", "--release", "shop", "-n", ns}
			r := kubedrift(t, testcluster.AdminUser, "default", args...)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r,
				"in sync   Deployment.apps "+ns+"/shop-web ",
				"release "+ns+"/shop (revision 1): shop/templates/deployment.yaml",
				"7 objects: 7 in sync, 0 drifted, 0 missing, 0 errors",
			)

			kubectl(t, "scale", "deployment/shop-web", "--replicas=7", "-n", ns)
			r = kubedrift(t, testcluster.AdminUser, "default", args...)
			assertCode(t, r, cli.ExitDrift)
			assertContains(t, r,
				"drifted   Deployment.apps "+ns+"/shop-web ",
				"\n    -  replicas: 7\n    +  replicas: 4\n",
				"7 objects: 6 in sync, 1 drifted, 0 missing, 0 errors",
			)
			if strings.Contains(r.stdout, "Job") {
				t.Errorf("the hook left out by --no-hooks is part of the release's desired state\n%v", r)
			}
		})
	}
}
