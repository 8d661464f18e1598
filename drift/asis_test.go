package drift

import (
	"context"
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

// TestUnchangedByApply holds the shortcut to the structured merge against
// it, on objects a real API server stored: whenever the shortcut says an
// apply would change nothing, the merge must say so too, and it must say so
// for the objects in sync it is for.
func TestUnchangedByApply(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "unchanged-by-apply"
	kubectl := realNamespace(t, ctx, ns)
	manifests := map[string]string{
		"configmap": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ` + ns + `, labels: {app: shop}}
data: {a: "1", b: "2"}
`,
		"secret": `apiVersion: v1
kind: Secret
metadata: {name: token, namespace: ` + ns + `}
type: Opaque
data: {key: c2VjcmV0}
`,
		"service": `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ` + ns + `}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
		"serviceaccount": `apiVersion: v1
kind: ServiceAccount
metadata: {name: runner, namespace: ` + ns + `, annotations: {team: shop}}
`,
	}
	dir := t.TempDir()
	for name, m := range manifests {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kubectl("apply", "--server-side", "--field-manager=kubedrift", "-f", dir)
	// A person adds a key to the ConfigMap and one to the Service's
	// selector, which the apply replaces whole.
	kubectl("-n", ns, "patch", "configmap", "settings", "--type=merge", "-p", `{"data":{"c":"3"}}`)
	kubectl("-n", ns, "patch", "service", "web", "--type=merge", "-p", `{"spec":{"selector":{"tier":"front"}}}`)

	dc, err := dynamic.NewForConfig(testCluster.Admin)
	if err != nil {
		t.Fatal(err)
	}
	live := func(resource, name string) map[string]any {
		obj, err := dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: resource}).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return obj.Object
	}
	lives := map[string]map[string]any{
		"configmap": live("configmaps", "settings"), "secret": live("secrets", "token"),
		"service": live("services", "web"), "serviceaccount": live("serviceaccounts", "runner"),
	}
	tests := []struct {
		name, object, manager string
		edit                  func(string) string
		unchanged             bool
	}{
		{name: "ConfigMap as applied, a key added by hand", object: "configmap", manager: "kubedrift", unchanged: true},
		{name: "ConfigMap applied by another manager", object: "configmap", manager: "someone-else", unchanged: true},
		{name: "ConfigMap that no longer sets a key it applied", object: "configmap", manager: "kubedrift",
			edit: func(s string) string { return strings.Replace(s, `, b: "2"`, "", 1) }},
		{name: "ConfigMap with another value", object: "configmap", manager: "kubedrift",
			edit: func(s string) string { return strings.Replace(s, `a: "1"`, `a: "9"`, 1) }},
		{name: "ConfigMap with a label live lacks", object: "configmap", manager: "kubedrift",
			edit: func(s string) string { return strings.Replace(s, "{app: shop}", "{app: shop, tier: x}", 1) }},
		{name: "Secret as applied", object: "secret", manager: "kubedrift", unchanged: true},
		{name: "Service whose selector was extended by hand", object: "service", manager: "kubedrift"},
		{name: "ServiceAccount as applied", object: "serviceaccount", manager: "kubedrift", unchanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := manifests[tt.object]
			if tt.edit != nil {
				text = tt.edit(text)
			}
			obj, l := fromYAML(t, text), (&unstructured.Unstructured{Object: lives[tt.object]}).DeepCopy()
			got := unchangedByApply(obj, l, tt.manager)
			if got != tt.unchanged {
				t.Errorf("unchangedByApply = %v, want %v", got, tt.unchanged)
			}
			if !got {
				return
			}
			if _, asIs, ok := directMerge(builtinTypes, obj, l, tt.manager); !ok || !asIs {
				t.Errorf("the structured merge says the apply changes the object (merged %v, as is %v)", ok, asIs)
			}
		})
	}
}
