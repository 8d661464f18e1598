package ignore

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// objectOf parses one object as a client decodes it: integers as int64,
// numbers with a fraction as float64. "" is nil.
func objectOf(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	if text == "" {
		return nil
	}
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	// Not obj.UnmarshalJSON: some test objects are fragments without a
	// kind.
	var m map[string]any
	if err := utiljson.Unmarshal(j, &m); err != nil {
		t.Fatalf("decode %q: %v", text, err)
	}
	return &unstructured.Unstructured{Object: m}
}

// rulesOf parses a rule file that the test expects to be valid.
// objectIn returns what rules match of obj.
func objectIn(obj *unstructured.Unstructured) Object {
	return Object{Group: obj.GroupVersionKind().Group, Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

func rulesOf(t *testing.T, text string) *Rules {
	t.Helper()
	r, err := Parse(".kubedrift.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parse rules: %v\n%s", err, text)
	}
	return r
}

// sameObject fails the test when got is not want.
func sameObject(t *testing.T, side string, got, want *unstructured.Unstructured) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && !reflect.DeepEqual(got.Object, want.Object)) {
		g, _ := yaml.Marshal(got)
		w, _ := yaml.Marshal(want)
		t.Errorf("%s is\n%s\nwant\n%s", side, g, w)
	}
}

func globOf(s string) glob { return &s }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []Rule
		// err is the exact error; the file is named .kubedrift.yaml.
		err string
	}{
		{name: "empty file", file: ""},
		{name: "only comments", file: "# no rules yet\n\n"},
		{name: "empty document", file: "---\n"},
		{name: "empty list", file: "ignore: []\n"},
		{name: "null list", file: "ignore:\n"},
		{
			name: "every key",
			file: `# .kubedrift.yaml
ignore:
  - kind: Deployment
    group: apps
    namespace: "shop-*"
    name: web
    paths:
      - /spec/replicas
      - /spec/template/spec/containers/*/image
      - /metadata/annotations/example.com~1note
      - /metadata/labels/a~0b~01
  - kind: "*"
    managers: [kube-controller-manager, "hpa-*"]
  - group: ""
    namespace: ""
    paths: ["/"]
    managers: [helm]
`,
			want: []Rule{
				{
					group: globOf("apps"), kind: globOf("Deployment"),
					namespace: globOf("shop-*"), name: globOf("web"),
					paths: [][]string{
						{"spec", "replicas"},
						{"spec", "template", "spec", "containers", "*", "image"},
						{"metadata", "annotations", "example.com/note"},
						{"metadata", "labels", "a~b~1"},
					},
				},
				{kind: globOf("*"), managers: []string{"kube-controller-manager", "hpa-*"}},
				{group: globOf(""), namespace: globOf(""), paths: [][]string{{""}}, managers: []string{"helm"}},
			},
		},
		{
			name: "anchors",
			file: "ignore:\n  - managers: &m [helm]\n  - kind: Secret\n    managers: *m\n",
			want: []Rule{
				{managers: []string{"helm"}},
				{kind: globOf("Secret"), managers: []string{"helm"}},
			},
		},
		{
			name: "unknown top-level key",
			file: "ignore: []\nignores: []\n",
			err:  `.kubedrift.yaml:2: unknown key "ignores" (want ignore)`,
		},
		{
			name: "unknown rule key",
			file: "ignore:\n  - kind: Deployment\n    path: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:3: unknown key "path" (want group, kind, namespace, name, paths or managers)`,
		},
		{
			name: "rule with neither paths nor managers",
			file: "ignore:\n  - kind: Deployment\n  - kind: Service\n    paths: [/spec/clusterIP]\n",
			err:  `.kubedrift.yaml:2: rule has neither paths nor managers, so it would ignore nothing`,
		},
		{
			name: "rule with empty paths",
			file: "ignore:\n  - kind: Service\n    paths: []\n    managers: []\n",
			err:  `.kubedrift.yaml:2: rule has neither paths nor managers, so it would ignore nothing`,
		},
		{
			name: "pointer without a slash",
			file: "ignore:\n  - kind: Deployment\n    paths:\n      - /spec/paused\n      - spec/replicas\n",
			err:  `.kubedrift.yaml:5: path "spec/replicas": a JSON pointer starts with "/"`,
		},
		{
			name: "empty pointer",
			file: "ignore:\n  - paths: [\"\"]\n",
			err:  `.kubedrift.yaml:2: path "": a JSON pointer starts with "/"`,
		},
		{
			name: "bad escape",
			file: "ignore:\n  - paths:\n      - /metadata/annotations/a~2b\n",
			err:  `.kubedrift.yaml:3: path "/metadata/annotations/a~2b": "~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/")`,
		},
		{
			name: "escape at the end",
			file: "ignore:\n  - paths: [/metadata/a~]\n",
			err:  `.kubedrift.yaml:2: path "/metadata/a~": "~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/")`,
		},
		{
			name: "bad selector glob",
			file: "ignore:\n  - kind: \"[Deploy\"\n    paths: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:2: kind: bad glob "[Deploy": syntax error in pattern`,
		},
		{
			name: "bad manager glob",
			file: "ignore:\n  - managers:\n      - helm\n      - \"kube-[\"\n",
			err:  `.kubedrift.yaml:4: managers: bad glob "kube-[": syntax error in pattern`,
		},
		{
			name: "empty kind",
			file: "ignore:\n  - kind: \"\"\n    paths: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:2: kind: empty; leave the key out to match any`,
		},
		{
			name: "empty manager",
			file: "ignore:\n  - managers: [\"\"]\n",
			err:  `.kubedrift.yaml:2: managers: empty; leave the key out to match any`,
		},
		{
			name: "selector is a list",
			file: "ignore:\n  - kind: [Deployment, StatefulSet]\n    paths: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:2: kind: want a string, got a list`,
		},
		{
			name: "selector is a number",
			file: "ignore:\n  - name: 2024\n    paths: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:2: name: want a string, got the number 2024 (quote it to make it a string)`,
		},
		{
			name: "selector is null",
			file: "ignore:\n  - namespace:\n    paths: [/spec/replicas]\n",
			err:  `.kubedrift.yaml:2: namespace: want a string, got nothing`,
		},
		{
			name: "paths is a string",
			file: "ignore:\n  - kind: Deployment\n    paths: /spec/replicas\n",
			err:  `.kubedrift.yaml:3: paths: want a list, got a string`,
		},
		{
			name: "manager is a boolean",
			file: "ignore:\n  - managers:\n      - helm\n      - yes\n      - true\n",
			err:  `.kubedrift.yaml:5: managers: want a string, got the boolean true (quote it to make it a string)`,
		},
		{
			name: "rule is a string",
			file: "ignore:\n  - /spec/replicas\n",
			err:  `.kubedrift.yaml:2: rule: want a mapping, got a string`,
		},
		{
			name: "ignore is a mapping",
			file: "ignore:\n  kind: Deployment\n",
			err:  `.kubedrift.yaml:2: ignore: want a list of rules, got a mapping`,
		},
		{
			name: "top level is a list",
			file: "- kind: Deployment\n",
			err:  `.kubedrift.yaml:1: top level: want a mapping, got a list`,
		},
		{
			name: "key given twice",
			file: "ignore:\n  - kind: Deployment\n    paths: [/spec/replicas]\n    kind: StatefulSet\n",
			err:  `.kubedrift.yaml:4: kind given twice (first at line 2)`,
		},
		{
			name: "second document",
			file: "ignore: []\n---\nignore: []\n",
			err:  `.kubedrift.yaml:2: a rule file holds one YAML document; remove the second`,
		},
		{
			name: "YAML syntax",
			file: "ignore:\n  - kind: Deployment\n    paths: [/spec/replicas]\n  oops\n",
			err:  `.kubedrift.yaml:4: could not find expected ':'`,
		},
		{
			name: "tab indentation",
			file: "ignore:\n\t- kind: Deployment\n",
			err:  `.kubedrift.yaml:2: found character that cannot start any token`,
		},
		{
			name: "every mistake is reported",
			file: "ignore:\n  - kind: Deployment\n    pahts: [/spec/replicas]\n  - paths: [spec]\n",
			err: `.kubedrift.yaml:3: unknown key "pahts" (want group, kind, namespace, name, paths or managers)` + "\n" +
				`.kubedrift.yaml:4: path "spec": a JSON pointer starts with "/"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".kubedrift.yaml", []byte(tt.file))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error is %v\nwant %s", err, tt.err)
				}
				if got != nil {
					t.Errorf("rules are %+v with the error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.rules, tt.want) {
				t.Errorf("rules are\n%#v\nwant\n%#v", got.rules, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join("testdata", ".kubedrift.yaml")
	rules, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	live := objectOf(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop-eu}
spec:
  replicas: 4
  template:
    spec:
      containers: [{name: web, image: "shop/web:2"}]
`)
	want := objectOf(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop-eu}
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: web, image: "shop/web:1"}]
`)
	removed := rules.Apply(objectIn(live), live, want, nil)
	wantRemoved := []string{"/spec/replicas", "/spec/template/spec/containers/0/image"}
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("removed %q, want %q", removed, wantRemoved)
	}
	sameObject(t, "live", live, want)

	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil ||
		!strings.HasPrefix(err.Error(), "read ignore rules: open ") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: error is %v, want one naming the file", err)
	}

	bad := filepath.Join(t.TempDir(), ".kubedrift.yaml")
	if err := os.WriteFile(bad, []byte("ignore:\n  - kind: Deployment\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || err.Error() != bad+":2: rule has neither paths nor managers, so it would ignore nothing" {
		t.Errorf("bad file: error is %v, want one naming %s and line 2", err, bad)
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	// A search that finds nothing must not be fooled by a rule file above
	// the temporary directory; this test cannot run on such a machine.
	if found, err := Find(filepath.Dir(root)); err != nil || found != "" {
		t.Fatalf("a rule file (%q, %v) lies above %s; remove it to run this test", found, err, root)
	}
	mkdir := func(parts ...string) string {
		dir := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	write := func(dir string) string {
		path := filepath.Join(dir, ".kubedrift.yaml")
		if err := os.WriteFile(path, []byte("ignore: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	repo := mkdir("repo")
	deep := mkdir("repo", "apps", "shop", "k8s")
	app := mkdir("repo", "apps", "shop")
	other := mkdir("other", "k8s")
	broken := mkdir("broken", "k8s")
	mkdir("broken", ".kubedrift.yaml")
	repoConfig := write(repo)
	appConfig := write(app)
	manifest := filepath.Join(deep, "web.yaml")
	if err := os.WriteFile(manifest, []byte("kind: Deployment\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		dir  string
		want string
		err  string
	}{
		{name: "in the directory", dir: app, want: appConfig},
		{name: "nearest parent wins", dir: deep, want: appConfig},
		{name: "a parent", dir: mkdir("repo", "apps"), want: repoConfig},
		{name: "none", dir: other},
		{name: "directory that does not exist", dir: filepath.Join(repo, "nope", "k8s"), want: repoConfig},
		{name: "a manifest file", dir: manifest, want: appConfig},
		{name: "directory named like the file", dir: broken, err: filepath.Join(root, "broken", ".kubedrift.yaml") + " is a directory, not a rule file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.dir)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error is %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Find(%s) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}

	t.Run("relative directory", func(t *testing.T) {
		t.Chdir(deep)
		got, err := Find(".")
		if err != nil || got != appConfig {
			t.Errorf("Find(.) = %q, %v, want %q", got, err, appConfig)
		}
	})
}

func TestSelectors(t *testing.T) {
	deployment := Object{Group: "apps", Kind: "Deployment", Namespace: "shop-eu", Name: "web-1"}
	tests := []struct {
		name      string
		selectors string
		match     []Object
		noMatch   []Object
	}{
		{
			name:      "no selectors match anything",
			selectors: "",
			match:     []Object{deployment, {Kind: "Namespace", Name: "shop"}},
		},
		{
			name:      "group and kind",
			selectors: "group: apps\n    kind: Deployment",
			match:     []Object{deployment},
			noMatch: []Object{
				{Group: "extensions", Kind: "Deployment", Namespace: "shop", Name: "web"},
				{Group: "apps", Kind: "StatefulSet", Namespace: "shop", Name: "web"},
				{Group: "apps", Kind: "deployment", Namespace: "shop", Name: "web"},
			},
		},
		{
			name:      "empty group is the core group",
			selectors: `group: ""`,
			match:     []Object{{Kind: "ConfigMap", Namespace: "shop", Name: "settings"}},
			noMatch:   []Object{deployment},
		},
		{
			name:      "kind glob",
			selectors: `kind: "*Set"`,
			match: []Object{
				{Group: "apps", Kind: "StatefulSet", Namespace: "shop", Name: "db"},
				{Group: "apps", Kind: "ReplicaSet", Namespace: "shop", Name: "web-7d9f"},
			},
			noMatch: []Object{deployment},
		},
		{
			name:      "group glob",
			selectors: `group: "*.example.com"`,
			match:     []Object{{Group: "shop.example.com", Kind: "Cart", Namespace: "shop", Name: "c"}},
			noMatch:   []Object{deployment, {Kind: "Service", Namespace: "shop", Name: "web"}},
		},
		{
			name:      "namespace glob",
			selectors: `namespace: "shop-*"`,
			match:     []Object{deployment, {Kind: "Service", Namespace: "shop-", Name: "web"}},
			noMatch: []Object{
				{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web-1"},
				{Kind: "Namespace", Name: "shop-eu"},
			},
		},
		{
			name:      "empty namespace is cluster-scoped",
			selectors: `namespace: ""`,
			match:     []Object{{Kind: "Namespace", Name: "shop"}},
			noMatch:   []Object{deployment},
		},
		{
			name:      "name glob",
			selectors: `name: "web-?"`,
			match:     []Object{deployment},
			noMatch:   []Object{{Group: "apps", Kind: "Deployment", Namespace: "shop-eu", Name: "web-10"}},
		},
		{
			name:      "every selector must match",
			selectors: "group: apps\n    kind: Deployment\n    namespace: shop-eu\n    name: web-1",
			match:     []Object{deployment},
			noMatch: []Object{
				{Group: "apps", Kind: "Deployment", Namespace: "shop-eu", Name: "web-2"},
				{Group: "apps", Kind: "Deployment", Namespace: "shop-us", Name: "web-1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := rulesOf(t, "ignore:\n  - paths: [/spec/replicas]\n    "+tt.selectors+"\n")
			for _, ref := range tt.match {
				live := objectOf(t, "spec: {replicas: 2, paused: false}")
				if removed := rules.Apply(ref, live, nil, nil); !slices.Equal(removed, []string{"/spec/replicas"}) {
					t.Errorf("%v: removed %q, want the rule to match", ref, removed)
				}
				sameObject(t, "live", live, objectOf(t, "spec: {paused: false}"))
			}
			for _, ref := range tt.noMatch {
				live := objectOf(t, "spec: {replicas: 2, paused: false}")
				if removed := rules.Apply(ref, live, nil, nil); removed != nil {
					t.Errorf("%v: removed %q, want the rule not to match", ref, removed)
				}
				sameObject(t, "live", live, objectOf(t, "spec: {replicas: 2, paused: false}"))
			}
		})
	}
}

func TestPaths(t *testing.T) {
	const live = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {example.com/note: hi, "a~b": x}
spec:
  replicas: 5
  strategy: {}
  template:
    spec:
      containers:
      - {name: web, image: "web:2"}
      - {name: log, image: "log:1"}
`
	const want = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  strategy: {}
  template:
    spec:
      containers:
      - {name: web, image: "web:1"}
`
	tests := []struct {
		name  string
		paths []string
		// afterLive and afterWant are the objects after Apply; "" means
		// unchanged.
		afterLive, afterWant string
		removed              []string
	}{
		{
			name:      "a scalar on both sides",
			paths:     []string{"/spec/replicas"},
			afterLive: strings.Replace(live, "  replicas: 5\n", "", 1),
			afterWant: strings.Replace(want, "  replicas: 3\n", "", 1),
			removed:   []string{"/spec/replicas"},
		},
		{
			name:      "star over a list",
			paths:     []string{"/spec/template/spec/containers/*/image"},
			afterLive: strings.NewReplacer(`, image: "web:2"`, "", `, image: "log:1"`, "").Replace(live),
			afterWant: strings.Replace(want, `, image: "web:1"`, "", 1),
			removed:   []string{"/spec/template/spec/containers/0/image", "/spec/template/spec/containers/1/image"},
		},
		{
			name:      "escaped keys, and the map they leave empty",
			paths:     []string{"/metadata/annotations/example.com~1note", "/metadata/annotations/a~0b"},
			afterLive: strings.Replace(live, `  annotations: {example.com/note: hi, "a~b": x}`+"\n", "", 1),
			removed:   []string{"/metadata/annotations/a~0b", "/metadata/annotations/example.com~1note"},
		},
		{
			name:      "one escaped key",
			paths:     []string{"/metadata/annotations/example.com~1note"},
			afterLive: strings.Replace(live, `example.com/note: hi, `, "", 1),
			removed:   []string{"/metadata/annotations/example.com~1note"},
		},
		{
			name:      "star over a map",
			paths:     []string{"/metadata/annotations/*"},
			afterLive: strings.Replace(live, `  annotations: {example.com/note: hi, "a~b": x}`+"\n", "", 1),
			removed:   []string{"/metadata/annotations/a~0b", "/metadata/annotations/example.com~1note"},
		},
		{
			name:      "an index",
			paths:     []string{"/spec/template/spec/containers/1"},
			afterLive: strings.Replace(live, `      - {name: log, image: "log:1"}`+"\n", "", 1),
			removed:   []string{"/spec/template/spec/containers/1"},
		},
		{
			name:      "indexes are those before removal",
			paths:     []string{"/spec/template/spec/containers/0", "/spec/template/spec/containers/1/image"},
			afterLive: strings.NewReplacer(`      - {name: web, image: "web:2"}`+"\n", "", `, image: "log:1"`, "").Replace(live),
			// The only container goes, then the list, then the maps
			// that held nothing else.
			afterWant: strings.Replace(want, "  template:\n    spec:\n      containers:\n      - {name: web, image: \"web:1\"}\n", "", 1),
			removed:   []string{"/spec/template/spec/containers/0", "/spec/template/spec/containers/1/image"},
		},
		{
			name:      "a parent hides its children",
			paths:     []string{"/spec/template/spec/containers/*/image", "/spec/template"},
			afterLive: live[:strings.Index(live, "  template:")],
			afterWant: want[:strings.Index(want, "  template:")],
			removed:   []string{"/spec/template"},
		},
		{
			name:      "the same field twice",
			paths:     []string{"/spec/replicas", "/spec/replicas", "/spec/*"},
			afterLive: live[:strings.Index(live, "spec:\n")],
			afterWant: want[:strings.Index(want, "spec:\n")],
			removed:   []string{"/spec/replicas", "/spec/strategy", "/spec/template"},
		},
		{
			name: "nothing matches",
			paths: []string{
				"/spec/paused",
				"/spec/replicas/value",
				"/spec/template/spec/containers/2",
				"/spec/template/spec/containers/01",
				"/spec/template/spec/containers/-",
				"/spec/template/spec/containers/image",
				"/metadata/labels/app/x",
				"/",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := rulesOf(t, ignorePathsFile(tt.paths))
			l, w := objectOf(t, live), objectOf(t, want)
			removed := rules.Apply(objectIn(l), l, w, nil)
			if !slices.Equal(removed, tt.removed) {
				t.Errorf("removed %q, want %q", removed, tt.removed)
			}
			afterLive, afterWant := tt.afterLive, tt.afterWant
			if afterLive == "" {
				afterLive = live
			}
			if afterWant == "" {
				afterWant = want
			}
			sameObject(t, "live", l, objectOf(t, afterLive))
			sameObject(t, "want", w, objectOf(t, afterWant))
		})
	}
}

// ignorePathsFile is a rule file with one rule, for any object, that ignores
// paths.
func ignorePathsFile(paths []string) string {
	var b strings.Builder
	b.WriteString("ignore:\n  - paths:\n")
	for _, p := range paths {
		q, _ := json.Marshal(p)
		b.WriteString("      - " + string(q) + "\n")
	}
	return b.String()
}

// ignoreDeployment is a live Deployment that several managers wrote to:
// kubedrift applied it, `kubectl scale` and `kubectl set image` changed it, a
// controller annotated it, a webhook injected a sidecar and a controller
// added its finalizer. ignoreManagedFields is its managedFields.
const ignoreDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations:
    deployment.kubernetes.io/revision: "2"
    sidecar.istio.io/status: injected
  finalizers: [example.com/cleanup]
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: istio-proxy, image: "istio/proxyv2:1.22"}
      - name: web
        image: "shop/web:1.1"
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080, protocol: TCP, name: http}]
`

const ignoreManagedFields = `[
  {"manager": "kubedrift", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-05-04T10:00:00Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
     "f:spec": {"f:selector": {}, "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
       "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:name": {},
         "f:ports": {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:name": {}}}}}}}}}},
  {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T10:00:01Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}}},
  {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T10:00:02Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:status": {"f:availableReplicas": {}, "f:replicas": {}}}, "subresource": "status"},
  {"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T11:00:00Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:spec": {"f:replicas": {}}}, "subresource": "scale"},
  {"manager": "kubectl-set", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T11:05:00Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}}}}}}}},
  {"manager": "sidecar-injector", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T10:00:00Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:metadata": {"f:annotations": {"f:sidecar.istio.io/status": {}}},
     "f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"istio-proxy\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
  {"manager": "cleanup-controller", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-05-04T10:00:03Z", "fieldsType": "FieldsV1",
   "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, "v:\"example.com/cleanup\"": {}}}}}
]`

// ignoreManifest is what the Deployment's manifest asks for, as the offline
// mode sees it: no sidecar, no annotations, the containers in another order.
// Its containerPort is made a float64 below, as a YAML reader may leave it.
const ignoreManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "shop/web:1.0"
        ports: [{containerPort: 8080, protocol: TCP, name: http}]
`

func ignoreEntries(t *testing.T, text string) []metav1.ManagedFieldsEntry {
	t.Helper()
	var entries []metav1.ManagedFieldsEntry
	if err := json.Unmarshal([]byte(text), &entries); err != nil {
		t.Fatalf("managedFields: %v", err)
	}
	return entries
}

func TestManagers(t *testing.T) {
	// Expected objects, each the live Deployment or the manifest less what
	// a case ignores.
	cut := func(s string, olds ...string) string {
		for _, old := range olds {
			if !strings.Contains(s, old) {
				t.Fatalf("test is wrong: %q is not in\n%s", old, s)
			}
			s = strings.Replace(s, old, "", 1)
		}
		return s
	}
	const (
		replicas5  = "  replicas: 5\n"
		replicas3  = "  replicas: 3\n"
		revision   = "    deployment.kubernetes.io/revision: \"2\"\n"
		sidecarAnn = "    sidecar.istio.io/status: injected\n"
		sidecar    = "      - {name: istio-proxy, image: \"istio/proxyv2:1.22\"}\n"
		finalizer  = "  finalizers: [example.com/cleanup]\n"
	)
	tests := []struct {
		name string
		rule string
		// live, want and managedFields default to ignoreDeployment,
		// ignoreManifest and ignoreManagedFields.
		live, want    string
		managedFields []metav1.ManagedFieldsEntry
		// afterLive and afterWant are the objects after Apply; "" means
		// unchanged.
		afterLive, afterWant string
		removed              []string
	}{
		{
			name:      "kubectl scale",
			rule:      "managers: [kubectl]",
			afterLive: cut(ignoreDeployment, replicas5),
			afterWant: cut(ignoreManifest, replicas3),
			removed:   []string{"/spec/replicas"},
		},
		{
			name:      "a glob over kubectl's managers",
			rule:      `managers: ["kubectl*"]`,
			afterLive: cut(ignoreDeployment, replicas5, "        image: \"shop/web:1.1\"\n"),
			afterWant: cut(ignoreManifest, replicas3, "        image: \"shop/web:1.0\"\n"),
			removed: []string{
				"/spec/replicas",
				"/spec/template/spec/containers/0/image", // in the manifest
				"/spec/template/spec/containers/1/image", // in live
			},
		},
		{
			name:      "a controller, without its status entry",
			rule:      `managers: ["kube-*"]`,
			afterLive: cut(ignoreDeployment, revision),
			removed:   []string{"/metadata/annotations/deployment.kubernetes.io~1revision"},
		},
		{
			name:      "an injected sidecar",
			rule:      "managers: [sidecar-injector]",
			afterLive: cut(ignoreDeployment, sidecarAnn, sidecar),
			removed:   []string{"/metadata/annotations/sidecar.istio.io~1status", "/spec/template/spec/containers/0"},
		},
		{
			name:      "a map left empty goes",
			rule:      "managers: [sidecar-injector, kube-controller-manager]",
			afterLive: cut(ignoreDeployment, "  annotations:\n", revision, sidecarAnn, sidecar),
			removed: []string{
				"/metadata/annotations/deployment.kubernetes.io~1revision",
				"/metadata/annotations/sidecar.istio.io~1status",
				"/spec/template/spec/containers/0",
			},
		},
		{
			name:      "an element of a set",
			rule:      "managers: [cleanup-controller]",
			afterLive: cut(ignoreDeployment, finalizer),
			removed:   []string{"/metadata/finalizers/0"},
		},
		{
			name: "an applier: merge keys stay while others own fields",
			rule: "managers: [kubedrift]",
			afterLive: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    deployment.kubernetes.io/revision: "2"
    sidecar.istio.io/status: injected
  finalizers: [example.com/cleanup]
spec:
  replicas: 5
  template:
    spec:
      containers:
      - {name: istio-proxy, image: "istio/proxyv2:1.22"}
      - {name: web, image: "shop/web:1.1", imagePullPolicy: IfNotPresent}
`,
			afterWant: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - {name: web, image: "shop/web:1.0"}
`,
			removed: []string{
				"/metadata/labels/app",
				"/spec/selector",
				"/spec/template/metadata/labels/app",
				"/spec/template/spec/containers/0/ports/0",
				"/spec/template/spec/containers/1/ports/0",
			},
		},
		{
			name: "status entries count",
			rule: "managers: [kube-controller-manager]",
			managedFields: []metav1.ManagedFieldsEntry{{
				Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status",
				FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}},"f:status":{"f:replicas":{}}}`),
			}},
			afterLive: cut(ignoreDeployment, replicas5),
			afterWant: cut(ignoreManifest, replicas3),
			removed:   []string{"/spec/replicas"},
		},
		{
			name: "an unreadable entry is skipped, the others apply",
			rule: "managers: [kubectl]",
			managedFields: append(ignoreEntries(t, ignoreManagedFields), metav1.ManagedFieldsEntry{
				Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate,
				FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:labels":`),
			}),
			afterLive: cut(ignoreDeployment, replicas5),
			afterWant: cut(ignoreManifest, replicas3),
			removed:   []string{"/spec/replicas"},
		},
		{
			name: "an index",
			rule: "managers: [args-bot]",
			live: "spec: {containers: [{name: web, args: [--port, '8080', --verbose]}]}",
			want: "spec: {containers: [{name: web, args: [--port, '8080']}]}",
			managedFields: ignoreEntries(t, `[{"manager": "args-bot", "operation": "Update", "fieldsType": "FieldsV1",
				"fieldsV1": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {"f:args": {"i:2": {}}}}}}}]`),
			afterLive: "spec: {containers: [{name: web, args: [--port, '8080']}]}",
			removed:   []string{"/spec/containers/0/args/2"},
		},
		{
			name:      "paths and managers in one rule",
			rule:      "paths: [/metadata/finalizers]\n    managers: [kubectl]",
			afterLive: cut(ignoreDeployment, replicas5, finalizer),
			afterWant: cut(ignoreManifest, replicas3),
			removed:   []string{"/metadata/finalizers", "/spec/replicas"},
		},
		{
			name: "a manager that is not there",
			rule: `managers: [helm, "kubectl-edit"]`,
		},
		{
			name:          "no managedFields",
			rule:          "managers: [kubectl]",
			managedFields: []metav1.ManagedFieldsEntry{},
		},
		{
			name: "a manager of another kind",
			rule: "kind: StatefulSet\n    managers: [kubectl]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, want := ignoreOr(tt.live, ignoreDeployment), ignoreOr(tt.want, ignoreManifest)
			afterLive, afterWant := ignoreOr(tt.afterLive, live), ignoreOr(tt.afterWant, want)
			managedFields := tt.managedFields
			if managedFields == nil {
				managedFields = ignoreEntries(t, ignoreManagedFields)
			}
			rules := rulesOf(t, "ignore:\n  - "+tt.rule+"\n")
			l, w := objectOf(t, live), objectOf(t, want)
			ignoreFloatPorts(w)
			ref := Object{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
			removed := rules.Apply(ref, l, w, managedFields)
			if !slices.Equal(removed, tt.removed) {
				t.Errorf("removed %q, want %q", removed, tt.removed)
			}
			expectWant := objectOf(t, afterWant)
			ignoreFloatPorts(expectWant)
			sameObject(t, "live", l, objectOf(t, afterLive))
			sameObject(t, "want", w, expectWant)
		})
	}
}

// ignoreOr returns s, or def when s is empty.
func ignoreOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ignoreFloatPorts turns the containerPorts of obj's containers into
// float64, the way a YAML reader may leave a manifest's numbers.
func ignoreFloatPorts(obj *unstructured.Unstructured) {
	containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		ports, _ := c.(map[string]any)["ports"].([]any)
		for _, p := range ports {
			if n, ok := p.(map[string]any)["containerPort"].(int64); ok {
				p.(map[string]any)["containerPort"] = float64(n)
			}
		}
	}
	if containers != nil {
		_ = unstructured.SetNestedSlice(obj.Object, containers, "spec", "template", "spec", "containers")
	}
}

func TestNil(t *testing.T) {
	ref := Object{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	entries := ignoreEntries(t, ignoreManagedFields)
	rules := rulesOf(t, "ignore:\n  - paths: [/metadata/labels]\n    managers: [kubectl]\n")
	tests := []struct {
		name                 string
		rules                *Rules
		live, want           *unstructured.Unstructured
		afterLive, afterWant *unstructured.Unstructured
		removed              []string
	}{
		{
			name:      "nil rules ignore nothing",
			live:      objectOf(t, ignoreDeployment),
			want:      objectOf(t, ignoreManifest),
			afterLive: objectOf(t, ignoreDeployment),
			afterWant: objectOf(t, ignoreManifest),
		},
		{
			name:      "no rules ignore nothing",
			rules:     rulesOf(t, ""),
			live:      objectOf(t, ignoreDeployment),
			want:      objectOf(t, ignoreManifest),
			afterLive: objectOf(t, ignoreDeployment),
			afterWant: objectOf(t, ignoreManifest),
		},
		{
			name:      "no live object",
			rules:     rules,
			want:      objectOf(t, ignoreManifest),
			afterWant: objectOf(t, strings.NewReplacer("  labels: {app: web}\n", "", "  replicas: 3\n", "").Replace(ignoreManifest)),
			removed:   []string{"/metadata/labels", "/spec/replicas"},
		},
		{
			name:      "no desired object",
			rules:     rules,
			live:      objectOf(t, ignoreDeployment),
			afterLive: objectOf(t, strings.NewReplacer("  labels: {app: web}\n", "", "  replicas: 5\n", "").Replace(ignoreDeployment)),
			removed:   []string{"/metadata/labels", "/spec/replicas"},
		},
		{
			name:  "no objects",
			rules: rules,
		},
		{
			name:      "objects without content",
			rules:     rules,
			live:      &unstructured.Unstructured{},
			want:      &unstructured.Unstructured{Object: map[string]any{}},
			afterLive: &unstructured.Unstructured{},
			afterWant: &unstructured.Unstructured{Object: map[string]any{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			removed := tt.rules.Apply(ref, tt.live, tt.want, entries)
			if !slices.Equal(removed, tt.removed) {
				t.Errorf("removed %q, want %q", removed, tt.removed)
			}
			sameObject(t, "live", tt.live, tt.afterLive)
			sameObject(t, "want", tt.want, tt.afterWant)
		})
	}
}

func TestTake(t *testing.T) {
	live := objectOf(t, `apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {a: "1"}}
spec:
  containers:
  - {name: a, image: "x:1"}
  - {name: b, image: "y:1"}
`)
	want := objectOf(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: "x:1"}
  - {name: b, image: "y:2"}
`)
	paths := [][]string{{"spec", "containers", "*", "image"}, {"metadata", "annotations", "a"}, {"status", "phase"}}
	got := Take(live, want, paths)
	if w := []string{"/metadata/annotations/a", "/spec/containers/1/image"}; !slices.Equal(got, w) {
		t.Errorf("Take returned %q, want %q", got, w)
	}
	after := objectOf(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a}
  - {name: b}
`)
	sameObject(t, "live", live, after)
	sameObject(t, "want", want, after)
}
