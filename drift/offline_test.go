package drift

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSettle(t *testing.T) {
	tests := []struct {
		name             string
		want, live, with string
	}{
		{
			name: "empty values facing absent ones are dropped",
			want: `{metadata: {labels: {}, annotations: null}, spec: {args: []}}`,
			live: `{metadata: {}, spec: {}}`,
			with: `{metadata: {}, spec: {}}`,
		},
		{
			name: "empty live values count as absent",
			want: `{metadata: {}}`,
			live: `{metadata: {creationTimestamp: null}, spec: {}}`,
			with: `{metadata: {creationTimestamp: null}, spec: {}}`,
		},
		{
			name: "a value want sets stays, even where live is empty",
			want: `{data: {a: "1"}}`,
			live: `{data: {}}`,
			with: `{data: {a: "1"}}`,
		},
		{
			name: "lists of different lengths are left alone",
			want: `{ports: [{port: 1}]}`,
			live: `{ports: [{port: 1, protocol: TCP}, {port: 2, protocol: TCP}]}`,
			with: `{ports: [{port: 1}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, live, with := obj(t, tt.want), obj(t, tt.live), obj(t, tt.with)
			settle(want.Object, live.Object)
			if !equality.Semantic.DeepEqual(want.Object, with.Object) {
				t.Errorf("settled to %v, want %v", want.Object, with.Object)
			}
		})
	}
}

func TestIntegral(t *testing.T) {
	got := integral(map[string]any{"a": 3.0, "b": []any{2.5, 1e3}, "c": "3.0"})
	want := map[string]any{"a": int64(3), "b": []any{2.5, int64(1000)}, "c": "3.0"}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("integral = %#v, want %#v", got, want)
	}
}

func TestFoldStringData(t *testing.T) {
	s := obj(t, `{apiVersion: v1, kind: Secret, data: {a: eA==}, stringData: {b: "y", a: "z"}}`)
	foldStringData(s)
	want := obj(t, `{apiVersion: v1, kind: Secret, data: {a: eg==, b: eQ==}}`)
	if !equality.Semantic.DeepEqual(s.Object, want.Object) {
		t.Errorf("folded to %v, want %v (stringData wins, as on the server)", s.Object, want.Object)
	}

	cm := obj(t, `{apiVersion: v1, kind: ConfigMap, stringData: {b: "y"}}`)
	foldStringData(cm)
	if _, ok := cm.Object["stringData"]; !ok {
		t.Error("a ConfigMap's stringData was folded: only Secrets have it")
	}
}

func TestForeignFields(t *testing.T) {
	desired := obj(t, `
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  ports: [{name: http, port: 80}]
  selector: {app: web}`)
	live := obj(t, `
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web, team: a, app.kubernetes.io/managed-by: Helm}
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
spec:
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: 80}
  - {name: metrics, port: 9090, protocol: TCP, targetPort: 9090}
  selector: {app: web}
  sessionAffinity: ClientIP
  type: ClusterIP`)
	entry := func(manager, op, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{
			Manager: manager, Operation: metav1.ManagedFieldsOperationType(op), APIVersion: "v1",
			FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields),
		}
	}
	live.SetManagedFields([]metav1.ManagedFieldsEntry{
		// The creator owns what it wrote, defaults included.
		entry("kubectl-client-side-apply", "Update", `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:type":{}}}`),
		entry("kubectl-label", "Update", `{"f:metadata":{"f:labels":{"f:team":{},"f:app.kubernetes.io/managed-by":{}}}}`),
		entry("kubectl-patch", "Update", `{"f:spec":{"f:ports":{"k:{\"port\":9090,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:sessionAffinity":{}}}`),
		entry("kube-controller-manager", "Update", `{"f:metadata":{"f:labels":{"f:cluster":{}}}}`),
	})

	got := map[string]string{}
	for _, f := range foreignFields(desired, live.GetManagedFields(), stripped(live), "kubectl-client-side-apply") {
		got[f.Path] = f.Manager
		if f.Path == "spec.ports[port=9090,protocol=TCP]" && f.Pointer != "/spec/ports/1" {
			t.Errorf("pointer of the added port: %q, want /spec/ports/1", f.Pointer)
		}
	}
	want := map[string]string{
		"metadata.labels.team":               "kubectl-label",
		"spec.ports[port=9090,protocol=TCP]": "kubectl-patch",
		"spec.sessionAffinity":               "kubectl-patch",
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("foreign fields %v, want %v", got, want)
	}
}
