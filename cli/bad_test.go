package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

const goodConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: good
  namespace: NAMESPACE
data:
  a: b
`

// TestCheckBadInput runs each input of testdata/bad beside a good manifest:
// the bad one gets an error that names it (and its line, where it has one)
// and exit 2, and the good one is judged all the same.
func TestCheckBadInput(t *testing.T) {
	ns := namespace(t)
	good := manifests(t, ns, map[string]string{"good.yaml": goodConfigMap})
	kubectl(t, "apply", "-f", good)
	bad, err := filepath.Abs("../testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	copyBad := func(name string) string {
		data, err := os.ReadFile(filepath.Join(bad, name))
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(manifests(t, ns, map[string]string{name: string(data)}), name)
	}
	tests := []struct {
		name string
		args func() []string
		want []string // in the output; %s is the bad input's path
	}{
		{"truncated YAML", func() []string { return []string{"-f", copyBad("truncated.yaml")} },
			[]string{"%s:7: invalid YAML"}},
		{"tabs", func() []string { return []string{"-f", copyBad("tabs.yaml")} },
			[]string{"%s:4: invalid YAML", "tab"}},
		{"duplicate keys", func() []string { return []string{"-f", copyBad("duplicate-keys.yaml")} },
			[]string{`%s:8: invalid YAML: key "a" already set in map`}},
		{"alias bomb", func() []string { return []string{"-f", copyBad("alias-bomb.yaml")} },
			[]string{"%s:1: invalid YAML: document contains excessive aliasing"}},
		{"binary garbage", func() []string { return []string{"-f", copyBad("garbage.yaml")} },
			[]string{"%s:1: invalid YAML: invalid"}},
		{"a list of scalars", func() []string { return []string{"-f", copyBad("scalars.yaml")} },
			[]string{"%s:1: document is a list, not a Kubernetes object"}},
		{"no name", func() []string { return []string{"-f", copyBad("no-name.yaml")} },
			[]string{"%s:1: ConfigMap has no metadata.name"}},
		{"unknown apiVersion", func() []string { return []string{"-f", copyBad("unknown-apiversion.yaml")} },
			[]string{"error     Gadget.example.invalid " + ns + "/g  %s:1", "NoKind"}},
		{"a kind that is not served", func() []string { return []string{"-f", copyBad("kind-not-served.yaml")} },
			[]string{"error     Deployment.apps " + ns + "/old  %s:1", "NoKind"}},
		{"a chart with a template error", func() []string {
			return []string{"--helm", filepath.Join(bad, "chart-template-error")}
		}, []string{"broken/templates/cron.yaml", "nil pointer"}},
		{"a kustomization that escapes its root", func() []string {
			return []string{"-k", filepath.Join(bad, "kustomize-escape")}
		}, []string{filepath.Join(bad, "kustomize-escape"), "outside.yaml"}},
		{"a 50 MB document", func() []string {
			var b strings.Builder
			b.WriteString(strings.ReplaceAll(goodConfigMap, "name: good", "name: huge"))
			for i := range 500_000 {
				fmt.Fprintf(&b, "  k%07d: %s\n", i, strings.Repeat("x", 90))
			}
			path := filepath.Join(t.TempDir(), "huge.yaml")
			if err := os.WriteFile(path, []byte(strings.ReplaceAll(b.String(), "NAMESPACE", ns)), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"-f", path}
		}, []string{"%s:1: document is 49.1 MiB: the API server takes objects of up to 3 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args()
			input := args[len(args)-1]
			stop := watchHeap()
			r := kubedrift(t, testcluster.AdminUser, ns, append([]string{"--check", "-f", good}, args...)...)
			peak := stop()
			t.Logf("%s\npeak heap %d MB", r, peak>>20)
			assertCode(t, r, cli.ExitError)
			for _, w := range tt.want {
				assertContains(t, r, strings.ReplaceAll(w, "%s", input))
			}
			assertContains(t, r, "in sync   ConfigMap "+ns+"/good")
			if peak > 1<<30 {
				t.Errorf("the heap grew to %d MB", peak>>20)
			}
		})
	}
}

// watchHeap samples the heap in use until stop, which returns its peak.
func watchHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}
