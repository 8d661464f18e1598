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
	got := spare(live, want, []string{
		"/metadata/annotations/rollme", // differs: spared, and said
		"/data/password",               // the same: taken out, not said
		"/spec/absent",                 // in neither
		"no pointer",
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
