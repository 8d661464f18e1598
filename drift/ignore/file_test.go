package ignore

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRuleYAML(t *testing.T) {
	tests := []struct {
		name    string
		ref     Object
		pointer string
		want    string
	}{
		{
			name:    "namespaced",
			ref:     Object{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"},
			pointer: "/spec/replicas",
			want: `- group: apps
  kind: Deployment
  namespace: shop
  name: web
  paths:
    - /spec/replicas
`,
		},
		{
			name:    "core group, cluster-scoped, escaped key",
			ref:     Object{Kind: "Namespace", Name: "shop"},
			pointer: "/metadata/labels/example.com~1team",
			want: `- group: ""
  kind: Namespace
  name: shop
  paths:
    - /metadata/labels/example.com~1team
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RuleYAML(tt.ref, tt.pointer)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if _, err := RuleYAML(Object{Kind: "ConfigMap", Name: "x"}, "spec"); err == nil {
		t.Error("a pointer without a leading slash: no error")
	}
}

func TestAdd(t *testing.T) {
	web := Object{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	tests := []struct {
		name     string
		existing *string // nil: no file
		want     string
	}{
		{
			name: "no file",
			want: `ignore:
  - group: apps
    kind: Deployment
    namespace: shop
    name: web
    paths:
      - /spec/replicas
`,
		},
		{
			name:     "empty file",
			existing: ptr(""),
			want: `ignore:
  - group: apps
    kind: Deployment
    namespace: shop
    name: web
    paths:
      - /spec/replicas
`,
		},
		{
			name: "rules and comments kept",
			existing: ptr(`# Rules for the shop.
ignore:
  # The HPA scales these.
  - kind: HorizontalPodAutoscaler
    managers: [kube-controller-manager]
`),
			want: `# Rules for the shop.
ignore:
  # The HPA scales these.
  - kind: HorizontalPodAutoscaler
    managers: [kube-controller-manager]
  - group: apps
    kind: Deployment
    namespace: shop
    name: web
    paths:
      - /spec/replicas
`,
		},
		{
			name:     "ignore key with nothing under it",
			existing: ptr("ignore:\n"),
			want: `ignore:
  - group: apps
    kind: Deployment
    namespace: shop
    name: web
    paths:
      - /spec/replicas
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".kubedrift.yaml")
			if tt.existing != nil {
				if err := os.WriteFile(path, []byte(*tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := Add(path, web, "/spec/replicas"); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("file is\n%s\nwant\n%s", got, tt.want)
			}
			if info, _ := os.Stat(path); tt.existing != nil && info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want the file's 0600 kept", info.Mode().Perm())
			}

			// The rule does what it says: the replicas of web are no
			// longer compared, and nothing else changes.
			rules, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			live := objectOf(t, "spec: {replicas: 5, paused: true}")
			want := objectOf(t, "spec: {replicas: 3, paused: false}")
			if got := rules.Apply(web, live, want, nil); !slices.Equal(got, []string{"/spec/replicas"}) {
				t.Errorf("ignored %v, want [/spec/replicas]", got)
			}
			if _, ok := live.Object["spec"].(map[string]any)["paused"]; !ok {
				t.Error("the rule removed more than /spec/replicas")
			}
			other := Object{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "api"}
			if got := rules.Apply(other, objectOf(t, "spec: {replicas: 5}"), objectOf(t, "spec: {replicas: 3}"), nil); len(got) != 0 {
				t.Errorf("the rule for web ignored %v in api", got)
			}
		})
	}
}

func TestAddKeepsABrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".kubedrift.yaml")
	broken := "ignore:\n  - kind: Deployment\n    pahts: [/spec/replicas]\n"
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Add(path, Object{Kind: "ConfigMap", Namespace: "shop", Name: "settings"}, "/data/mode")
	if err == nil || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("error %v, want one naming %s:3", err, path)
	}
	if got, _ := os.ReadFile(path); string(got) != broken {
		t.Errorf("the broken file was rewritten:\n%s", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}
}

func ptr[T any](v T) *T { return &v }
