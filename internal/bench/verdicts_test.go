package main

import (
	"maps"
	"strings"
	"testing"
	"time"
)

func TestKubectlDiffVerdicts(t *testing.T) {
	out := `diff -u -N /tmp/LIVE-1/apps.v1.Deployment.bench-0000.web /tmp/MERGED-2/apps.v1.Deployment.bench-0000.web
--- /tmp/LIVE-1/apps.v1.Deployment.bench-0000.web	2026-11-24 22:00:00
+++ /tmp/MERGED-2/apps.v1.Deployment.bench-0000.web	2026-11-24 22:00:00
@@ -1,3 +1,3 @@
-diff -u -N looks like a header inside a value
+  replicas: 1
diff -u -N /tmp/LIVE-1/v1.ConfigMap.bench-0004.config-5 /tmp/MERGED-2/v1.ConfigMap.bench-0004.config-5
diff -u -N /tmp/LIVE-1/bench.kubedrift.dev.v1.Widget.bench-0005.widget-1 /tmp/MERGED-2/bench.kubedrift.dev.v1.Widget.bench-0005.widget-1
diff -u -N /tmp/LIVE-1/v1.Namespace..bench-0006 /tmp/MERGED-2/v1.Namespace..bench-0006
`
	got, err := kubectlDiffVerdicts([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"Deployment.apps bench-0000/web":                 true,
		"ConfigMap bench-0004/config-5":                  true,
		"Widget.bench.kubedrift.dev bench-0005/widget-1": true,
		"Namespace bench-0006":                           true,
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestKubedriftVerdicts(t *testing.T) {
	out := `in sync   ConfigMap bench-0000/config-0          apps-000.yaml:40
drifted   Deployment.apps bench-0000/web         apps-000.yaml:300
    spec.replicas: 3 -> 1 (live value by kubectl-scale)
    --- live Deployment.apps bench-0000/web
    +++ desired Deployment.apps bench-0000/web
missing   ConfigMap bench-0004/config-5          apps-000.yaml:120  (judged offline: the dry run is forbidden)
unmanaged ConfigMap bench-0004/left-over

4 objects: 1 in sync, 1 drifted, 1 missing, 1 unmanaged, 0 errors
`
	got, err := kubedriftVerdicts([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Deployment.apps bench-0000/web": true, "ConfigMap bench-0004/config-5": true}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	_, err = kubedriftVerdicts([]byte("error     Secret bench-0001/secret-0  apps-000.yaml:9\n    Forbidden: no\n"))
	if err == nil || !strings.Contains(err.Error(), "Secret bench-0001/secret-0") {
		t.Errorf("an error verdict gave %v, want it named", err)
	}
}

func TestCompare(t *testing.T) {
	a := map[string]bool{"x": true, "y": true}
	if msg := compare("a", a, "b", map[string]bool{"y": true, "x": true}); msg != "" {
		t.Errorf("equal sets: %q", msg)
	}
	msg := compare("kubedrift", a, "kubectl", map[string]bool{"y": true, "z": true})
	for _, s := range []string{"1 only kubedrift reports (x)", "1 only kubectl reports (z)"} {
		if !strings.Contains(msg, s) {
			t.Errorf("%q lacks %q", msg, s)
		}
	}
}

func TestSpreadOf(t *testing.T) {
	s := spreadOf([]time.Duration{3, 1, 2, 10})
	if s.median != 2 || s.min != 1 || s.max != 10 {
		t.Errorf("%+v, want median 2 (of 2 and 3, rounded down), min 1, max 10", s)
	}
	if s := spreadOf([]int64{5}); s.median != 5 {
		t.Errorf("%+v", s)
	}
}
