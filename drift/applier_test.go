package drift

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestApplier(t *testing.T) {
	desired := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {app: shop}}, data: {k: v}}`)
	entry := func(manager, op, subresource, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationType(op),
			Subresource: subresource, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	const data = `{"f:data":{"f:k":{}}}`
	tests := []struct {
		name    string
		entries []metav1.ManagedFieldsEntry
		want    string
	}{
		{"nobody applied", []metav1.ManagedFieldsEntry{entry("kubectl-client-side-apply", "Update", "", data)}, "kubedrift"},
		{"kubectl applied", []metav1.ManagedFieldsEntry{entry("kubectl", "Apply", "", data)}, "kubectl"},
		{"by a label it owns", []metav1.ManagedFieldsEntry{entry("helm", "Apply", "", `{"f:metadata":{"f:labels":{"f:app":{}}}}`)}, "helm"},
		{"kubedrift applied too", []metav1.ManagedFieldsEntry{entry("kubectl", "Apply", "", data), entry("kubedrift", "Apply", "", data)}, "kubedrift"},
		{"two appliers", []metav1.ManagedFieldsEntry{entry("kubectl", "Apply", "", data), entry("helm", "Apply", "", data)}, "kubedrift"},
		{"a controller applying its own fields", []metav1.ManagedFieldsEntry{entry("clusterrole-aggregation-controller", "Apply", "", `{"f:rules":{}}`)}, "kubedrift"},
		{"a status apply", []metav1.ManagedFieldsEntry{entry("kubectl", "Apply", "status", data)}, "kubedrift"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := desired.DeepCopy()
			live.SetManagedFields(tt.entries)
			if got := applier(managedFields(live), desired); got != tt.want {
				t.Errorf("applier = %q, want %q", got, tt.want)
			}
		})
	}
	if got := applier(nil, desired); got != "kubedrift" {
		t.Errorf("applier of a missing object = %q, want kubedrift", got)
	}
}

func TestWithBookkeeping(t *testing.T) {
	obj := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {app: shop}}}`)
	live := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c,
		labels: {app: shop, app.kubernetes.io/managed-by: Helm, team: a},
		annotations: {meta.helm.sh/release-name: shop, meta.helm.sh/release-namespace: prod, note: x}}}`)
	got := withBookkeeping(obj, live)
	if got == obj || len(obj.GetLabels()) != 1 || obj.GetAnnotations() != nil {
		t.Fatalf("withBookkeeping changed its input: %v", obj.Object)
	}
	wantLabels := map[string]string{"app": "shop", "app.kubernetes.io/managed-by": "Helm"}
	wantAnnotations := map[string]string{"meta.helm.sh/release-name": "shop", "meta.helm.sh/release-namespace": "prod"}
	if !maps.Equal(got.GetLabels(), wantLabels) || !maps.Equal(got.GetAnnotations(), wantAnnotations) {
		t.Errorf("got labels %v annotations %v; want %v and %v", got.GetLabels(), got.GetAnnotations(), wantLabels, wantAnnotations)
	}
	if plain := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`); withBookkeeping(obj, plain) != obj {
		t.Errorf("without Helm's bookkeeping on live, the object should be returned as it is")
	}
}

func TestDropClientSideDeletions(t *testing.T) {
	const applied = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"annotations":{},"labels":{"app":"shop","team":"a"},"name":"c"},"data":{"k":"v","old":"x"}}`
	live := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {app: shop, team: a, added: by-hand},
		annotations: {kubectl.kubernetes.io/last-applied-configuration: '`+applied+`'}}, data: {k: v, old: x}}`)
	desired := asLive(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {app: shop}}, data: {k: v}}`)
	want := live.DeepCopy()
	dropClientSideDeletions(want, desired, live)

	// kubectl apply deletes what it applied before and the manifest dropped,
	// and nothing else: not a label someone added, not its own annotation.
	labels := slices.Sorted(maps.Keys(want.GetLabels()))
	if !slices.Equal(labels, []string{"added", "app"}) {
		t.Errorf("labels %v, want added and app", labels)
	}
	if _, ok := want.GetAnnotations()[lastAppliedAnnotation]; !ok {
		t.Errorf("the last-applied annotation itself was dropped")
	}
	if data, _, _ := unstructured.NestedStringMap(want.Object, "data"); len(data) != 1 || data["k"] != "v" {
		t.Errorf("data %v, want only k", data)
	}
}

// A Secret whose manifest moved a key from data to stringData: the server
// folds stringData into data, so the next apply deletes nothing.
func TestClientSideDeletionsStringData(t *testing.T) {
	const applied = `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"user":"YXBw","old":"eA=="}}`
	live := asLive(t, `{apiVersion: v1, kind: Secret, metadata: {name: s,
		annotations: {kubectl.kubernetes.io/last-applied-configuration: '`+applied+`'}}, data: {user: YXBw, old: eA==}}`)
	desired := asLive(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {user: app}}`)
	got := clientSideDeletions(desired, live)
	want := map[string]any{"data": map[string]any{"old": nil}}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("deletions %v, want %v", got, want)
	}
	desired = asLive(t, `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {user: app, old: x}}`)
	if got := clientSideDeletions(desired, live); got != nil {
		t.Errorf("deletions %v, want none", got)
	}
}

func TestExplicitNulls(t *testing.T) {
	desired := map[string]any{
		"data":     nil,
		"metadata": map[string]any{"name": "a", "labels": map[string]any{"team": nil, "app": "a"}},
		"spec":     map[string]any{"ports": []any{map[string]any{"name": nil}}},
	}
	want := map[string]any{"data": nil, "metadata": map[string]any{"labels": map[string]any{"team": nil}}}
	got := explicitNulls(desired)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("explicitNulls = %v, want %v (lists are left to the apply)", got, want)
	}
	merged := mergeDeletions(map[string]any{"metadata": map[string]any{"labels": map[string]any{"old": nil}}}, got)
	wantMerged := map[string]any{"data": nil, "metadata": map[string]any{"labels": map[string]any{"old": nil, "team": nil}}}
	if !reflect.DeepEqual(merged, wantMerged) {
		t.Errorf("mergeDeletions = %v, want %v", merged, wantMerged)
	}
}
