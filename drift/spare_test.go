package drift

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func yamlObject(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(text), &obj); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: obj}
}

func TestSpare(t *testing.T) {
	live := yamlObject(t, `
metadata:
  annotations: {rollme: aB3dE, team: shop}
data: {password: b2xk, user: YWRtaW4=}
`)
	want := yamlObject(t, `
metadata:
  annotations: {rollme: Zx9Qp}
data: {password: b2xk, user: YWRtaW4=}
`)
	got := spare(live, want, [][]string{
		{"metadata", "annotations", "rollme"}, // differs: spared, and said
		{"data", "password"},                  // the same: taken out, not said
		{"spec", "absent"},                    // in neither
	}, SparedGenerated)
	if w := []Spared{{Pointer: "/metadata/annotations/rollme", By: SparedGenerated}}; !reflect.DeepEqual(got, w) {
		t.Errorf("spared %v, want %v", got, w)
	}
	wantLive := yamlObject(t, `
metadata:
  annotations: {team: shop}
data: {user: YWRtaW4=}
`)
	// What is left empty goes too, as after an ignore rule.
	wantWant := yamlObject(t, `
data: {user: YWRtaW4=}
`)
	if !reflect.DeepEqual(live.Object, wantLive.Object) {
		t.Errorf("live after spare: %v, want %v", live.Object, wantLive.Object)
	}
	if !reflect.DeepEqual(want.Object, wantWant.Object) {
		t.Errorf("want after spare: %v, want %v", want.Object, wantWant.Object)
	}
}

// TestSparePresets spares a webhook's CA bundle by the preset, naming each
// webhook's field where live differs, and leaves other kinds alone.
func TestSparePresets(t *testing.T) {
	live := yamlObject(t, `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
webhooks:
- {name: a.example.com, clientConfig: {caBundle: Y2E=}, sideEffects: None}
- {name: b.example.com, clientConfig: {caBundle: ""}}`)
	want := yamlObject(t, `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
webhooks:
- {name: a.example.com, clientConfig: {caBundle: ""}, sideEffects: None}
- {name: b.example.com, clientConfig: {caBundle: ""}}`)
	got := sparePresets(presetRules(), RefOf(want), live, want)
	if w := []Spared{{Pointer: "/webhooks/0/clientConfig/caBundle", By: "preset webhook-ca-bundle"}}; !reflect.DeepEqual(got, w) {
		t.Errorf("spared %v, want %v", got, w)
	}
	if !sameJSON(live.Object, want.Object) {
		t.Errorf("after the presets, live and want differ:\n%v\n%v", live.Object, want.Object)
	}

	cm := yamlObject(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, webhooks: [{clientConfig: {caBundle: x}}]}`)
	if got := sparePresets(presetRules(), RefOf(cm), cm, yamlObject(t, `{apiVersion: v1, kind: ConfigMap}`)); got != nil {
		t.Errorf("a ConfigMap's field spared by a preset: %v", got)
	}
}

func TestPresetsListed(t *testing.T) {
	presets := Presets()
	if len(presets) < 5 {
		t.Fatalf("%d presets, want the four rules of presets.yaml and autoscaled-replicas", len(presets))
	}
	for _, p := range presets {
		if p.Name == "" || p.Description == "" || p.Rule == "" {
			t.Errorf("preset %+v lacks a name, a description or a rule", p)
		}
	}
}
