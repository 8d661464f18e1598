package sources_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/sources"
)

// obj is an object that Parse is expected to return: its kind, its name and the
// line of a.yaml where its document starts.
type obj struct {
	kind string
	name string
	line int
}

func (o obj) String() string { return fmt.Sprintf("%s/%s@%d", o.kind, o.name, o.line) }

// parseTest is one input of Parse and what it must give: the objects in order
// and the errors in order, each error as it is printed (file:line: message).
type parseTest struct {
	name    string
	input   string
	objects []obj
	errors  []string
}

// cm is a ConfigMap document of four lines.
func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

var parseTests = []parseTest{
	// Documents and separators.
	{"empty input", "", nil, nil},
	{"only blank lines", "\n\n  \n\t\n", nil, nil},
	{"single document", cm("a"), []obj{{"ConfigMap", "a", 1}}, nil},
	{"no final newline", strings.TrimSuffix(cm("a"), "\n"), []obj{{"ConfigMap", "a", 1}}, nil},
	{"three documents", cm("a") + "---\n" + cm("b") + "---\n" + cm("c"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 6}, {"ConfigMap", "c", 11}}, nil},
	{"leading separator", "---\n" + cm("a"), []obj{{"ConfigMap", "a", 2}}, nil},
	{"trailing separator", cm("a") + "---\n", []obj{{"ConfigMap", "a", 1}}, nil},
	{"leading comments and blank lines",
		"# Managed by hand.\n\n  # indented comment\n\n" + cm("a"),
		[]obj{{"ConfigMap", "a", 5}}, nil},
	{"comments after a separator",
		cm("a") + "---\n# The second one.\n\n" + cm("b"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 8}}, nil},
	{"separator with a comment",
		"--- # first\n" + cm("a") + "--- # second\n" + cm("b") + "---\t# tab\n" + cm("c"),
		[]obj{{"ConfigMap", "a", 2}, {"ConfigMap", "b", 7}, {"ConfigMap", "c", 12}}, nil},
	{"separator with trailing spaces", cm("a") + "---   \n" + cm("b"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 6}}, nil},
	{"CRLF line endings",
		strings.ReplaceAll("# comment\n"+cm("a")+"---\n\n"+cm("b")+"--- # c\n"+cm("c"), "\n", "\r\n"),
		[]obj{{"ConfigMap", "a", 2}, {"ConfigMap", "b", 8}, {"ConfigMap", "c", 13}}, nil},
	{"byte order mark before a separator", "\ufeff---\n" + cm("a"), []obj{{"ConfigMap", "a", 2}}, nil},
	{"byte order mark before an object", "\ufeff" + cm("a"), []obj{{"ConfigMap", "a", 1}}, nil},
	{"empty documents", "---\n---\n\n---\n" + cm("a") + "---\n---\n",
		[]obj{{"ConfigMap", "a", 5}}, nil},
	{"null documents", "~\n---\nnull\n---\n" + cm("a"), []obj{{"ConfigMap", "a", 5}}, nil},
	{"document of only comments",
		cm("a") + "---\n# Nothing here yet.\n#   kind: Secret\n---\n" + cm("b"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 9}}, nil},
	{"object on the separator line",
		cm("a") + `--- {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}` + "\n",
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 5}}, nil},
	{"document end marker", cm("a") + "...\n" + cm("b") + "... # end\n",
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 6}}, nil},
	{"separator lookalikes are not separators",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: ---\n  \"---\": x\n",
		[]obj{{"ConfigMap", "a", 1}}, nil},

	// JSON.
	{"JSON object", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}`,
		[]obj{{"ConfigMap", "a", 1}}, nil},
	{"indented JSON", "\n{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Secret\",\n  \"metadata\": {\n    \"name\": \"s\"\n  }\n}\n",
		[]obj{{"Secret", "s", 2}}, nil},
	{"JSON list", `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
  {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}
]}`,
		[]obj{{"ConfigMap", "a", 1}, {"Secret", "b", 1}}, nil},
	{"malformed JSON", cm("a") + "---\n{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\"\n \"metadata\": {}}\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{`a.yaml:8: invalid YAML: did not find expected ',' or '}'`}},

	// Lists.
	{"List", "# Output of kubectl get -o yaml.\napiVersion: v1\nkind: List\nitems:\n- " +
		strings.ReplaceAll(cm("a"), "\n", "\n  ") + "\n- " + strings.ReplaceAll(cm("b"), "\n", "\n  ") + "\n",
		[]obj{{"ConfigMap", "a", 2}, {"ConfigMap", "b", 2}}, nil},
	{"ConfigMapList", cm("first") + `---
apiVersion: v1
kind: ConfigMapList
metadata:
  resourceVersion: "1"
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: x
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: "y"
`,
		[]obj{{"ConfigMap", "first", 1}, {"ConfigMap", "x", 6}, {"ConfigMap", "y", 6}}, nil},
	{"empty List", "apiVersion: v1\nkind: List\nitems: []\n", nil, nil},
	{"List item that is not an object", `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
- just a string
- [1, 2]
-
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
`,
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "b", 1}},
		[]string{
			"a.yaml:1: items[1] is a string, not a Kubernetes object",
			"a.yaml:1: items[2] is a list, not a Kubernetes object",
			"a.yaml:1: items[3] is null, not a Kubernetes object",
		}},
	{"List item without a name", `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
- {apiVersion: v1, kind: ConfigMap, metadata: {}}
`,
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:1: items[1]: ConfigMap has no metadata.name"}},
	{"List of one bad item", "apiVersion: v1\nkind: List\nitems:\n- {kind: Secret, metadata: {name: s}}\n",
		nil,
		[]string{`a.yaml:1: items[0]: Secret "s" has no apiVersion`}},

	// Documents that are not objects.
	{"string document", cm("a") + "---\njust some text\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:6: document is a string, not a Kubernetes object"}},
	{"list document", "- a\n- b\n", nil,
		[]string{"a.yaml:1: document is a list, not a Kubernetes object"}},
	{"number document", "# a number\n42\n", nil,
		[]string{"a.yaml:2: document is a number, not a Kubernetes object"}},
	{"boolean document", "true\n", nil,
		[]string{"a.yaml:1: document is a boolean, not a Kubernetes object"}},
	{"block scalar document", "--- |\n  text\n", nil,
		[]string{"a.yaml:1: document is a string, not a Kubernetes object"}},

	// What kubedrift needs to find an object.
	{"no apiVersion", "kind: ConfigMap\nmetadata:\n  name: a\n", nil,
		[]string{`a.yaml:1: ConfigMap "a" has no apiVersion`}},
	{"no kind", "apiVersion: v1\nmetadata:\n  name: a\n", nil,
		[]string{"a.yaml:1: object has no kind"}},
	{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {app: a}\n", nil,
		[]string{"a.yaml:1: ConfigMap has no metadata.name"}},
	{"no metadata", "apiVersion: v1\nkind: ConfigMap\ndata: {}\n", nil,
		[]string{"a.yaml:1: ConfigMap has no metadata.name"}},
	{"empty name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\"\n", nil,
		[]string{"a.yaml:1: ConfigMap has no metadata.name"}},
	{"no apiVersion and no name", "# c\nkind: Service\n", nil,
		[]string{"a.yaml:2: Service has no apiVersion or metadata.name"}},
	{"nothing of an object", "data:\n  a: b\n", nil,
		[]string{"a.yaml:1: object has no apiVersion, kind or metadata.name"}},
	{"generateName", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n", nil,
		[]string{"a.yaml:1: Job uses metadata.generateName: an object without a fixed name cannot be compared with the cluster"}},
	{"name and generateName", "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: m\n  generateName: migrate-\n",
		[]obj{{"Job", "m", 1}}, nil},
	{"name that is a number", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0123\n", nil,
		[]string{"a.yaml:1: ConfigMap has a metadata.name that is a number, not a string"}},
	{"name that is a boolean", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n", nil,
		[]string{"a.yaml:1: ConfigMap has a metadata.name that is a boolean, not a string"}},
	{"kind that is a list", "apiVersion: v1\nkind: [ConfigMap]\nmetadata:\n  name: a\n", nil,
		[]string{"a.yaml:1: object has a kind that is a list, not a string"}},
	{"a bad object does not hide the next", "kind: ConfigMap\n---\n" + cm("b"),
		[]obj{{"ConfigMap", "b", 3}},
		[]string{"a.yaml:1: ConfigMap has no apiVersion or metadata.name"}},

	// Malformed YAML: the line is the line of the file, not of the document.
	{"malformed document between two good ones", `apiVersion: v1
kind: ConfigMap
metadata:
  name: before
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  labels: {a: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after
`,
		[]obj{{"ConfigMap", "before", 1}, {"ConfigMap", "after", 12}},
		[]string{"a.yaml:10: invalid YAML: did not find expected ',' or '}'"}},
	{"bad indentation", cm("a") + "---\n" + cm("b") + " labels: {}\n---\n" + cm("c"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "c", 12}},
		[]string{"a.yaml:10: invalid YAML: did not find expected key"}},
	{"bad indentation in a sequence", cm("a") + "---\n# comment\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n    image: nginx\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:14: invalid YAML: did not find expected '-' indicator"}},
	{"tab indentation", cm("a") + "---\n" + cm("b") + "\tlabels: {}\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:10: invalid YAML: found a tab character that violates indentation"}},
	{"unterminated quote before the next document",
		cm("a") + "---\n" + cm("b") + "data:\n  k: \"oops\n\n---\n" + cm("c"),
		[]obj{{"ConfigMap", "a", 1}, {"ConfigMap", "c", 14}},
		[]string{"a.yaml:11: invalid YAML: found unexpected end of stream"}},
	{"unclosed flow sequence at the end of the file", cm("a") + "  labels: [\n",
		nil,
		[]string{"a.yaml:5: invalid YAML: did not find expected node content"}},
	{"error on the first line of a later document", cm("a") + "---\nkind: a: b\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:6: invalid YAML: mapping values are not allowed in this context"}},
	{"error on the first line of the file", "kind: a: b\n" + "---\n" + cm("b"),
		[]obj{{"ConfigMap", "b", 3}},
		[]string{"a.yaml:1: invalid YAML: mapping values are not allowed in this context"}},
	{"error after leading comments", "# one\n# two\nkind: a: b\n", nil,
		[]string{"a.yaml:3: invalid YAML: mapping values are not allowed in this context"}},
	{"unknown anchor", cm("a") + "---\n# c\n" + cm("b") + "data:\n  k: *nowhere\n",
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:7: invalid YAML: unknown anchor 'nowhere' referenced"}},
	{"control character", "apiVersion: v1\nkind: ConfigMap\x01\n", nil,
		[]string{"a.yaml:1: invalid YAML: control characters are not allowed"}},
	{"CRLF error line", strings.ReplaceAll(cm("a")+"---\n"+cm("b")+" bad: x\n", "\n", "\r\n"),
		[]obj{{"ConfigMap", "a", 1}},
		[]string{"a.yaml:10: invalid YAML: did not find expected key"}},
	{"several bad documents", "- x\n---\nkind: a: b\n---\n" + cm("ok") + "---\nkind: Secret\n",
		[]obj{{"ConfigMap", "ok", 5}},
		[]string{
			"a.yaml:1: document is a list, not a Kubernetes object",
			"a.yaml:3: invalid YAML: mapping values are not allowed in this context",
			"a.yaml:10: Secret has no apiVersion or metadata.name",
		}},
	{"a key given twice", cm("b") + "---\n" + cm("a") + "data:\n  k: one\n  k: two\n",
		[]obj{{"ConfigMap", "b", 1}},
		[]string{`a.yaml:12: invalid YAML: key "k" already set in map`}},
	{"a document too large for any API server", cm("b") + "---\n" + cm("a") + "data:\n  k: " + strings.Repeat("x", 9<<20) + "\n",
		[]obj{{"ConfigMap", "b", 1}},
		[]string{"a.yaml:6: document is 9.0 MiB: the API server takes objects of up to 3 MiB"}},
}

func TestParse(t *testing.T) {
	for _, test := range parseTests {
		t.Run(test.name, func(t *testing.T) {
			manifests, errs := sources.Parse("a.yaml", []byte(test.input))

			var got []obj
			for _, m := range manifests {
				if m.Origin.File != "a.yaml" {
					t.Errorf("%s/%s: origin file %q, want a.yaml", m.Object.GetKind(), m.Object.GetName(), m.Origin.File)
				}
				got = append(got, obj{m.Object.GetKind(), m.Object.GetName(), m.Origin.Line})
			}
			if fmt.Sprint(got) != fmt.Sprint(test.objects) {
				t.Errorf("objects:\n got %v\nwant %v", got, test.objects)
			}

			var gotErrs []string
			for _, err := range errs {
				gotErrs = append(gotErrs, err.Error())
				var se *sources.Error
				if !errors.As(err, &se) {
					t.Errorf("error %q is a %T, not a *sources.Error", err, err)
					continue
				}
				if se.Origin.File != "a.yaml" || !strings.HasPrefix(err.Error(), se.Origin.String()+": ") {
					t.Errorf("error %q has origin %+v", err, se.Origin)
				}
			}
			if strings.Join(gotErrs, "\n") != strings.Join(test.errors, "\n") {
				t.Errorf("errors:\n got %q\nwant %q", gotErrs, test.errors)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	const input = "apiVersion: apps/v1\r\n" +
		"kind: Deployment\r\n" +
		"metadata:\r\n" +
		"  name: web\r\n" +
		"  namespace: shop\r\n" +
		"spec:\r\n" +
		"  replicas: 3\r\n" +
		"  progressDeadlineSeconds: 600\r\n" +
		"  template:\r\n" +
		"    metadata:\r\n" +
		"      annotations:\r\n" +
		"        ratio: \"1.5\"\r\n" +
		"        weight: 0.25\r\n" +
		"    spec:\r\n" +
		"      containers:\r\n" +
		"      - name: web\r\n" +
		"        args:\r\n" +
		"        - |\r\n" +
		"          first\r\n" +
		"          ---\r\n" +
		"          --- # not a separator\r\n" +
		"          last\r\n"
	manifests, errs := sources.Parse("web.yaml", []byte(input))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(manifests) != 1 {
		t.Fatalf("got %d objects, want 1: the indented --- must not split the document", len(manifests))
	}
	o := manifests[0].Object.Object

	// Integers must come out as int64, as the API machinery expects, not as
	// float64, or every integer field would look drifted.
	spec := o["spec"].(map[string]any)
	if r, ok := spec["replicas"].(int64); !ok || r != 3 {
		t.Errorf("spec.replicas = %#v (%T), want int64(3)", spec["replicas"], spec["replicas"])
	}
	if r, ok := spec["progressDeadlineSeconds"].(int64); !ok || r != 600 {
		t.Errorf("spec.progressDeadlineSeconds = %#v (%T), want int64(600)", spec["progressDeadlineSeconds"], spec["progressDeadlineSeconds"])
	}
	tmpl := spec["template"].(map[string]any)
	ann := tmpl["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann["ratio"] != "1.5" {
		t.Errorf("quoted annotation = %#v, want the string \"1.5\"", ann["ratio"])
	}
	if ann["weight"] != 0.25 {
		t.Errorf("fraction = %#v (%T), want float64(0.25)", ann["weight"], ann["weight"])
	}

	// The block scalar keeps its "---" lines and loses the carriage returns.
	c := tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	want := "first\n---\n--- # not a separator\nlast\n"
	if got := c["args"].([]any)[0]; got != want {
		t.Errorf("block scalar = %q, want %q", got, want)
	}
	if name := manifests[0].Object.GetName(); name != "web" {
		t.Errorf("name = %q, want %q", name, "web")
	}
	if ns := manifests[0].Object.GetNamespace(); ns != "shop" {
		t.Errorf("namespace = %q, want %q", ns, "shop")
	}
}

// TestParseListItemsAreIndependent checks that the objects unpacked from a
// List do not share state with the List or with each other.
func TestParseListItemsAreIndependent(t *testing.T) {
	manifests, errs := sources.Parse("l.yaml", []byte(`apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: one}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
`))
	if len(errs) != 0 || len(manifests) != 2 {
		t.Fatalf("got %d objects and errors %v, want 2 objects", len(manifests), errs)
	}
	manifests[0].Object.SetNamespace("changed")
	if ns := manifests[1].Object.GetNamespace(); ns != "" {
		t.Errorf("second item namespace = %q after changing the first, want empty", ns)
	}
	if _, ok := manifests[0].Object.Object["items"]; ok {
		t.Errorf("an item holds the List's items field")
	}
}

func TestOriginString(t *testing.T) {
	for _, test := range []struct {
		origin sources.Origin
		want   string
	}{
		{sources.Origin{}, ""},
		{sources.Origin{File: "a.yaml"}, "a.yaml"},
		{sources.Origin{File: "a.yaml", Line: -1}, "a.yaml"},
		{sources.Origin{File: "dir/a.yaml", Line: 12}, "dir/a.yaml:12"},
		{sources.Origin{Line: 3}, ""},
		{sources.Origin{Source: sources.Source{Kind: sources.SourceKustomization, Name: "overlays/prod"}}, "kustomization overlays/prod"},
		{sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "shop/templates/web.yaml"}, "chart shop: shop/templates/web.yaml"},
		{sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "shop/templates/web.yaml", Line: 4}, "chart shop: shop/templates/web.yaml:4"},
	} {
		if got := test.origin.String(); got != test.want {
			t.Errorf("%#v.String() = %q, want %q", test.origin, got, test.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := error(&sources.Error{Origin: sources.Origin{File: "a.yaml", Line: 2}, Err: cause})
	if got, want := err.Error(), "a.yaml:2: cause"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, cause) = false, want true", err)
	}
}
