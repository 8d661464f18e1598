package drift

import (
	"testing"
)

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
