package reconcile_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/reconcile"
)

// origin is a Desired.Origin in a file of that name.
func origin(file string) drift.Origin { return drift.Origin{File: file} }

// reconciler returns a reconciler as user cfg, logging to log, and the
// desired state of manifests, each its own origin.
func reconciler(t *testing.T, cfg *rest.Config, ns string, log *bytes.Buffer, manifests ...string) (*reconcile.Reconciler, []drift.Desired) {
	t.Helper()
	c, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var desired []drift.Desired
	for i, m := range manifests {
		desired = append(desired, drift.Desired{
			Object: object(t, strings.ReplaceAll(m, "NAMESPACE", ns)),
			Origin: origin("manifest " + string(rune('a'+i))),
		})
	}
	return &reconcile.Reconciler{
		Client: c,
		Engine: drift.NewEngine(c, c, drift.Options{DefaultNamespace: ns}),
		Log:    slog.New(slog.NewTextHandler(log, nil)),
	}, desired
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

// operatorImage sets the web container's image as an operator would: a
// controller's field manager, not a person's tool.
func operatorImage(t *testing.T, ns string) {
	t.Helper()
	kubectl(t, "", "patch", "deployment/web", "-n", ns, "--type=json", "--field-manager=web-operator",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28.0"}]`)
}

// What people changed by hand (kubectl set image, kubectl scale) is taken
// back without force where the reconcile is to take it, and the outcome
// says from which tools.
func TestReconcileTakesBackPeoplesChanges(t *testing.T) {
	ns := realNamespace(t, "reconcile-people")
	manifest := strings.Replace(webDeployment, "spec:\n", "spec:\n  replicas: 2\n", 1)
	kubectl(t, strings.ReplaceAll(manifest, "NAMESPACE", ns), "apply", "--server-side")
	kubectl(t, "", "set", "image", "deployment/web", "-n", ns, "web=nginx:1.28.0")
	kubectl(t, "", "scale", "deployment/web", "-n", ns, "--replicas=5")

	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, manifest)
	if out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{}); len(out.Conflicts) != 2 || len(out.Taken) > 0 {
		t.Fatalf("without TakeFromPeople: %+v; want both fields in conflict, none taken", out)
	}
	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{TakeFromPeople: true})
	if out.Err != nil || out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("%+v (verdict %+v); want applied, in sync", out, out.Verdict)
	}
	var taken []string
	for _, c := range out.Taken {
		taken = append(taken, c.Field+" from "+c.Manager)
	}
	want := []string{"spec.replicas from kubectl", `spec.template.spec.containers[name="web"].image from kubectl-set`}
	if !slices.Equal(taken, want) {
		t.Errorf("taken %q, want %q", taken, want)
	}
	if replicas, _, _ := unstructured.NestedInt64(get(t, deploymentGVK, ns, "web").Object, "spec", "replicas"); replicas != 2 {
		t.Errorf("replicas %d after the reconcile, want the manifest's 2", replicas)
	}
}

// A field a controller owns is not taken without force: the reconcile is
// refused, the whole of it, naming the controller beside the person's tool;
// forced, it brings the object in sync.
func TestReconcileConflictThenForce(t *testing.T) {
	ns := realNamespace(t, "reconcile-force")
	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply", "--server-side")
	kubectl(t, "", "patch", "deployment/web", "-n", ns, "--type=merge", "--field-manager=my-hpa", "-p", `{"spec":{"replicas":4}}`)
	operatorImage(t, ns)
	kubectl(t, "", "annotate", "deployment/web", "-n", ns, "note=by-hand")

	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, webDeployment)
	if rep := r.Engine.Check(t.Context(), desired); rep.Results[0].Status != drift.Drifted {
		t.Fatalf("before: %v, want drifted", rep.Results[0].Status)
	}

	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{TakeFromPeople: true})
	if out.Err == nil || len(out.Conflicts) != 1 || out.Conflicts[0].Manager != "web-operator" || out.Conflicts[0].Tool != "" ||
		out.Conflicts[0].Field != `spec.template.spec.containers[name="web"].image` || len(out.Taken) > 0 {
		t.Fatalf("without force: err %v, conflicts %+v, taken %+v; want a conflict over the image with web-operator", out.Err, out.Conflicts, out.Taken)
	}
	if image := get(t, deploymentGVK, ns, "web").Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"]; image != "nginx:1.28.0" {
		t.Fatalf("a refused reconcile changed the image to %v", image)
	}

	out = r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{Force: true})
	if out.Err != nil || out.Action != reconcile.ActionApply || out.Manager != "kubectl" {
		t.Fatalf("forced: %+v; want an apply as kubectl, the manifest's applier", out)
	}
	if out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("after: %+v, want in sync", out.Verdict)
	}
	if replicas, _, _ := unstructured.NestedInt64(get(t, deploymentGVK, ns, "web").Object, "spec", "replicas"); replicas != 4 {
		t.Errorf("replicas %d after the reconcile, want my-hpa's 4", replicas)
	}
	if !strings.Contains(log.String(), `object="Deployment.apps `+ns+`/web" action=apply fieldManager=kubectl result=ok`) {
		t.Errorf("the write is not logged:\n%s", log.String())
	}
}

// A label the manifest dropped since kubectl apply (client-side) set it is
// removed, as kubectl's next apply would remove it.
func TestReconcileClientSideDeletion(t *testing.T) {
	ns := realNamespace(t, "reconcile-csa")
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: NAMESPACE, labels: {app: shop}}\ndata: {a: \"1\"}\n"
	kubectl(t, strings.ReplaceAll(strings.Replace(cm, "app: shop", "app: shop, team: a", 1), "NAMESPACE", ns), "apply")

	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, cm)
	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{})
	if out.Err != nil || out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("%+v (verdict %+v), want in sync", out, out.Verdict)
	}
	if labels := get(t, configMapGVK, ns, "settings").GetLabels(); labels["team"] != "" || labels["app"] != "shop" {
		t.Errorf("labels after the reconcile: %v, want app only", labels)
	}
}

// A change to an immutable field is reported, and made by deleting and
// creating the object only on the second consent.
func TestReconcileImmutable(t *testing.T) {
	ns := realNamespace(t, "reconcile-immutable")
	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply", "--server-side")
	before := get(t, deploymentGVK, ns, "web").GetUID()

	var log bytes.Buffer
	changed := strings.ReplaceAll(webDeployment, "app: web", "app: web-v2")
	r, desired := reconciler(t, tc.Admin, ns, &log, changed)
	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{Force: true})
	if !out.Immutable || out.Err == nil || !strings.Contains(out.Err.Error(), "deleted and created again") {
		t.Fatalf("%+v; want the immutable selector reported", out)
	}
	if uid := get(t, deploymentGVK, ns, "web").GetUID(); uid != before {
		t.Fatal("the object was replaced without consent")
	}

	out = r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{Force: true, Recreate: true})
	if out.Err != nil || out.Action != reconcile.ActionRecreate || out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("%+v (verdict %+v); want recreated and in sync", out, out.Verdict)
	}
	if uid := get(t, deploymentGVK, ns, "web").GetUID(); uid == before {
		t.Error("the object was not recreated")
	}
}

// A missing Namespace with an object in it, and a CRD with a custom resource
// of it, are created in one run, each before what needs it.
func TestReconcileAllCreatesInOrder(t *testing.T) {
	ns := "reconcile-order-" + time.Now().Format("150405")
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = tc.Kubectl(ctx, testcluster.AdminUser, "delete", "namespace", ns, "--wait=false")
		_, _ = tc.Kubectl(ctx, testcluster.AdminUser, "delete", "crd", "gadgets.order.example.com", "--wait=false")
	})
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.order.example.com}
spec:
  group: order.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`
	var log bytes.Buffer
	// The objects come in the worst order: each before what it needs.
	r, desired := reconciler(t, tc.Admin, ns, &log,
		"apiVersion: order.example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: NAMESPACE}\nspec: {size: 3}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: NAMESPACE}\ndata: {a: \"1\"}\n",
		crd,
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: NAMESPACE}\n",
	)
	rep := r.Engine.Check(t.Context(), desired)
	if n := rep.Count(drift.Missing); n != 4 {
		t.Fatalf("%d missing before, want 4: %+v", n, rep.Results)
	}

	outcomes := r.ReconcileAll(t.Context(), desired, rep, reconcile.ReconcileOptions{})
	var order []string
	for _, out := range outcomes {
		order = append(order, out.Ref.Kind)
		if out.Err != nil || out.Action != reconcile.ActionCreate || out.Verdict == nil || out.Verdict.Status != drift.InSync {
			t.Errorf("%v: %+v (verdict %+v), want created and in sync", out.Ref, out, out.Verdict)
		}
	}
	if got := strings.Join(order, ","); got != "Namespace,CustomResourceDefinition,Gadget,ConfigMap" && got != "Namespace,CustomResourceDefinition,ConfigMap,Gadget" {
		t.Errorf("created in the order %s, want the Namespace, then the CRD, then the rest", got)
	}
	if rep := r.Engine.Check(t.Context(), desired); rep.Count(drift.InSync) != 4 {
		t.Errorf("after: %+v, want all in sync", rep.Results)
	}
}

// The read-only user's reconcile is refused with the verb RBAC denied, and
// changes nothing; a read-only reconciler sends nothing at all.
func TestReconcileForbiddenAndReadOnly(t *testing.T) {
	ns := realNamespace(t, "reconcile-forbidden")
	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply", "--server-side")
	kubectl(t, "", "set", "image", "deployment/web", "-n", ns, "web=nginx:1.28.0")

	var log bytes.Buffer
	r, desired := reconciler(t, tc.ReadOnly, ns, &log, webDeployment)
	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{Force: true})
	if out.Err == nil || !strings.Contains(out.Err.Error(), `cannot patch resource "deployments"`) {
		t.Fatalf("%+v; want the forbidden patch named", out)
	}

	r.ReadOnly = true
	before, err := tc.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	out = r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{Force: true})
	if !errors.Is(out.Err, reconcile.ErrReadOnly) {
		t.Fatalf("read-only: %+v, want ErrReadOnly", out)
	}
	if out := r.Delete(t.Context(), out.Ref); !errors.Is(out.Err, reconcile.ErrReadOnly) {
		t.Fatalf("read-only delete: %+v, want ErrReadOnly", out)
	}
	events, err := tc.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events[len(before):] {
		// The controller manager's updates of the Deployment's status
		// are not the reconcile's.
		if e.ObjectRef.Namespace == ns && e.User.Username == testcluster.ReadOnlyUser {
			t.Errorf("a read-only reconcile sent %s %s", e.Verb, e.RequestURI)
		}
	}
}

// TestReconcileDryRunFirst: with DryRunFirst, an apply the server refuses
// is refused at its dry run and never sent for real, and one it accepts is
// sent as a dry run, then for real.
func TestReconcileDryRunFirst(t *testing.T) {
	ns := realNamespace(t, "reconcile-dry-run-first")
	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply", "--server-side")
	operatorImage(t, ns)
	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, webDeployment)
	before, err := tc.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}

	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{DryRunFirst: true})
	if len(out.Conflicts) != 1 || out.Err == nil || !strings.HasPrefix(out.Err.Error(), "dry run: ") {
		t.Fatalf("%+v; want the conflict over the image, found by the dry run", out)
	}
	out = r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{DryRunFirst: true, Force: true})
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

// Before its first server-side apply, an object last applied client-side
// has its fields handed to the reconcile's applier, as kubectl apply
// --server-side does: a request written 0.5 and stored as 500m is then no
// conflict, and only what a person changed is taken.
func TestReconcileUpgradesClientSideApply(t *testing.T) {
	ns := realNamespace(t, "reconcile-csa-upgrade")
	manifest := strings.Replace(webDeployment, `image: "nginx:1.27.3"}]`,
		`image: "nginx:1.27.3", resources: {requests: {cpu: "0.5"}}}]`, 1)
	kubectl(t, strings.ReplaceAll(manifest, "NAMESPACE", ns), "apply")
	kubectl(t, "", "set", "image", "deployment/web", "-n", ns, "web=nginx:1.28.0")

	var log bytes.Buffer
	r, desired := reconciler(t, tc.Admin, ns, &log, manifest)
	out := r.Reconcile(t.Context(), desired[0], reconcile.ReconcileOptions{TakeFromPeople: true})
	if out.Err != nil || out.Verdict == nil || out.Verdict.Status != drift.InSync {
		t.Fatalf("%+v (verdict %+v); want applied, in sync", out, out.Verdict)
	}
	if len(out.Taken) != 1 || out.Taken[0].Manager != "kubectl-set" {
		t.Errorf("taken %+v; want only the image, from kubectl-set", out.Taken)
	}
	var managers []string
	for _, e := range get(t, deploymentGVK, ns, "web").GetManagedFields() {
		managers = append(managers, string(e.Operation)+" "+e.Manager)
	}
	if slices.Contains(managers, "Update kubectl-client-side-apply") || !slices.Contains(managers, "Apply "+out.Manager) {
		t.Errorf("managers %q; want client-side apply's fields handed to %s", managers, out.Manager)
	}
}
