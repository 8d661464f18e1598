package reconcile_test

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// tc is the test cluster: a real etcd and kube-apiserver (DESIGN.md,
// "Real parts").
var tc *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { tc = c })
}

var configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}

func newClient(t *testing.T) *cluster.Client {
	t.Helper()
	c, err := cluster.New(tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kubectl runs kubectl as the cluster's admin, with stdin, if any, as a
// file given with -f.
func kubectl(t *testing.T, stdin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if stdin != "" {
		f, err := os.CreateTemp(t.TempDir(), "*.yaml")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(stdin)
		f.Close()
		args = append(args, "-f", f.Name())
	}
	if _, err := tc.Kubectl(ctx, testcluster.AdminUser, args...); err != nil {
		t.Fatal(err)
	}
}

func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}
