package sources_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/sources"
)

// fuzzSeeds are realistic manifests and broken ones, for the fuzzer to start
// from.
var fuzzSeeds = []string{
	"",
	"---\n",
	cm("a"),
	`# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: &labels
    app.kubernetes.io/name: web
spec:
  replicas: 3
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        command:
        - sh
        - -c
        - |
          echo start
          ---
          exec nginx
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
    targetPort: 80
`,
	"apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(cm("a"), "\n", "\n  ") + "\n- 42\n- kind: Secret\n",
	`{"apiVersion": "v1", "kind": "ConfigMapList", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]}`,
	strings.ReplaceAll(cm("a")+"--- # two\n"+cm("b"), "\n", "\r\n"),
	"\ufeff---\n" + cm("a") + "...\n" + cm("b"),
	"--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n--- |\n  text\n",
	cm("a") + "---\n" + cm("b") + "  labels: {a: b\n---\n" + cm("c"),
	cm("a") + " bad: indentation\n\tlabels: {}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: x-\n---\nkind: a: b\n---\n- 1\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0123\ndata:\n  k: 'unterminated\n",
	"a: &a [*a]\n",
	"%YAML 1.1\n---\n" + cm("a"),
	"apiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: a\r  x: [\r\r\r",
	"a: \"\\u0000\"\nb: !!binary aGVsbG8=\nc: 1e400\nd: 0x1F\n? [k]\n: v\n",
}

// lineCount is the number of lines an editor shows for data.
func lineCount(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

func FuzzParse(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		const file = "dir/fuzz.yaml"
		data := []byte(input)
		lines := lineCount(data)
		manifests, errs := sources.Parse(file, data)

		for _, err := range errs {
			var se *sources.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %q is a %T, not a *sources.Error", err, err)
			}
			if se.Err == nil {
				t.Fatalf("error at %s has no cause", se.Origin)
			}
			if se.Origin.File != file {
				t.Errorf("error %q names file %q, want %q", err, se.Origin.File, file)
			}
			if se.Origin.Line < 1 || se.Origin.Line > lines {
				t.Errorf("error %q is on line %d, outside 1..%d", err, se.Origin.Line, lines)
			}
			if !strings.HasPrefix(err.Error(), se.Origin.String()+": ") {
				t.Errorf("error %q does not start with its origin", err)
			}
		}

		all := strings.Split(input, "\n")
		for _, m := range manifests {
			o := m.Object
			if o == nil {
				t.Fatalf("manifest at %s has no object", m.Origin)
			}
			if o.GetAPIVersion() == "" || o.GetKind() == "" || o.GetName() == "" {
				t.Errorf("manifest at %s lacks apiVersion, kind or name: %v", m.Origin, o.Object)
			}
			if m.Origin.File != file {
				t.Errorf("manifest at %s names file %q, want %q", m.Origin, m.Origin.File, file)
			}
			if m.Origin.Line < 1 || m.Origin.Line > lines {
				t.Errorf("manifest %s/%s is on line %d, outside 1..%d", o.GetKind(), o.GetName(), m.Origin.Line, lines)
				continue
			}
			// An object starts on a line with content, never on a blank
			// line or a comment.
			if text := strings.TrimSpace(strings.TrimPrefix(all[m.Origin.Line-1], "\ufeff")); text == "" || text[0] == '#' {
				t.Errorf("manifest %s/%s starts on line %d, %q, which has no content", o.GetKind(), o.GetName(), m.Origin.Line, text)
			}
		}

		// Parsing does not depend on anything but its input.
		again, againErrs := sources.Parse(file, data)
		if len(again) != len(manifests) || len(againErrs) != len(errs) {
			t.Errorf("second parse gave %d objects and %d errors, first %d and %d", len(again), len(againErrs), len(manifests), len(errs))
		}
	})
}
