package drift

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// fieldsObject reads a YAML object for the field tests.
func fieldsObject(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	// Through JSON, as a client reads objects, so that integers are int64.
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("read %q: %v", doc, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(j); err != nil {
		t.Fatalf("read %q: %v", doc, err)
	}
	return obj
}

// fieldsDeployment returns a Deployment whose pod spec is podSpec, YAML indented
// to sit under spec.template.spec.
func fieldsDeployment(replicas string, podSpec string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: ` + replicas + `
  template:
    spec:
` + podSpec
}

func TestFieldChanges(t *testing.T) {
	tests := []struct {
		name       string
		live, want string
		changes    []Change
	}{
		{
			name:    "scalar change",
			live:    fieldsDeployment("5", "      containers: [{name: web, image: nginx}]\n"),
			want:    fieldsDeployment("3", "      containers: [{name: web, image: nginx}]\n"),
			changes: []Change{{Path: "spec.replicas", Pointer: "/spec/replicas", Live: int64(5), Want: int64(3)}},
		},
		{
			name: "equal objects",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx}]\n"),
		},
		{
			name: "integer and float are the same number",
			live: `{kind: Deployment, spec: {replicas: 3}}`,
			want: `{kind: Deployment, spec: {replicas: 3.0}}`,
		},
		{
			name: "added, removed and changed map keys",
			live: `{kind: ConfigMap, data: {a: "1", b: "2", c: "3"}}`,
			want: `{kind: ConfigMap, data: {a: "1", c: "4", d: "5"}}`,
			changes: []Change{
				{Path: "data.b", Pointer: "/data/b", Live: "2"},
				{Path: "data.c", Pointer: "/data/c", Live: "3", Want: "4"},
				{Path: "data.d", Pointer: "/data/d", Want: "5"},
			},
		},
		{
			name: "label removed from live",
			live: `{kind: ConfigMap, metadata: {name: c, labels: {app: web}}}`,
			want: `{kind: ConfigMap, metadata: {name: c, labels: {app: web, tier: front}}}`,
			changes: []Change{
				{Path: "metadata.labels.tier", Pointer: "/metadata/labels/tier", Want: "front"},
			},
		},
		{
			name: "only label removed from live takes its map along",
			live: `{kind: ConfigMap, metadata: {name: c}}`,
			want: `{kind: ConfigMap, metadata: {name: c, labels: {tier: front}}}`,
			changes: []Change{
				{Path: "metadata.labels.tier", Pointer: "/metadata/labels/tier", Want: "front"},
			},
		},
		{
			name: "container image changed in a keyed list",
			live: fieldsDeployment("3", "      containers: [{name: sidecar, image: envoy}, {name: web, image: \"nginx:1.25\"}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: sidecar, image: envoy}, {name: web, image: \"nginx:1.24\"}]\n"),
			changes: []Change{{
				Path:    "spec.template.spec.containers[name=web].image",
				Pointer: "/spec/template/spec/containers/1/image",
				Live:    "nginx:1.25", Want: "nginx:1.24",
			}},
		},
		{
			name: "list reorder is not a change",
			live: fieldsDeployment("3", `      containers:
      - name: web
        image: nginx
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        ports: [{containerPort: 80, protocol: TCP}, {containerPort: 443, protocol: TCP}]
        volumeMounts: [{name: data, mountPath: /data}, {name: cache, mountPath: /cache}]
      - {name: sidecar, image: envoy}
      volumes: [{name: data, emptyDir: {}}, {name: cache, emptyDir: {}}]
`),
			want: fieldsDeployment("3", `      volumes: [{name: cache, emptyDir: {}}, {name: data, emptyDir: {}}]
      containers:
      - {name: sidecar, image: envoy}
      - name: web
        image: nginx
        env: [{name: B, value: "2"}, {name: A, value: "1"}]
        ports: [{containerPort: 443, protocol: TCP}, {containerPort: 80, protocol: TCP}]
        volumeMounts: [{name: cache, mountPath: /cache}, {name: data, mountPath: /data}]
`),
		},
		{
			name: "env var added, with want's index in the pointer",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx, env: [{name: A, value: \"1\"}]}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx, env: [{name: LOG_LEVEL, value: debug}, {name: A, value: \"1\"}]}]\n"),
			changes: []Change{{
				Path:    "spec.template.spec.containers[name=web].env[name=LOG_LEVEL]",
				Pointer: "/spec/template/spec/containers/0/env/0",
				Want:    map[string]any{"name": "LOG_LEVEL", "value": "debug"},
			}},
		},
		{
			name: "env var removed and env var changed",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx, env: [{name: A, value: \"1\"}, {name: B, value: \"2\"}]}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx, env: [{name: B, value: \"3\"}]}]\n"),
			changes: []Change{
				{
					Path:    "spec.template.spec.containers[name=web].env[name=A]",
					Pointer: "/spec/template/spec/containers/0/env/0",
					Live:    map[string]any{"name": "A", "value": "1"},
				},
				{
					Path:    "spec.template.spec.containers[name=web].env[name=B].value",
					Pointer: "/spec/template/spec/containers/0/env/1/value",
					Live:    "2", Want: "3",
				},
			},
		},
		{
			name: "container port changed is one port gone and one new",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 80, protocol: TCP}]}]\n"),
			// A manifest may leave protocol out; the server makes it TCP.
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]\n"),
			changes: []Change{
				{
					Path:    "spec.template.spec.containers[name=web].ports[containerPort=80,protocol=TCP]",
					Pointer: "/spec/template/spec/containers/0/ports/0",
					Live:    map[string]any{"name": "http", "containerPort": int64(80), "protocol": "TCP"},
				},
				{
					Path:    "spec.template.spec.containers[name=web].ports[containerPort=8080,protocol=TCP]",
					Pointer: "/spec/template/spec/containers/0/ports/0",
					Want:    map[string]any{"name": "http", "containerPort": int64(8080)},
				},
			},
		},
		{
			// want leaves protocol out: the port still matches the live
			// TCP one, and the missing field is a change of its own.
			name: "service port target changed",
			live: `{kind: Service, spec: {ports: [{port: 53, protocol: UDP, targetPort: 53}, {port: 53, protocol: TCP, targetPort: 5353}]}}`,
			want: `{kind: Service, spec: {ports: [{port: 53, targetPort: 53}, {port: 53, protocol: UDP, targetPort: 53}]}}`,
			changes: []Change{
				{
					Path:    "spec.ports[port=53,protocol=TCP].protocol",
					Pointer: "/spec/ports/1/protocol",
					Live:    "TCP",
				},
				{
					Path:    "spec.ports[port=53,protocol=TCP].targetPort",
					Pointer: "/spec/ports/1/targetPort",
					Live:    int64(5353), Want: int64(53),
				},
			},
		},
		{
			name: "quantity strings",
			live: fieldsDeployment("3", `      containers:
      - name: web
        resources:
          limits: {cpu: 500m, memory: 1Gi}
          requests: {cpu: "1", memory: 512Mi}
        volumeMounts: []
      volumes: [{name: tmp, emptyDir: {sizeLimit: 1Gi}}]
`),
			want: fieldsDeployment("3", `      containers:
      - name: web
        resources:
          limits: {cpu: "0.5", memory: 2Gi}
          requests: {cpu: 1, memory: 0.5Gi}
        volumeMounts: []
      volumes: [{name: tmp, emptyDir: {sizeLimit: 1024Mi}}]
`),
			changes: []Change{{
				Path:    "spec.template.spec.containers[name=web].resources.limits.memory",
				Pointer: "/spec/template/spec/containers/0/resources/limits/memory",
				Live:    "1Gi", Want: "2Gi",
			}},
		},
		{
			name: "quantity-like strings elsewhere compare exactly",
			live: `{kind: ConfigMap, data: {ratio: "1.0", cpu: 500m}}`,
			want: `{kind: ConfigMap, data: {ratio: "1", cpu: "0.5"}}`,
			changes: []Change{
				{Path: "data.cpu", Pointer: "/data/cpu", Live: "500m", Want: "0.5"},
				{Path: "data.ratio", Pointer: "/data/ratio", Live: "1.0", Want: "1"},
			},
		},
		{
			name: "nested new map is reported at its leaves",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx}]\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"),
			changes: []Change{
				{Path: "spec.template.spec.securityContext.runAsNonRoot", Pointer: "/spec/template/spec/securityContext/runAsNonRoot", Want: true},
				{Path: "spec.template.spec.securityContext.seccompProfile.type", Pointer: "/spec/template/spec/securityContext/seccompProfile/type", Want: "RuntimeDefault"},
			},
		},
		{
			name: "empty map facing an absent one is one change",
			live: `{kind: ConfigMap, metadata: {name: c, annotations: {}}}`,
			want: `{kind: ConfigMap, metadata: {name: c}}`,
			changes: []Change{
				{Path: "metadata.annotations", Pointer: "/metadata/annotations", Live: map[string]any{}},
			},
		},
		{
			name: "keys that need quoting",
			live: `{kind: ConfigMap, metadata: {name: c, labels: {app.kubernetes.io/name: web}}, data: {log-level: info, "0": a, "a~b": x, "say \"hi\"": "y", plain_key1: z}}`,
			want: `{kind: ConfigMap, metadata: {name: c, labels: {app.kubernetes.io/name: shop}}, data: {log-level: debug, "0": b, "a~b": xx, "say \"hi\"": yy, plain_key1: zz}}`,
			changes: []Change{
				{Path: `data["0"]`, Pointer: "/data/0", Live: "a", Want: "b"},
				{Path: `data["a~b"]`, Pointer: "/data/a~0b", Live: "x", Want: "xx"},
				{Path: `data["log-level"]`, Pointer: "/data/log-level", Live: "info", Want: "debug"},
				{Path: `data.plain_key1`, Pointer: "/data/plain_key1", Live: "z", Want: "zz"},
				{Path: `data["say \"hi\""]`, Pointer: `/data/say "hi"`, Live: "y", Want: "yy"},
				{Path: `metadata.labels["app.kubernetes.io/name"]`, Pointer: "/metadata/labels/app.kubernetes.io~1name", Live: "web", Want: "shop"},
			},
		},
		{
			name: "key values that need quoting",
			live: `{kind: X, spec: {items: [{name: "a b", v: 1}, {name: "c,d]", v: 1}]}}`,
			want: `{kind: X, spec: {items: [{name: "a b", v: 2}, {name: "c,d]", v: 2}]}}`,
			changes: []Change{
				{Path: `spec.items[name="a b"].v`, Pointer: "/spec/items/0/v", Live: int64(1), Want: int64(2)},
				{Path: `spec.items[name="c,d]"].v`, Pointer: "/spec/items/1/v", Live: int64(1), Want: int64(2)},
			},
		},
		{
			name: "scalar lists compare as a whole",
			live: fieldsDeployment("3", "      containers: [{name: web, image: nginx, args: [--port, \"80\"], command: [nginx]}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web, image: nginx, args: [--port, \"8080\"], command: [nginx]}]\n"),
			changes: []Change{{
				Path:    "spec.template.spec.containers[name=web].args",
				Pointer: "/spec/template/spec/containers/0/args",
				Live:    []any{"--port", "80"}, Want: []any{"--port", "8080"},
			}},
		},
		{
			name: "list without a key matches by index",
			live: fieldsDeployment("3", "      containers: [{name: web}]\n      tolerations: [{key: a, effect: NoSchedule}, {key: b, effect: NoSchedule}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web}]\n      tolerations: [{key: b, effect: NoSchedule}]\n"),
			changes: []Change{
				{Path: "spec.template.spec.tolerations[0].key", Pointer: "/spec/template/spec/tolerations/0/key", Live: "a", Want: "b"},
				{Path: "spec.template.spec.tolerations[1]", Pointer: "/spec/template/spec/tolerations/1", Live: map[string]any{"key": "b", "effect": "NoSchedule"}},
			},
		},
		{
			name:    "unknown list with unique names matches by name",
			live:    `{kind: Widget, spec: {parts: [{name: a, size: 1}, {name: b, size: 2}]}}`,
			want:    `{kind: Widget, spec: {parts: [{name: b, size: 3}, {name: a, size: 1}]}}`,
			changes: []Change{{Path: "spec.parts[name=b].size", Pointer: "/spec/parts/1/size", Live: int64(2), Want: int64(3)}},
		},
		{
			name:    "duplicate names fall back to index",
			live:    `{kind: Widget, spec: {parts: [{name: a, size: 1}, {name: a, size: 2}]}}`,
			want:    `{kind: Widget, spec: {parts: [{name: a, size: 1}, {name: a, size: 3}]}}`,
			changes: []Change{{Path: "spec.parts[1].size", Pointer: "/spec/parts/1/size", Live: int64(2), Want: int64(3)}},
		},
		{
			name:    "value of another type is one change",
			live:    `{kind: Widget, spec: {size: {min: 1}}}`,
			want:    `{kind: Widget, spec: {size: 1}}`,
			changes: []Change{{Path: "spec.size", Pointer: "/spec/size", Live: map[string]any{"min": int64(1)}, Want: int64(1)}},
		},
		{
			name:    "empty list facing an absent one is one change",
			live:    `{kind: Widget, spec: {parts: []}}`,
			want:    `{kind: Widget, spec: {}}`,
			changes: []Change{{Path: "spec.parts", Pointer: "/spec/parts", Live: []any{}}},
		},
		{
			name: "list only in want is reported by element",
			live: fieldsDeployment("3", "      containers: [{name: web}]\n"),
			want: fieldsDeployment("3", "      containers: [{name: web}]\n      imagePullSecrets: [{name: registry}]\n"),
			changes: []Change{{
				Path:    "spec.template.spec.imagePullSecrets[name=registry]",
				Pointer: "/spec/template/spec/imagePullSecrets/0",
				Want:    map[string]any{"name": "registry"},
			}},
		},
		{
			name: "stable order follows the objects top to bottom",
			live: `{kind: Deployment, metadata: {labels: {b: "1", a: "1"}}, spec: {replicas: 1, template: {spec: {containers: [{name: z, image: "1"}, {name: a, image: "1"}]}}}}`,
			want: `{kind: Deployment, metadata: {labels: {a: "2", c: "2"}}, spec: {replicas: 2, template: {spec: {containers: [{name: new, image: "2"}, {name: a, image: "2"}, {name: z, image: "2"}]}}}}`,
			changes: []Change{
				{Path: "metadata.labels.a", Pointer: "/metadata/labels/a", Live: "1", Want: "2"},
				{Path: "metadata.labels.b", Pointer: "/metadata/labels/b", Live: "1"},
				{Path: "metadata.labels.c", Pointer: "/metadata/labels/c", Want: "2"},
				{Path: "spec.replicas", Pointer: "/spec/replicas", Live: int64(1), Want: int64(2)},
				{Path: "spec.template.spec.containers[name=z].image", Pointer: "/spec/template/spec/containers/0/image", Live: "1", Want: "2"},
				{Path: "spec.template.spec.containers[name=a].image", Pointer: "/spec/template/spec/containers/1/image", Live: "1", Want: "2"},
				{Path: "spec.template.spec.containers[name=new]", Pointer: "/spec/template/spec/containers/0", Want: map[string]any{"name": "new", "image": "2"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, want := fieldsObject(t, tt.live), fieldsObject(t, tt.want)
			got := FieldChanges(live, want)
			for _, c := range got {
				// The segments the walk kept are those of the path.
				if segs, err := parsePath(c.Path); err != nil || !reflect.DeepEqual(segs, c.segs) {
					t.Errorf("%s: walked as %#v, read back as %#v (%v)", c.Path, c.segs, segs, err)
				}
			}
			got = withoutSegs(got)
			if !reflect.DeepEqual(got, tt.changes) {
				t.Errorf("FieldChanges() =\n%s\nwant\n%s", dumpChanges(got), dumpChanges(tt.changes))
			}
			// Map iteration is random: any dependence on it shows up
			// within a few runs.
			for range 20 {
				if again := withoutSegs(FieldChanges(live, want)); !reflect.DeepEqual(again, got) {
					t.Fatalf("FieldChanges() is not stable:\n%s\nthen\n%s", dumpChanges(got), dumpChanges(again))
				}
			}
			for _, c := range got {
				segs, err := parsePath(c.Path)
				if err != nil {
					t.Errorf("parsePath(%q): %v", c.Path, err)
				} else if back := formatPath(segs); back != c.Path {
					t.Errorf("path %q reads back as %q", c.Path, back)
				}
			}
		})
	}
}

func TestFieldChangesNilObjects(t *testing.T) {
	obj := fieldsObject(t, `{kind: ConfigMap, data: {a: "1"}}`)
	tests := []struct {
		name       string
		live, want *unstructured.Unstructured
	}{
		{"missing object", nil, obj},
		{"undesired object", obj, nil},
		{"neither", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FieldChanges(tt.live, tt.want); got != nil {
				t.Errorf("FieldChanges() = %v, want nil", got)
			}
		})
	}
}

func TestFieldChangesCopyValues(t *testing.T) {
	live := fieldsObject(t, `{kind: Widget, spec: {parts: [{name: a, size: 1}]}}`)
	want := fieldsObject(t, `{kind: Widget, spec: {}}`)
	changes := FieldChanges(live, want)
	if len(changes) != 1 {
		t.Fatalf("FieldChanges() = %v, want one change", changes)
	}
	changes[0].Live.(map[string]any)["size"] = int64(99)
	size, _, _ := unstructured.NestedSlice(live.Object, "spec", "parts")
	if got := size[0].(map[string]any)["size"]; got != int64(1) {
		t.Errorf("changing a Change's value changed the live object: size = %v", got)
	}
}

func dumpChanges(changes []Change) string {
	if len(changes) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, c := range changes {
		b.WriteString("  " + c.Describe(time.Time{}) + "  [" + c.Pointer + "]\n")
	}
	return b.String()
}

func TestChangeDescribe(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change Change
		want   string
	}{
		{
			name:   "owned live value",
			change: Change{Path: "spec.replicas", Live: int64(5), Want: int64(3), Manager: "kubectl", Operation: "Update", Time: now.Add(-12 * time.Minute), Conflict: true},
			want:   "spec.replicas: 5 -> 3 (live value by kubectl, 12m ago)",
		},
		{
			name:   "no manager",
			change: Change{Path: "spec.replicas", Live: int64(5), Want: int64(3)},
			want:   "spec.replicas: 5 -> 3",
		},
		{
			name:   "time unknown",
			change: Change{Path: "spec.replicas", Live: int64(5), Want: int64(3), Manager: "kubectl"},
			want:   "spec.replicas: 5 -> 3 (live value by kubectl)",
		},
		{
			name:   "strings quoted, absent shown as none",
			change: Change{Path: `data["log-level"]`, Live: "3", Want: nil},
			want:   `data["log-level"]: "3" -> <none>`,
		},
		{
			name:   "field not in live names the enclosing owner",
			change: Change{Path: "metadata.labels.tier", Want: "web", Manager: "kubectl-client-side-apply", Time: now.Add(-3*time.Hour - 5*time.Minute)},
			want:   `metadata.labels.tier: <none> -> "web" (not in live; enclosing field by kubectl-client-side-apply, 3h5m ago)`,
		},
		{
			name:   "days",
			change: Change{Path: "spec.x", Live: true, Want: false, Manager: "helm", Time: now.Add(-50 * time.Hour)},
			want:   "spec.x: true -> false (live value by helm, 2d2h ago)",
		},
		{
			name:   "a clock ahead of ours is now",
			change: Change{Path: "spec.x", Live: true, Want: false, Manager: "helm", Time: now.Add(time.Minute)},
			want:   "spec.x: true -> false (live value by helm, 0s ago)",
		},
		{
			name:   "no HTML escapes",
			change: Change{Path: "spec.command", Live: []any{"sh", "-c", "a && b > c"}, Want: []any{"sh"}},
			want:   `spec.command: ["sh","-c","a && b > c"] -> ["sh"]`,
		},
		{
			name:   "long values cut short",
			change: Change{Path: "spec.env[name=A]", Want: map[string]any{"name": "A", "value": strings.Repeat("x", 100)}},
			want:   `spec.env[name=A]: <none> -> {"name":"A","value":"` + strings.Repeat("x", 57-len(`{"name":"A","value":"`)) + `...`,
		},
		{
			name:   "masked secret",
			change: Change{Path: "data.password", Live: "*** (12 bytes, before)", Want: "*** (9 bytes, after)", Manager: "kubectl-edit", Time: now.Add(-90 * time.Second)},
			want:   `data.password: "*** (12 bytes, before)" -> "*** (9 bytes, after)" (live value by kubectl-edit, 90s ago)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.change.Describe(now); got != tt.want {
				t.Errorf("Describe() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestChangeString(t *testing.T) {
	c := Change{Path: "spec.replicas", Live: int64(5), Want: int64(3), Manager: "kubectl", Time: time.Now().Add(-12*time.Minute - 10*time.Second)}
	if got, want := c.String(), "spec.replicas: 5 -> 3 (live value by kubectl, 12m ago)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestChangePathParse(t *testing.T) {
	tests := []struct {
		name string
		path string
		segs []pathSeg
		err  bool
	}{
		{name: "fields", path: "spec.replicas", segs: []pathSeg{{kind: segField, field: "spec"}, {kind: segField, field: "replicas"}}},
		{name: "quoted first", path: `["a-b"].c`, segs: []pathSeg{{kind: segField, field: "a-b"}, {kind: segField, field: "c"}}},
		{name: "index", path: "a[12].b", segs: []pathSeg{{kind: segField, field: "a"}, {kind: segIndex, index: 12}, {kind: segField, field: "b"}}},
		{
			name: "keys",
			path: `ports[containerPort=80,protocol=TCP][name="x,y"]`,
			segs: []pathSeg{
				{kind: segField, field: "ports"},
				{kind: segKey, keys: []keyValue{{"containerPort", "80"}, {"protocol", "TCP"}}},
				{kind: segKey, keys: []keyValue{{"name", "x,y"}}},
			},
		},
		{name: "quoted with escapes", path: `data["say \"]hi\""]`, segs: []pathSeg{{kind: segField, field: "data"}, {kind: segField, field: `say "]hi"`}}},
		{name: "unclosed bracket", path: "a[0", err: true},
		{name: "unterminated quote", path: `a["b]`, err: true},
		{name: "negative index", path: "a[-1]", err: true},
		{name: "not a field name", path: "a.b-c", err: true},
		{name: "stray text after key", path: "a[name=x;y", err: true},
		{name: "double dot", path: "a..b", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := parsePath(tt.path)
			if tt.err {
				if err == nil {
					t.Errorf("parsePath(%q) = %v, want an error", tt.path, segs)
				}
				return
			}
			if err != nil {
				t.Fatalf("parsePath(%q): %v", tt.path, err)
			}
			if !reflect.DeepEqual(segs, tt.segs) {
				t.Errorf("parsePath(%q) = %#v, want %#v", tt.path, segs, tt.segs)
			}
			if back := formatPath(segs); back != tt.path {
				t.Errorf("formatPath() = %q, want %q", back, tt.path)
			}
		})
	}
}

// withoutSegs returns changes without the segments the walk kept, to
// compare with Changes written out.
func withoutSegs(changes []Change) []Change {
	out := slices.Clone(changes)
	for i := range out {
		out[i].segs = nil
	}
	return out
}
