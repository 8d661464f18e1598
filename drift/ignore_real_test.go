package drift

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// TestIgnoreManagersRealCluster checks manager rules against managedFields
// that a real API server wrote: kubedrift applies a Deployment, a person
// scales it with kubectl, and ignoring kubectl must then leave live and the
// dry run of the manifest equal.
func TestIgnoreManagersRealCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "ignore-managers-real"
	kubectl := realNamespace(t, ctx, ns)
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ` + ns + `, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
`
	path := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl("apply", "--server-side", "--field-manager=kubedrift", "-f", path)
	kubectl("-n", ns, "scale", "deployment/web", "--replicas=3")

	dc, err := dynamic.NewForConfig(testCluster.Admin)
	if err != nil {
		t.Fatal(err)
	}
	deployments := dc.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace(ns)
	// Wait for the deployment controller to have seen the scaled object, so
	// that nothing but status changes between the GET and the dry run.
	var live *unstructured.Unstructured
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		live, err = deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		observed, _, _ := unstructured.NestedInt64(live.Object, "status", "observedGeneration")
		_, annotated := live.GetAnnotations()["deployment.kubernetes.io/revision"]
		return annotated && observed == live.GetGeneration(), nil
	})
	if err != nil {
		t.Fatalf("wait for the deployment controller: %v", err)
	}
	want, err := deployments.Apply(ctx, "web", fromYAML(t, manifest), metav1.ApplyOptions{
		FieldManager: "kubedrift", Force: true, DryRun: []string{metav1.DryRunAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	managedFields := live.GetManagedFields()
	for _, e := range managedFields {
		t.Logf("manager %q operation %s subresource %q: %s", e.Manager, e.Operation, e.Subresource, e.FieldsV1.GetRawString())
	}
	baseLive, baseWant := stripped(live), stripped(want)
	if n, _, _ := unstructured.NestedInt64(baseLive.Object, "spec", "replicas"); n != 3 {
		t.Fatalf("live spec.replicas is %d, want 3 after kubectl scale", n)
	}
	if n, _, _ := unstructured.NestedInt64(baseWant.Object, "spec", "replicas"); n != 1 {
		t.Fatalf("dry run spec.replicas is %d, want the manifest's 1", n)
	}
	ref := RefOf(live)

	t.Run("kubectl", func(t *testing.T) {
		rules := ignoreRules(t, `ignore:
  - group: apps
    kind: "Deploy*"
    namespace: "ignore-managers-*"
    managers: ["kubectl*"]
`)
		l, w := baseLive.DeepCopy(), baseWant.DeepCopy()
		removed := rules.Apply(ref.IgnoreObject(), l, w, managedFields)
		if !slices.Equal(removed, []string{"/spec/replicas"}) {
			t.Errorf("removed %q, want only /spec/replicas", removed)
		}
		expectLive, expectWant := baseLive.DeepCopy(), baseWant.DeepCopy()
		unstructured.RemoveNestedField(expectLive.Object, "spec", "replicas")
		unstructured.RemoveNestedField(expectWant.Object, "spec", "replicas")
		sameObject(t, "live", l, expectLive)
		sameObject(t, "want", w, expectWant)
		// Scaling was the only change, so with it ignored nothing drifts.
		sameObject(t, "live against want", l, w)
	})

	t.Run("another manager", func(t *testing.T) {
		// kubedrift applied every field of the manifest, then lost
		// spec.replicas to kubectl scale.
		rules := ignoreRules(t, "ignore:\n  - managers: [kubedrift]\n")
		l, w := baseLive.DeepCopy(), baseWant.DeepCopy()
		removed := rules.Apply(ref.IgnoreObject(), l, w, managedFields)
		wantRemoved := []string{
			"/metadata/labels/app",
			"/spec/selector",
			"/spec/template/metadata/labels/app",
			"/spec/template/spec/containers/0/image",
			"/spec/template/spec/containers/0/ports/0",
		}
		if !slices.Equal(removed, wantRemoved) {
			t.Errorf("removed %q, want %q", removed, wantRemoved)
		}
		if n, _, _ := unstructured.NestedInt64(l.Object, "spec", "replicas"); n != 3 {
			t.Errorf("live spec.replicas is %d after Apply, want 3", n)
		}
		if n, _, _ := unstructured.NestedInt64(w.Object, "spec", "replicas"); n != 1 {
			t.Errorf("want spec.replicas is %d after Apply, want 1", n)
		}
		containers, _, _ := unstructured.NestedSlice(l.Object, "spec", "template", "spec", "containers")
		if len(containers) != 1 || containers[0].(map[string]any)["name"] != "web" {
			t.Errorf("live containers are %v, want web kept by its merge key", containers)
		}
	})

	t.Run("status entries", func(t *testing.T) {
		// The deployment controller writes its revision annotation
		// through the status subresource; a rule for it removes that.
		rules := ignoreRules(t, "ignore:\n  - managers: [kube-controller-manager]\n")
		l, w := baseLive.DeepCopy(), baseWant.DeepCopy()
		const revision = "/metadata/annotations/deployment.kubernetes.io~1revision"
		if removed := rules.Apply(ref.IgnoreObject(), l, w, managedFields); !slices.Contains(removed, revision) {
			t.Errorf("removed %q, want %s among them", removed, revision)
		}
		if _, ok := l.GetAnnotations()["deployment.kubernetes.io/revision"]; ok {
			t.Errorf("live still has the revision annotation")
		}
		if n, _, _ := unstructured.NestedInt64(l.Object, "spec", "replicas"); n != 3 {
			t.Errorf("live spec.replicas is %d, want 3 kept: the rule is not about it", n)
		}
	})
}

// ignoreRules parses a rule file's text, failing the test when it does not.
func ignoreRules(t *testing.T, text string) *ignore.Rules {
	t.Helper()
	rules, err := ignore.Parse(".kubedrift.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parse rules: %v\n%s", err, text)
	}
	return rules
}

// sameObject fails the test when got is not want.
func sameObject(t *testing.T, side string, got, want *unstructured.Unstructured) {
	t.Helper()
	if !reflect.DeepEqual(got.Object, want.Object) {
		t.Errorf("%s is\n%s\nwant\n%s", side, toYAML(got), toYAML(want))
	}
}
