package drift

import (
	"context"
	"testing"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// testCluster is a real control plane for the tests that need real
// managedFields, defaults and controllers; `make test` builds it first.
var testCluster *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { testCluster = c })
}

// realNamespace creates namespace ns in the test cluster, deleted after the
// test, and returns a kubectl that runs as the admin until ctx ends and fails
// the test on error.
func realNamespace(t *testing.T, ctx context.Context, ns string) func(args ...string) {
	t.Helper()
	kubectl := func(args ...string) {
		t.Helper()
		if _, err := testCluster.Kubectl(ctx, testcluster.AdminUser, args...); err != nil {
			t.Fatal(err)
		}
	}
	kubectl("create", "namespace", ns)
	t.Cleanup(func() {
		_, _ = testCluster.Kubectl(context.Background(), testcluster.AdminUser, "delete", "namespace", ns, "--wait=false")
	})
	return kubectl
}
