package drift

import (
	"testing"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// testCluster is a real control plane for the tests that need real
// managedFields, defaults and controllers; `make test` builds it first.
var testCluster *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { testCluster = c })
}
