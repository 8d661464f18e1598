package drift

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestUnifiedDiffContext checks diffs with other contexts than diff -u's 3
// against the output of `diff -U n --label a --label b` (GNU diffutils 3.8),
// hard-coded so that the tests do not need the tool.
func TestUnifiedDiffContext(t *testing.T) {
	twoChanges := replaceLine(replaceLine(numbered(1, 20), 10, "LINE 10"), 12, "LINE 12")
	tests := []struct {
		name    string
		a, b    string
		context int
		want    string
	}{
		{
			"no context: each change its own hunk",
			numbered(1, 20), twoChanges, 0,
			udiff("--- a", "+++ b",
				"@@ -10 +10 @@", "-line 10", "+LINE 10",
				"@@ -12 +12 @@", "-line 12", "+LINE 12"),
		},
		{
			"negative context counts as none",
			numbered(1, 20), twoChanges, -4,
			udiff("--- a", "+++ b",
				"@@ -10 +10 @@", "-line 10", "+LINE 10",
				"@@ -12 +12 @@", "-line 12", "+LINE 12"),
		},
		{
			"one line: changes two lines apart share a hunk",
			numbered(1, 20), twoChanges, 1,
			udiff("--- a", "+++ b",
				"@@ -9,5 +9,5 @@",
				" line 9", "-line 10", "+LINE 10", " line 11", "-line 12", "+LINE 12", " line 13"),
		},
		{
			"two lines",
			numbered(1, 20), twoChanges, 2,
			udiff("--- a", "+++ b",
				"@@ -8,7 +8,7 @@",
				" line 8", " line 9", "-line 10", "+LINE 10", " line 11", "-line 12", "+LINE 12", " line 13", " line 14"),
		},
		{
			"no context, insertion",
			numbered(1, 20), numbered(1, 5) + "new a\n" + numbered(6, 20), 0,
			udiff("--- a", "+++ b", "@@ -5,0 +6 @@", "+new a"),
		},
		{
			"no context, deletion",
			numbered(1, 20), numbered(1, 4) + numbered(6, 20), 0,
			udiff("--- a", "+++ b", "@@ -5 +4,0 @@", "-line 5"),
		},
		{
			"context longer than the text",
			numbered(1, 5), replaceLine(numbered(1, 5), 3, "LINE 3"), 100,
			udiff("--- a", "+++ b",
				"@@ -1,5 +1,5 @@",
				" line 1", " line 2", "-line 3", "+LINE 3", " line 4", " line 5"),
		},
		{"equal", numbered(1, 5), numbered(1, 5), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unifiedDiffContext("a", "b", tt.a, tt.b, tt.context)
			if got != tt.want {
				t.Fatalf("unifiedDiffContext(%d):\n got %q\nwant %q", tt.context, got, tt.want)
			}
		})
	}
}

// TestUnifiedDiffContextApplies applies the diff of every unifiedDiff case
// at several contexts: whatever the context, the hunks must fit a and make
// b, and hunks closer than twice the context must have been merged.
func TestUnifiedDiffContextApplies(t *testing.T) {
	for _, tt := range unifiedDiffTests {
		for context := range 6 {
			t.Run(fmt.Sprintf("%s/U%d", tt.name, context), func(t *testing.T) {
				got := unifiedDiffContext("a", "b", tt.a, tt.b, context)
				if (got == "") != (tt.a == tt.b) {
					t.Fatalf("unifiedDiffContext = %q", got)
				}
				if got == "" {
					return
				}
				patched, err := applyUnified(tt.a, got)
				if err != nil {
					t.Fatalf("apply diff: %v\n%s", err, got)
				}
				if patched != tt.b {
					t.Fatalf("a with the diff applied:\n got %q\nwant %q", patched, tt.b)
				}
				if unchanged := longestUnchangedRun(got); unchanged > 2*context {
					t.Errorf("%d unchanged lines in a row with context %d:\n%s", unchanged, context, got)
				}
			})
		}
	}
}

func TestResultDiffContext(t *testing.T) {
	cm := func(level string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "settings", "namespace": "shop"},
			"data":     map[string]any{"a": "1", "b": "2", "level": level, "x": "3", "y": "4"},
		}}
	}
	r := &Result{
		Ref:  Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"},
		Live: cm("debug"), Want: cm("info"),
	}
	if got, want := r.DiffContext(diffContext), r.Diff(); got != want {
		t.Errorf("DiffContext(3) = %q, Diff = %q", got, want)
	}
	want := udiff("--- live ConfigMap shop/settings", "+++ desired ConfigMap shop/settings",
		"@@ -5 +5 @@", "-  level: debug", "+  level: info")
	if got := r.DiffContext(0); got != want {
		t.Errorf("DiffContext(0):\n got %q\nwant %q", got, want)
	}
	if got := r.DiffContext(-1); got != want {
		t.Errorf("DiffContext(-1):\n got %q\nwant %q", got, want)
	}
	// The whole object as context: every line of it, one hunk.
	whole := r.DiffContext(1000)
	if n := strings.Count(whole, "\n@@ "); n != 1 {
		t.Errorf("DiffContext(1000) has %d hunks, want 1:\n%s", n, whole)
	}
	if !strings.Contains(whole, " apiVersion: v1\n") || !strings.Contains(whole, "   namespace: shop\n") {
		t.Errorf("DiffContext(1000) lacks the first or last line:\n%s", whole)
	}
	if got := (&Result{}).DiffContext(3); got != "" {
		t.Errorf("DiffContext of an error = %q, want \"\"", got)
	}
}
