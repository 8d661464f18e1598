package drift

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// realisticManagedFields is what the API server records, in shape, for a
// Deployment created with `kubectl apply` (client-side), scaled with
// `kubectl scale` (through the scale subresource, which records no time),
// rolled out by kube-controller-manager (whose status entry holds the
// revision annotation), and applied once by kubedrift with the same image
// and a team label. Under the status entry, a made-up claim on
// spec.replicas with the latest time checks that status entries count for
// metadata only.
const realisticManagedFields = `[
  {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
   "time": "2026-03-01T09:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
    "f:metadata": {
      "f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
      "f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
      "f:progressDeadlineSeconds": {}, "f:revisionHistoryLimit": {}, "f:selector": {},
      "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}},
      "f:template": {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
          "f:containers": {"k:{\"name\":\"web\"}": {
            ".": {}, "f:args": {},
            "f:env": {".": {}, "k:{\"name\":\"LOG_LEVEL\"}": {".": {}, "f:name": {}, "f:value": {}}},
            "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
            "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
              ".": {}, "f:containerPort": {}, "f:name": {}, "f:protocol": {}}},
            "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
          "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {},
          "f:terminationGracePeriodSeconds": {}, "f:tolerations": {}}}}}},
  {"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "subresource": "scale",
   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
  {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "subresource": "status",
   "time": "2026-03-01T11:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
    "f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}},
    "f:status": {"f:availableReplicas": {}, "f:observedGeneration": {}, "f:replicas": {}}}},
  {"manager": "status-writer", "operation": "Update", "apiVersion": "apps/v1", "subresource": "status",
   "time": "2026-03-01T11:59:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
    "f:spec": {"f:replicas": {}}, "f:status": {"f:replicas": {}}}},
  {"manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1",
   "time": "2026-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
    "f:metadata": {"f:labels": {"f:team": {}}},
    "f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
      ".": {}, "f:image": {}, "f:name": {}}}}}}}}
]`

// realisticLive is the live Deployment realisticManagedFields describes.
const realisticLive = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, team: shop}
  annotations:
    deployment.kubernetes.io/revision: "2"
    kubectl.kubernetes.io/last-applied-configuration: '{}'
spec:
  replicas: 5
  progressDeadlineSeconds: 600
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "nginx:1.24"
        args: [--port, "80"]
        env: [{name: LOG_LEVEL, value: info}]
        imagePullPolicy: IfNotPresent
        ports: [{name: http, containerPort: 80, protocol: TCP}]
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
      tolerations: [{key: a, operator: Exists}]
`

func realisticEntries(t *testing.T) []metav1.ManagedFieldsEntry {
	t.Helper()
	var entries []metav1.ManagedFieldsEntry
	if err := json.Unmarshal([]byte(realisticManagedFields), &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

func attrTime(hhmm string) time.Time {
	tm, err := time.Parse(time.RFC3339, "2026-03-01T"+hhmm+":00Z")
	if err != nil {
		panic(err)
	}
	return tm
}

func TestAttribute(t *testing.T) {
	tests := []struct {
		name string
		// edit changes a copy of realisticLive into the desired state.
		edit func(want *unstructured.Unstructured)
		// Path names the one change edit makes; the other fields are what
		// Attribute must fill in.
		change Change
		text   string
	}{
		{
			name: "replicas by kubectl scale, not by a later status entry",
			edit: func(w *unstructured.Unstructured) { setField(w, int64(3), "spec", "replicas") },
			change: Change{
				Path: "spec.replicas", Live: int64(5), Want: int64(3),
				Manager: "kubectl", Operation: "Update", Conflict: true,
			},
			text: "spec.replicas: 5 -> 3 (live value by kubectl)",
		},
		{
			name: "annotation owned by kube-controller-manager's status entry",
			edit: func(w *unstructured.Unstructured) {
				setField(w, "1", "metadata", "annotations", "deployment.kubernetes.io/revision")
			},
			change: Change{
				Path: `metadata.annotations["deployment.kubernetes.io/revision"]`, Live: "2", Want: "1",
				Manager: "kube-controller-manager", Operation: "Update", Time: attrTime("11:00"), Conflict: true,
			},
			text: `metadata.annotations["deployment.kubernetes.io/revision"]: "2" -> "1" (live value by kube-controller-manager, 60m ago)`,
		},
		{
			name: "image shared with kubedrift names the other manager",
			edit: func(w *unstructured.Unstructured) { setContainerField(w, "nginx:1.26", "image") },
			change: Change{
				Path: "spec.template.spec.containers[name=web].image", Live: "nginx:1.24", Want: "nginx:1.26",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "atomic list owned whole",
			edit: func(w *unstructured.Unstructured) { setContainerField(w, []any{"--port", "8080"}, "args") },
			change: Change{
				Path: "spec.template.spec.containers[name=web].args", Live: []any{"--port", "80"}, Want: []any{"--port", "8080"},
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "field inside an atomic list",
			edit: func(w *unstructured.Unstructured) {
				setField(w, []any{map[string]any{"key": "b", "operator": "Exists"}}, "spec", "template", "spec", "tolerations")
			},
			change: Change{
				Path: "spec.template.spec.tolerations[0].key", Live: "a", Want: "b",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "element added to an atomic list",
			edit: func(w *unstructured.Unstructured) {
				setField(w, []any{
					map[string]any{"key": "a", "operator": "Exists"},
					map[string]any{"key": "b", "operator": "Exists"},
				}, "spec", "template", "spec", "tolerations")
			},
			change: Change{
				Path: "spec.template.spec.tolerations[1]", Want: map[string]any{"key": "b", "operator": "Exists"},
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "env var in a keyed list",
			edit: func(w *unstructured.Unstructured) {
				setContainerField(w, []any{map[string]any{"name": "LOG_LEVEL", "value": "debug"}}, "env")
			},
			change: Change{
				Path: "spec.template.spec.containers[name=web].env[name=LOG_LEVEL].value", Live: "info", Want: "debug",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "port found by its two-field key",
			edit: func(w *unstructured.Unstructured) {
				setContainerField(w, []any{map[string]any{"name": "web", "containerPort": int64(80), "protocol": "TCP"}}, "ports")
			},
			change: Change{
				Path: "spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP].name", Live: "http", Want: "web",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"), Conflict: true,
			},
		},
		{
			name: "label removed from live names the labels' owner, no conflict",
			edit: func(w *unstructured.Unstructured) { setField(w, "front", "metadata", "labels", "tier") },
			change: Change{
				Path: "metadata.labels.tier", Want: "front",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"),
			},
			text: `metadata.labels.tier: <none> -> "front" (not in live; enclosing field by kubectl-client-side-apply, 3h ago)`,
		},
		{
			name: "env var added names the env list's owner, no conflict",
			edit: func(w *unstructured.Unstructured) {
				setContainerField(w, []any{
					map[string]any{"name": "LOG_LEVEL", "value": "info"},
					map[string]any{"name": "EXTRA", "value": "1"},
				}, "env")
			},
			change: Change{
				Path: "spec.template.spec.containers[name=web].env[name=EXTRA]", Want: map[string]any{"name": "EXTRA", "value": "1"},
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"),
			},
		},
		{
			name: "field added to an empty struct takes nothing from its owner",
			edit: func(w *unstructured.Unstructured) {
				setContainerField(w, map[string]any{"limits": map[string]any{"cpu": "500m"}}, "resources")
			},
			change: Change{
				Path: "spec.template.spec.containers[name=web].resources.limits.cpu", Want: "500m",
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"),
			},
		},
		{
			name: "field owned by kubedrift alone is no conflict",
			edit: func(w *unstructured.Unstructured) { setField(w, "payments", "metadata", "labels", "team") },
			change: Change{
				Path: "metadata.labels.team", Live: "shop", Want: "payments",
				Manager: "kubedrift", Operation: "Apply", Time: attrTime("10:00"),
			},
		},
		{
			name: "field want drops is no conflict",
			edit: func(w *unstructured.Unstructured) {
				unstructured.RemoveNestedField(w.Object, "spec", "progressDeadlineSeconds")
			},
			change: Change{
				Path: "spec.progressDeadlineSeconds", Live: int64(600),
				Manager: "kubectl-client-side-apply", Operation: "Update", Time: attrTime("09:00"),
			},
		},
		{
			name:   "field nobody owns",
			edit:   func(w *unstructured.Unstructured) { setField(w, int64(20), "spec", "minReadySeconds") },
			change: Change{Path: "spec.minReadySeconds", Want: int64(20)},
			text:   "spec.minReadySeconds: <none> -> 20",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := fieldsObject(t, realisticLive)
			want := live.DeepCopy()
			tt.edit(want)
			changes := FieldChanges(live, want)
			if len(changes) != 1 || changes[0].Path != tt.change.Path {
				t.Fatalf("FieldChanges() =\n%s\nwant one change at %s", dumpChanges(changes), tt.change.Path)
			}
			// Left over from an earlier call: Attribute must clear it.
			changes[0].Manager, changes[0].Operation, changes[0].Conflict = "stale", "Apply", true
			Attribute(changes, realisticEntries(t), FieldManager)
			got := changes[0]
			got.Pointer = ""
			if !equalChange(got, tt.change) {
				t.Errorf("Attribute() =\n  %+v\nwant\n  %+v", got, tt.change)
			}
			if tt.text != "" {
				if text := got.Describe(attrTime("12:00")); text != tt.text {
					t.Errorf("Describe() =\n%s\nwant\n%s", text, tt.text)
				}
			}
		})
	}
}

// equalChange compares changes, their times as instants.
func equalChange(a, b Change) bool {
	ta, tb := a.Time, b.Time
	a.Time, b.Time = time.Time{}, time.Time{}
	return ta.Equal(tb) && sameValue(a.Live, b.Live) && sameValue(a.Want, b.Want) &&
		a.Path == b.Path && a.Pointer == b.Pointer && a.Manager == b.Manager &&
		a.Operation == b.Operation && a.Conflict == b.Conflict
}

func setField(obj *unstructured.Unstructured, value any, fields ...string) {
	if err := unstructured.SetNestedField(obj.Object, value, fields...); err != nil {
		panic(err)
	}
}

// setContainerField sets a field of the first container.
func setContainerField(obj *unstructured.Unstructured, value any, field string) {
	containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	containers[0].(map[string]any)[field] = value
	setField(obj, containers, "spec", "template", "spec", "containers")
}

// TestAttributeShared checks which of several managers of one field is
// named its owner.
func TestAttributeShared(t *testing.T) {
	entry := func(manager, operation, hhmm string) metav1.ManagedFieldsEntry {
		e := metav1.ManagedFieldsEntry{
			Manager:    manager,
			Operation:  metav1.ManagedFieldsOperationType(operation),
			APIVersion: "v1",
			FieldsType: "FieldsV1",
			FieldsV1:   metav1.NewFieldsV1(`{"f:data":{".":{},"f:level":{}}}`),
		}
		if hhmm != "" {
			e.Time = &metav1.Time{Time: attrTime(hhmm)}
		}
		return e
	}
	tests := []struct {
		name     string
		entries  []metav1.ManagedFieldsEntry
		manager  string
		conflict bool
	}{
		{"none", nil, "", false},
		{"kubedrift alone", []metav1.ManagedFieldsEntry{entry("kubedrift", "Apply", "10:00")}, "kubedrift", false},
		{
			"another manager before kubedrift",
			[]metav1.ManagedFieldsEntry{entry("kubedrift", "Apply", "11:00"), entry("kubectl-edit", "Update", "10:00")},
			"kubectl-edit", true,
		},
		{
			"an update before an apply",
			[]metav1.ManagedFieldsEntry{entry("argocd-controller", "Apply", "11:00"), entry("kubectl-edit", "Update", "10:00")},
			"kubectl-edit", true,
		},
		{
			"the latest of two updates",
			[]metav1.ManagedFieldsEntry{entry("a-manager", "Update", "09:00"), entry("b-manager", "Update", "10:00")},
			"b-manager", true,
		},
		{
			"an unknown time is the earliest",
			[]metav1.ManagedFieldsEntry{entry("b-manager", "Update", "09:00"), entry("a-manager", "Update", "")},
			"b-manager", true,
		},
		{
			"the first name when all else is equal",
			[]metav1.ManagedFieldsEntry{entry("b-manager", "Update", "09:00"), entry("a-manager", "Update", "09:00")},
			"a-manager", true,
		},
		{
			"unreadable entries are skipped",
			[]metav1.ManagedFieldsEntry{
				{Manager: "broken", Operation: "Update", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:data":`)},
				{Manager: "future", Operation: "Update", FieldsType: "FieldsV2", FieldsV1: metav1.NewFieldsV1(`{"f:data":{"f:level":{}}}`)},
				{Manager: "empty", Operation: "Update", FieldsType: "FieldsV1"},
				entry("kubedrift", "Apply", "09:00"),
			},
			"kubedrift", false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes := []Change{{Path: "data.level", Live: "info", Want: "debug"}}
			Attribute(changes, tt.entries, FieldManager)
			if got := changes[0]; got.Manager != tt.manager || got.Conflict != tt.conflict {
				t.Errorf("Attribute() = manager %q, conflict %v; want %q, %v", got.Manager, got.Conflict, tt.manager, tt.conflict)
			}
		})
	}
}

// TestAttributionRealCluster checks attribution against what a real API
// server records when people change a Deployment with kubectl.
func TestAttributionRealCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "drift-attribution-real"
	kubectl := realNamespace(t, ctx, ns)
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ` + ns + `, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: sidecar, image: "busybox:1.36", command: [sleep, infinity]}
      - {name: web, image: "nginx:1.24", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ` + ns + `, labels: {app: web, tier: front}}
data: {log-level: info}
`
	path := filepath.Join(t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute)
	kubectl("apply", "-f", path)
	kubectl("-n", ns, "scale", "deployment/web", "--replicas=5")
	kubectl("-n", ns, "set", "image", "deployment/web", "web=nginx:1.25")
	kubectl("-n", ns, "label", "configmap/settings", "tier-")

	client, err := dynamic.NewForConfig(testCluster.Admin)
	if err != nil {
		t.Fatal(err)
	}
	get := func(resource schema.GroupVersionResource, name string) *unstructured.Unstructured {
		t.Helper()
		obj, err := client.Resource(resource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return obj
	}

	t.Run("scaled and image set", func(t *testing.T) {
		live := get(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "web")
		want := stripped(live)
		setField(want, int64(3), "spec", "replicas")
		containers, _, _ := unstructured.NestedSlice(want.Object, "spec", "template", "spec", "containers")
		containers[1].(map[string]any)["image"] = "nginx:1.24"
		setField(want, containers, "spec", "template", "spec", "containers")

		changes := FieldChanges(stripped(live), want)
		Attribute(changes, live.GetManagedFields(), FieldManager)
		if len(changes) != 2 {
			t.Fatalf("FieldChanges() =\n%s\nwant replicas and image", dumpChanges(changes))
		}
		// kubectl scale writes through the scale subresource as manager
		// "kubectl", an entry the API server keeps without a time (its
		// ScaleHandler takes times from the main resource's entries, where
		// "kubectl" has none); kubectl set image is "kubectl-set".
		wantChanges := []Change{
			{Path: "spec.replicas", Pointer: "/spec/replicas", Live: int64(5), Want: int64(3), Manager: "kubectl", Operation: "Update", Conflict: true},
			{
				Path: "spec.template.spec.containers[name=web].image", Pointer: "/spec/template/spec/containers/1/image",
				Live: "nginx:1.25", Want: "nginx:1.24", Manager: "kubectl-set", Operation: "Update", Conflict: true,
			},
		}
		for i, c := range changes {
			if i == 1 {
				if c.Time.Before(start) || c.Time.After(time.Now().Add(time.Minute)) {
					t.Errorf("%s: Time = %v, want the time of kubectl set image", c.Path, c.Time)
				}
				c.Time = time.Time{}
			}
			if !equalChange(c, wantChanges[i]) {
				t.Errorf("change %d =\n  %+v\nwant\n  %+v\nmanagedFields: %s", i, c, wantChanges[i], managedFieldsText(live))
			}
		}
		if text := changes[0].Describe(time.Now()); text != "spec.replicas: 5 -> 3 (live value by kubectl)" {
			t.Errorf("Describe() = %q", text)
		}
		if text := changes[1].Describe(changes[1].Time.Add(2 * time.Minute)); text != `spec.template.spec.containers[name=web].image: "nginx:1.25" -> "nginx:1.24" (live value by kubectl-set, 2m ago)` {
			t.Errorf("Describe() = %q", text)
		}
	})

	t.Run("revision annotation", func(t *testing.T) {
		// The controller may not have written the annotation yet.
		live := get(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "web")
		for live.GetAnnotations()["deployment.kubernetes.io/revision"] != "2" {
			if ctx.Err() != nil {
				t.Fatalf("the deployment never reached revision 2: %v", live.GetAnnotations())
			}
			time.Sleep(100 * time.Millisecond)
			live = get(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "web")
		}
		want := stripped(live)
		setField(want, "1", "metadata", "annotations", "deployment.kubernetes.io/revision")
		changes := FieldChanges(stripped(live), want)
		Attribute(changes, live.GetManagedFields(), FieldManager)
		if len(changes) != 1 {
			t.Fatalf("FieldChanges() =\n%s\nwant the revision annotation", dumpChanges(changes))
		}
		if c := changes[0]; c.Manager != "kube-controller-manager" || c.Time.IsZero() || !c.Conflict {
			t.Errorf("change = %+v, want kube-controller-manager's, with a time, in conflict\nmanagedFields: %s", c, managedFieldsText(live))
		}
	})

	t.Run("label removed", func(t *testing.T) {
		live := get(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "settings")
		want := stripped(live)
		setField(want, "front", "metadata", "labels", "tier")
		changes := FieldChanges(stripped(live), want)
		Attribute(changes, live.GetManagedFields(), FieldManager)
		if len(changes) != 1 || changes[0].Path != "metadata.labels.tier" {
			t.Fatalf("FieldChanges() =\n%s\nwant the tier label", dumpChanges(changes))
		}
		// kubectl label only removed a field, which leaves it no entry:
		// the labels map's owner is the best managedFields can tell.
		c := changes[0]
		if c.Manager != "kubectl-client-side-apply" || c.Time.IsZero() || c.Conflict {
			t.Errorf("change = %+v, want the labels' owner kubectl-client-side-apply, with a time, no conflict\nmanagedFields: %s", c, managedFieldsText(live))
		}
		if text := c.Describe(c.Time); !strings.HasPrefix(text, `metadata.labels.tier: <none> -> "front" (not in live; enclosing field by kubectl-client-side-apply`) {
			t.Errorf("Describe() = %q", text)
		}
	})
}

func managedFieldsText(obj *unstructured.Unstructured) string {
	b, _ := json.MarshalIndent(obj.GetManagedFields(), "", "  ")
	return string(b)
}

// TestAttributeApplier: a field the reconcile's own applier owns is no
// conflict; one another manager owns is.
func TestAttributeApplier(t *testing.T) {
	entries := []metav1.ManagedFieldsEntry{{
		Manager: "helm", Operation: "Apply", APIVersion: "v1", FieldsType: "FieldsV1",
		FieldsV1: metav1.NewFieldsV1(`{"f:data":{".":{},"f:level":{}}}`),
	}}
	for applier, conflict := range map[string]bool{"helm": false, FieldManager: true} {
		changes := []Change{{Path: "data.level", Live: "info", Want: "debug"}}
		Attribute(changes, entries, applier)
		if got := changes[0]; got.Manager != "helm" || got.Conflict != conflict {
			t.Errorf("applying as %s: manager %q, conflict %v; want helm, %v", applier, got.Manager, got.Conflict, conflict)
		}
	}
}
