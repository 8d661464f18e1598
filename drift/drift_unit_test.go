package drift

import "testing"

func TestStatusString(t *testing.T) {
	tests := []struct {
		status Status
		want   string
	}{
		{InSync, "in sync"},
		{Drifted, "drifted"},
		{Missing, "missing"},
		{Error, "error"},
		{Status(42), "Status(42)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.status.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReportCounts(t *testing.T) {
	report := func(statuses ...Status) *Report {
		r := &Report{}
		for _, s := range statuses {
			r.Results = append(r.Results, Result{Status: s})
		}
		return r
	}
	tests := []struct {
		name      string
		report    *Report
		counts    map[Status]int
		drift     bool
		hasErrors bool
	}{
		{"empty", report(), map[Status]int{InSync: 0, Drifted: 0, Missing: 0, Error: 0}, false, false},
		{"all in sync", report(InSync, InSync), map[Status]int{InSync: 2, Drifted: 0}, false, false},
		{"drifted", report(InSync, Drifted), map[Status]int{InSync: 1, Drifted: 1}, true, false},
		{"missing alone is drift", report(Missing, InSync), map[Status]int{Missing: 1, Drifted: 0}, true, false},
		{"errors alone are not drift", report(Error, InSync, Error), map[Status]int{Error: 2, InSync: 1}, false, true},
		{"everything", report(Error, Drifted, Missing, Missing, InSync), map[Status]int{Error: 1, Drifted: 1, Missing: 2, InSync: 1}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for s, want := range tt.counts {
				if got := tt.report.Count(s); got != want {
					t.Errorf("Count(%v) = %d, want %d", s, got, want)
				}
			}
			if got := tt.report.HasDrift(); got != tt.drift {
				t.Errorf("HasDrift() = %v, want %v", got, tt.drift)
			}
			if got := tt.report.HasErrors(); got != tt.hasErrors {
				t.Errorf("HasErrors() = %v, want %v", got, tt.hasErrors)
			}
		})
	}
}

func TestResultDiff(t *testing.T) {
	ref := Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"}
	tests := []struct {
		name      string
		live      string
		want      string
		wantDiff  string
		wantEmpty bool
	}{
		{name: "neither side", wantEmpty: true},
		{
			name:      "equal",
			live:      `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "1"}}`,
			want:      `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "1"}}`,
			wantEmpty: true,
		},
		{
			name: "changed",
			live: `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "1"}}`,
			want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {a: "2"}}`,
			wantDiff: udiff("--- live ConfigMap shop/settings", "+++ desired ConfigMap shop/settings",
				"@@ -1,6 +1,6 @@",
				" apiVersion: v1",
				" data:",
				`-  a: "1"`,
				`+  a: "2"`,
				" kind: ConfigMap",
				" metadata:",
				"   name: settings"),
		},
		{
			name: "missing",
			want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}`,
			wantDiff: udiff("--- live ConfigMap shop/settings", "+++ desired ConfigMap shop/settings",
				"@@ -0,0 +1,4 @@",
				"+apiVersion: v1",
				"+kind: ConfigMap",
				"+metadata:",
				"+  name: settings"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Ref: ref, Live: fromYAMLOrNil(t, tt.live), Want: fromYAMLOrNil(t, tt.want)}
			got := r.Diff()
			if tt.wantEmpty {
				if got != "" {
					t.Errorf("Diff() = %q, want none", got)
				}
				return
			}
			if got != tt.wantDiff {
				t.Errorf("Diff():\n%s\nwant:\n%s", got, tt.wantDiff)
			}
		})
	}
}
