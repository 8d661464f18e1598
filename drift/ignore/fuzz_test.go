package ignore

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzParse: a rule file of any content parses or is refused
// with errors that name the file (and a line, when there is one), and the
// rules that parse apply to any object without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"ignore:\n  - kind: Deployment\n    paths: [/spec/replicas]\n",
		"ignore:\n  - group: \"\"\n    kind: ConfigMap\n    namespace: 'shop-*'\n    name: web\n    paths:\n      - /data/a~1b\n      - /spec/template/spec/containers/*/image\n",
		"ignore:\n  - kind: \"*\"\n    managers: [kube-controller-manager, \"hpa-*\"]\n",
		"ignore:\n  - kind: Deployment\n    pahts: [/spec/replicas]\n",
		"ignore: [{kind: '[', paths: [spec]}]\n",
		"ignore:\n  - paths: [\"/a/~2\"]\n---\nignore: []\n",
		"a: &a [*a, *a]\nignore: *a\n",
		"ignore:\n\t- kind: x\n",
		"ignore: !!int |\n  000\n  000\n",
		"!%0A",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		const file = "dir/.kubedrift.yaml"
		rules, err := Parse(file, []byte(data))
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, file+":") {
					t.Fatalf("error line %q does not name %s", line, file)
				}
			}
			return
		}
		live := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "shop", "labels": map[string]any{"a/b": "c"}},
			"spec":     map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "x"}}}}},
		}}
		want := live.DeepCopy()
		want.Object["spec"].(map[string]any)["replicas"] = int64(5)
		ignored := rules.Apply(objectIn(live), live, want, nil)
		for _, p := range ignored {
			if !strings.HasPrefix(p, "/") {
				t.Errorf("ignored %q, not a JSON pointer", p)
			}
		}
	})
}
