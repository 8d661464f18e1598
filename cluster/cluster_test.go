package cluster_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// These tests run against a real kube-apiserver; `make test` builds it first.

var tc *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { tc = c })
}

var (
	configMapGVK = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	widgetGVK    = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
)

func newClient(t *testing.T) *cluster.Client {
	t.Helper()
	c, err := cluster.New(tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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

func TestNamespaced(t *testing.T) {
	c := newClient(t)
	for _, tt := range []struct {
		gvk  schema.GroupVersionKind
		want bool
	}{
		{configMapGVK, true},
		{schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, true},
		{schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, false},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, false},
	} {
		got, err := c.Namespaced(tt.gvk)
		if err != nil || got != tt.want {
			t.Errorf("Namespaced(%v) = %v, %v; want %v", tt.gvk, got, err, tt.want)
		}
	}
}

func TestNamespacedSeesNewCRD(t *testing.T) {
	c := newClient(t)
	// Fill the discovery cache before the kind exists.
	if _, err := c.Namespaced(widgetGVK); !meta.IsNoMatchError(err) {
		t.Fatalf("Namespaced(Widget) before its CRD: err = %v, want a no-match error", err)
	}
	kubectl(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`, "apply")
	kubectl(t, "", "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s")
	t.Cleanup(func() {
		_, _ = tc.Kubectl(context.Background(), testcluster.AdminUser, "delete", "crd/widgets.example.com", "--wait=false")
	})

	// Discovery of a new group can lag Established by a moment.
	var (
		namespaced bool
		err        error
	)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if namespaced, err = c.Namespaced(widgetGVK); err == nil {
			break
		}
	}
	if err != nil || !namespaced {
		t.Fatalf("Namespaced(Widget) after its CRD = %v, %v; want true", namespaced, err)
	}
}

func TestGet(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	kubectl(t, "", "create", "configmap", "get-me", "-n", "default", "--from-literal=k=v")

	obj, err := c.Get(ctx, configMapGVK, "default", "get-me")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(obj.Object, "data", "k"); v != "v" {
		t.Errorf("data.k = %q, want v", v)
	}

	_, err = c.Get(ctx, configMapGVK, "default", "not-there")
	if !apierrors.IsNotFound(err) {
		t.Errorf("Get of a missing object: err = %v, want NotFound", err)
	}
	_, err = c.Get(ctx, schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gadget"}, "default", "g")
	if !meta.IsNoMatchError(err) {
		t.Errorf("Get of an unknown kind: err = %v, want a no-match error", err)
	}
}

func TestDryRunApplyWritesNothing(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	kubectl(t, "", "create", "configmap", "dry", "-n", "default", "--from-literal=k=live")
	before, err := c.Get(ctx, configMapGVK, "default", "dry")
	if err != nil {
		t.Fatal(err)
	}

	want, err := c.DryRunApply(ctx, object(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: dry, namespace: default}
data: {k: desired}
`), drift.FieldManager)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(want.Object, "data", "k"); v != "desired" {
		t.Errorf("dry run answered data.k = %q, want desired", v)
	}
	managers := map[string]bool{}
	for _, f := range want.GetManagedFields() {
		managers[f.Manager] = true
	}
	if !managers[drift.FieldManager] {
		t.Errorf("dry run answer has managers %v, want %s among them", managers, drift.FieldManager)
	}

	after, err := c.Get(ctx, configMapGVK, "default", "dry")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(after.Object, "data", "k"); v != "live" || after.GetResourceVersion() != before.GetResourceVersion() {
		t.Errorf("after a dry run the object has data.k = %q at resourceVersion %s, want it unchanged (live at %s)",
			v, after.GetResourceVersion(), before.GetResourceVersion())
	}

	// A dry run of an object that does not exist creates nothing either.
	created, err := c.DryRunApply(ctx, object(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: dry-new, namespace: default}
`), drift.FieldManager)
	if err != nil || created.GetName() != "dry-new" {
		t.Fatalf("dry run of a new object = %v, %v", created, err)
	}
	if _, err := c.Get(ctx, configMapGVK, "default", "dry-new"); !apierrors.IsNotFound(err) {
		t.Errorf("dry-new exists after a dry run (err = %v)", err)
	}
}

func TestServerVersion(t *testing.T) {
	v, err := newClient(t).ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	// The test cluster is built by tools/ and stamped with the version that
	// tools/go.mod pins.
	gomod, err := os.ReadFile("../tools/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s.io/kubernetes (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("tools/go.mod does not require k8s.io/kubernetes")
	}
	if want := string(m[1]); v.GitVersion != want {
		t.Errorf("server version %s, want %s", v.GitVersion, want)
	}
}

func TestList(t *testing.T) {
	c := newClient(t)
	kubectl(t, "", "create", "namespace", "listed")
	for _, name := range []string{"one", "two", "three"} {
		kubectl(t, "", "create", "configmap", name, "-n", "listed")
	}
	items, err := c.List(context.Background(), configMapGVK, "listed")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, item := range items {
		names = append(names, item.GetName())
	}
	slices.Sort(names)
	// kube-root-ca.crt is published into every namespace by the controller
	// manager; it may or may not be there yet.
	names = slices.DeleteFunc(names, func(n string) bool { return n == "kube-root-ca.crt" })
	if want := []string{"one", "three", "two"}; !slices.Equal(names, want) {
		t.Errorf("List = %v, want %v", names, want)
	}

	reader, err := cluster.New(tc.ReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.List(context.Background(), configMapGVK, "listed"); err != nil {
		t.Errorf("the read-only user cannot list: %v", err)
	}
}

func realNamespace(t *testing.T, name string) string {
	t.Helper()
	kubectl(t, "", "create", "namespace", name)
	t.Cleanup(func() {
		_, _ = tc.Kubectl(context.Background(), testcluster.AdminUser, "delete", "namespace", name, "--wait=false")
	})
	return name
}

func get(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	live, err := newClient(t).Get(t.Context(), gvk, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

var deploymentGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NAMESPACE}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27.3"}]
`

// An apply that carries the resourceVersion it was planned from is refused
// once the object has changed, which is what keeps a reconcile from
// overwriting a change it did not see.
func TestApplyRefusesAStaleVersion(t *testing.T) {
	ns := realNamespace(t, "apply-stale")
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: NAMESPACE}\ndata: {a: \"1\"}\n"
	kubectl(t, strings.ReplaceAll(cm, "NAMESPACE", ns), "apply", "--server-side")
	planned := get(t, configMapGVK, ns, "settings").GetResourceVersion()
	kubectl(t, "", "label", "configmap/settings", "-n", ns, "changed=yes")

	obj := object(t, strings.ReplaceAll(cm, "NAMESPACE", ns))
	obj.SetResourceVersion(planned)
	_, err := newClient(t).Apply(t.Context(), obj, "kubectl", false)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "the object has been modified") {
		t.Fatalf("apply from a stale version: %v, want a Conflict for the version", err)
	}
}

// ListPages decodes lists itself: each page's objects must be what the
// dynamic client's List decodes, kind and version filled in, across pages,
// for core, grouped and cluster-scoped kinds alike.
func TestListPagesAsTheDynamicClient(t *testing.T) {
	ns := realNamespace(t, "list-pages")
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	const limit = 7
	for i := range 30 { // pages of them
		fmt.Fprintf(&b, "- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%d, namespace: %s, labels: {n: \"%d\"}}, data: {i: \"%d\", f: \"1.5\"}}\n", i, ns, i, i)
	}
	kubectl(t, b.String(), "apply", "--server-side")
	kubectl(t, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: "+ns+"}\nrules: [{apiGroups: [\"\"], resources: [configmaps], verbs: [get]}]\n", "apply", "--server-side")

	c := newClient(t)
	dc, err := dynamic.NewForConfig(tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		gvk       schema.GroupVersionKind
		resource  string
		namespace string
		pages     int
	}{
		{configMapGVK, "configmaps", ns, 30 / limit},
		{schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}, "roles", ns, 1},
		{schema.GroupVersionKind{Group: "scheduling.k8s.io", Version: "v1", Kind: "PriorityClass"}, "priorityclasses", "", 1},
	} {
		t.Run(tt.resource, func(t *testing.T) {
			var got []unstructured.Unstructured
			pages := 0
			err := c.ListPages(t.Context(), tt.gvk, tt.namespace, limit, nil, func(page []unstructured.Unstructured) error {
				pages++
				if len(page) > limit {
					t.Errorf("page %d holds %d objects, more than the limit %d", pages, len(page), limit)
				}
				got = append(got, page...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			gvr := schema.GroupVersionResource{Group: tt.gvk.Group, Version: tt.gvk.Version, Resource: tt.resource}
			want, err := dc.Resource(gvr).Namespace(tt.namespace).List(t.Context(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if pages < tt.pages {
				t.Errorf("%d pages, want %d at least", pages, tt.pages)
			}
			byName := map[string]map[string]any{}
			for _, item := range want.Items {
				byName[item.GetName()] = item.Object
			}
			if len(got) != len(want.Items) {
				t.Fatalf("%d objects, the dynamic client lists %d", len(got), len(want.Items))
			}
			for _, item := range got {
				if item.GroupVersionKind() != tt.gvk {
					t.Errorf("%s is a %v, want %v", item.GetName(), item.GroupVersionKind(), tt.gvk)
				}
				if w, ok := byName[item.GetName()]; !ok || !reflect.DeepEqual(item.Object, w) {
					t.Errorf("%s differs from the dynamic client's:\n%v\n%v", item.GetName(), item.Object, w)
				}
			}
		})
	}
}
