package drift

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzParseIgnoreRules: a rule file of any content parses or is refused
// with errors that name the file (and a line, when there is one), and the
// rules that parse apply to any object without panicking.
func FuzzParseIgnoreRules(f *testing.F) {
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
		rules, err := ParseIgnoreRules(file, []byte(data))
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
		ref := RefOf(live)
		ignored := rules.Apply(ref, live, want, nil)
		for _, p := range ignored {
			if !strings.HasPrefix(p, "/") {
				t.Errorf("ignored %q, not a JSON pointer", p)
			}
		}
	})
}

// FuzzUnifiedDiff: the diff of any two texts, applied to the first as patch
// would apply it, gives the second; equal texts give no diff.
func FuzzUnifiedDiff(f *testing.F) {
	for _, seed := range [][2]string{
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"", "x\n"},
		{"x\n", ""},
		{"no newline", "no newline\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\nfour\n5\n6\n7\n8\n9\nten\n"},
		{"a\r\nb\r\n", "a\nb\n"},
		{"\n\n\n", "\n\n"},
	} {
		f.Add(seed[0], seed[1], 3)
	}
	f.Fuzz(func(t *testing.T, a, b string, context int) {
		context %= 8
		d := unifiedDiffContext("a", "b", a, b, context)
		if a == b {
			if d != "" {
				t.Fatalf("equal texts gave a diff:\n%s", d)
			}
			return
		}
		got, err := applyUnified(a, d)
		if err != nil {
			t.Fatalf("%v\ndiff:\n%s", err, d)
		}
		if got != b {
			t.Fatalf("the diff applied to a gives\n%q\nwant\n%q\ndiff:\n%s", got, b, d)
		}
	})
}
