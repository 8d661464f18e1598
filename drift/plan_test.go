package drift

import (
	"reflect"
	"testing"
)

func TestKeepLive(t *testing.T) {
	live := yamlObject(t, `
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: web, image: a, env: [{name: X, value: live}]}]
data: {password: from-live}
`)
	p := ApplyPlan{Object: yamlObject(t, `
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: web, image: b, env: [{name: X, value: manifest}]}]
data: {password: rendered, gone: x}
`)}
	kept := p.KeepLive(live, []string{
		"/spec/replicas", // live's value
		"/spec/template/spec/containers/0/env/0/value", // by position in a list
		"/data/password",                         // a generated value
		"/data/gone",                             // not in live: left out of the apply
		"/metadata/labels/x",                     // the manifest sets no labels
		"/spec/template/spec/containers/1/image", // no such item
		"not a pointer",
	})
	want := yamlObject(t, `
spec:
  replicas: 3
  template:
    spec:
      containers: [{name: web, image: b, env: [{name: X, value: live}]}]
data: {password: from-live}
`)
	if !reflect.DeepEqual(p.Object.Object, want.Object) {
		t.Errorf("KeepLive made\n%v\nwant\n%v", p.Object.Object, want.Object)
	}
	if wantKept := []string{"/spec/replicas", "/spec/template/spec/containers/0/env/0/value", "/data/password", "/data/gone"}; !reflect.DeepEqual(kept, wantKept) {
		t.Errorf("KeepLive kept %q, want %q", kept, wantKept)
	}
	// Live's value is copied, not shared: the apply's object is its own.
	live.Object["spec"].(map[string]any)["replicas"] = int64(9)
	if p.Object.Object["spec"].(map[string]any)["replicas"] == int64(9) {
		t.Error("the plan shares live's values")
	}
	if kept := (&ApplyPlan{Object: want}).KeepLive(nil, []string{"/spec/replicas"}); kept != nil {
		t.Errorf("with no live object KeepLive kept %q", kept)
	}
}

func TestLeftOut(t *testing.T) {
	r := Result{Ignored: []string{"/a"}, Spared: []Spared{{Pointer: "/b", By: "preset x"}}}
	if got := LeftOut(r); !reflect.DeepEqual(got, []string{"/a", "/b"}) {
		t.Errorf("LeftOut = %q", got)
	}
}
