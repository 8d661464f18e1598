package drift

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// numbered returns "line from\n" through "line to\n".
func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

// replaceLine returns text with its line n (counted from 1) replaced by with.
func replaceLine(text string, n int, with string) string {
	lines := strings.SplitAfter(text, "\n")
	lines[n-1] = with + "\n"
	return strings.Join(lines, "")
}

// udiff joins the lines of an expected diff, each ending in a newline.
func udiff(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}

// noNewline is the marker diff -u writes after a last line without newline.
const noNewline = `\ No newline at end of file`

// unifiedDiffTests hold the expected output of `diff -u --label a --label b`
// (GNU diffutils 3.8) for each pair of inputs, hard-coded so that the tests
// do not need the tool.
var unifiedDiffTests = []struct {
	name string
	a, b string
	want string
}{
	{"equal", numbered(1, 20), numbered(1, 20), ""},
	{"both empty", "", "", ""},
	{
		"one change in the middle",
		numbered(1, 20), replaceLine(numbered(1, 20), 10, "LINE 10"),
		udiff("--- a", "+++ b",
			"@@ -7,7 +7,7 @@",
			" line 7", " line 8", " line 9",
			"-line 10",
			"+LINE 10",
			" line 11", " line 12", " line 13"),
	},
	{
		"two changes far apart",
		numbered(1, 20), replaceLine(replaceLine(numbered(1, 20), 3, "LINE 3"), 17, "LINE 17"),
		udiff("--- a", "+++ b",
			"@@ -1,6 +1,6 @@",
			" line 1", " line 2",
			"-line 3",
			"+LINE 3",
			" line 4", " line 5", " line 6",
			"@@ -14,7 +14,7 @@",
			" line 14", " line 15", " line 16",
			"-line 17",
			"+LINE 17",
			" line 18", " line 19", " line 20"),
	},
	{
		"changes 6 lines apart share a hunk",
		numbered(1, 20), replaceLine(replaceLine(numbered(1, 20), 5, "LINE 5"), 12, "LINE 12"),
		udiff("--- a", "+++ b",
			"@@ -2,14 +2,14 @@",
			" line 2", " line 3", " line 4",
			"-line 5",
			"+LINE 5",
			" line 6", " line 7", " line 8", " line 9", " line 10", " line 11",
			"-line 12",
			"+LINE 12",
			" line 13", " line 14", " line 15"),
	},
	{
		"changes 7 lines apart get two hunks",
		numbered(1, 20), replaceLine(replaceLine(numbered(1, 20), 5, "LINE 5"), 13, "LINE 13"),
		udiff("--- a", "+++ b",
			"@@ -2,7 +2,7 @@",
			" line 2", " line 3", " line 4",
			"-line 5",
			"+LINE 5",
			" line 6", " line 7", " line 8",
			"@@ -10,7 +10,7 @@",
			" line 10", " line 11", " line 12",
			"-line 13",
			"+LINE 13",
			" line 14", " line 15", " line 16"),
	},
	{
		"first and last line of a short text",
		numbered(1, 5), replaceLine(replaceLine(numbered(1, 5), 1, "LINE 1"), 5, "LINE 5"),
		udiff("--- a", "+++ b",
			"@@ -1,5 +1,5 @@",
			"-line 1",
			"+LINE 1",
			" line 2", " line 3", " line 4",
			"-line 5",
			"+LINE 5"),
	},
	{
		"insertion at the start",
		numbered(1, 5), "new 0\n" + numbered(1, 5),
		udiff("--- a", "+++ b",
			"@@ -1,3 +1,4 @@",
			"+new 0",
			" line 1", " line 2", " line 3"),
	},
	{
		"insertion at the end",
		numbered(1, 5), numbered(1, 5) + "new 6\n",
		udiff("--- a", "+++ b",
			"@@ -3,3 +3,4 @@",
			" line 3", " line 4", " line 5",
			"+new 6"),
	},
	{
		"insertion in the middle",
		numbered(1, 20), numbered(1, 10) + "new a\nnew b\n" + numbered(11, 20),
		udiff("--- a", "+++ b",
			"@@ -8,6 +8,8 @@",
			" line 8", " line 9", " line 10",
			"+new a",
			"+new b",
			" line 11", " line 12", " line 13"),
	},
	{
		"deletion in the middle",
		numbered(1, 20), numbered(1, 9) + numbered(12, 20),
		udiff("--- a", "+++ b",
			"@@ -7,8 +7,6 @@",
			" line 7", " line 8", " line 9",
			"-line 10",
			"-line 11",
			" line 12", " line 13", " line 14"),
	},
	{
		"deletion of everything",
		numbered(1, 5), "",
		udiff("--- a", "+++ b",
			"@@ -1,5 +0,0 @@",
			"-line 1", "-line 2", "-line 3", "-line 4", "-line 5"),
	},
	{
		"creation from nothing",
		"", numbered(1, 5),
		udiff("--- a", "+++ b",
			"@@ -0,0 +1,5 @@",
			"+line 1", "+line 2", "+line 3", "+line 4", "+line 5"),
	},
	{
		"empty lines",
		"a\n\nb\n", "a\n\nc\n",
		udiff("--- a", "+++ b",
			"@@ -1,3 +1,3 @@",
			" a", " ",
			"-b",
			"+c"),
	},
	{
		"no trailing newline, change far from the end",
		strings.TrimSuffix(numbered(1, 10), "\n"),
		strings.TrimSuffix(replaceLine(numbered(1, 10), 2, "CHANGED"), "\n"),
		udiff("--- a", "+++ b",
			"@@ -1,5 +1,5 @@",
			" line 1",
			"-line 2",
			"+CHANGED",
			" line 3", " line 4", " line 5"),
	},
	{
		"no trailing newline, change near the end",
		strings.TrimSuffix(numbered(1, 10), "\n"),
		strings.TrimSuffix(replaceLine(numbered(1, 10), 9, "CHANGED"), "\n"),
		udiff("--- a", "+++ b",
			"@@ -6,5 +6,5 @@",
			" line 6", " line 7", " line 8",
			"-line 9",
			"+CHANGED",
			" line 10",
			noNewline),
	},
	{
		"no trailing newline, last line changed",
		"line 1\nline 2\nline 3", "line 1\nline 2\nline 4",
		udiff("--- a", "+++ b",
			"@@ -1,3 +1,3 @@",
			" line 1", " line 2",
			"-line 3",
			noNewline,
			"+line 4",
			noNewline),
	},
	{
		"trailing newline added",
		"line 1\nline 2\nline 3", "line 1\nline 2\nline 3\n",
		udiff("--- a", "+++ b",
			"@@ -1,3 +1,3 @@",
			" line 1", " line 2",
			"-line 3",
			noNewline,
			"+line 3"),
	},
	{
		"trailing newline removed",
		"line 1\nline 2\nline 3\n", "line 1\nline 2\nline 3",
		udiff("--- a", "+++ b",
			"@@ -1,3 +1,3 @@",
			" line 1", " line 2",
			"-line 3",
			"+line 3",
			noNewline),
	},
	{
		"append to a text without trailing newline",
		"line 1\nline 2", "line 1\nline 2\nline 3\n",
		udiff("--- a", "+++ b",
			"@@ -1,2 +1,3 @@",
			" line 1",
			"-line 2",
			noNewline,
			"+line 2",
			"+line 3"),
	},
	{
		"deletion of everything without trailing newline",
		"line 1\nline 2", "",
		udiff("--- a", "+++ b",
			"@@ -1,2 +0,0 @@",
			"-line 1",
			"-line 2",
			noNewline),
	},
	{
		"creation of one line without trailing newline",
		"", "x",
		udiff("--- a", "+++ b",
			"@@ -0,0 +1 @@",
			"+x",
			noNewline),
	},
}

func TestUnifiedDiff(t *testing.T) {
	for _, tt := range unifiedDiffTests {
		t.Run(tt.name, func(t *testing.T) {
			got := unifiedDiff("a", "b", tt.a, tt.b)
			if got != tt.want {
				t.Fatalf("unifiedDiff:\n got %q\nwant %q", got, tt.want)
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
		})
	}
}

// TestUnifiedDiffGNUPatch applies every diff with GNU patch when it is
// installed; the pure-Go applier in TestUnifiedDiff covers the same ground
// when it is not.
func TestUnifiedDiffGNUPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Log("patch is not installed; TestUnifiedDiff checks the diffs without it")
		return
	}
	for _, tt := range unifiedDiffTests {
		if tt.a == tt.b {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			orig := filepath.Join(dir, "a")
			diff := filepath.Join(dir, "a.diff")
			out := filepath.Join(dir, "b")
			writeFile(t, orig, tt.a)
			writeFile(t, diff, unifiedDiff("a", "b", tt.a, tt.b))
			// --fuzz=0: the context must match exactly, as the diff claims.
			cmd := exec.Command(patch, "--batch", "--silent", "--fuzz=0", "--no-backup-if-mismatch",
				"--output="+out, orig, diff)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch: %v\n%s", err, msg)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.b {
				t.Fatalf("patch produced %q, want %q", got, tt.b)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnifiedDiffLong checks a diff of texts larger than one hunk's worth of
// lines, with changes scattered through them, by applying it.
func TestUnifiedDiffLong(t *testing.T) {
	a := numbered(1, 2000)
	b := a
	changed := []int{1, 7, 14, 500, 503, 1999, 2000}
	for _, n := range changed {
		b = replaceLine(b, n, fmt.Sprintf("CHANGED %d", n))
	}
	b = strings.Replace(b, "line 1000\n", "", 1)
	b = strings.Replace(b, "line 1200\n", "line 1200\ninserted\n", 1)

	got := unifiedDiff("a", "b", a, b)
	patched, err := applyUnified(a, got)
	if err != nil {
		t.Fatalf("apply diff: %v\n%s", err, got)
	}
	if patched != b {
		t.Fatal("a with the diff applied is not b")
	}
	// 1 and 7 share a hunk (5 lines apart), 14 is 6 lines after 7: same hunk.
	// 500 and 503 share one; 1000, 1200 and 1999-2000 stand alone.
	if n := strings.Count(got, "\n@@ "); n != 5 {
		t.Errorf("got %d hunks, want 5:\n%s", n, got)
	}
}

// TestUnifiedDiffRandom applies diffs of random edits to texts with many
// repeated lines, as YAML has, with and without a final newline.
func TestUnifiedDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c", "  - name: x", "", "}"}
	text := func(n int) []string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = words[rng.IntN(len(words))]
		}
		return lines
	}
	join := func(lines []string, newline bool) string {
		s := strings.Join(lines, "\n")
		if newline && len(lines) > 0 {
			s += "\n"
		}
		return s
	}
	for i := range 500 {
		lines := text(rng.IntN(40))
		edited := slices.Clone(lines)
		for range rng.IntN(5) {
			at := rng.IntN(len(edited) + 1)
			switch rng.IntN(3) {
			case 0:
				edited = slices.Insert(edited, at, text(1+rng.IntN(3))...)
			case 1:
				edited = slices.Delete(edited, at, min(len(edited), at+1+rng.IntN(3)))
			default:
				if at < len(edited) {
					edited[at] = "changed"
				}
			}
		}
		a := join(lines, rng.IntN(4) > 0)
		b := join(edited, rng.IntN(4) > 0)
		got := unifiedDiff("a", "b", a, b)
		if (got == "") != (a == b) {
			t.Fatalf("case %d: unifiedDiff(%q, %q) = %q", i, a, b, got)
		}
		if got == "" {
			continue
		}
		patched, err := applyUnified(a, got)
		if err != nil {
			t.Fatalf("case %d: apply diff of %q to %q: %v\n%s", i, a, b, err, got)
		}
		if patched != b {
			t.Fatalf("case %d: a with the diff applied is %q, want %q\n%s", i, patched, b, got)
		}
		// Hunks closer than twice the context would have been merged.
		if unchanged := longestUnchangedRun(got); unchanged > 2*diffContext {
			t.Fatalf("case %d: %d unchanged lines in a row inside a hunk:\n%s", i, unchanged, got)
		}
	}
}

// longestUnchangedRun returns the longest run of context lines in diff.
func longestUnchangedRun(diff string) int {
	longest, run := 0, 0
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, " ") {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// TestApplyUnified makes sure the applier the other tests trust rejects
// diffs that do not fit.
func TestApplyUnified(t *testing.T) {
	good := unifiedDiff("a", "b", numbered(1, 20), replaceLine(numbered(1, 20), 10, "LINE 10"))
	tests := []struct {
		name    string
		a, diff string
	}{
		{"context does not match", replaceLine(numbered(1, 20), 8, "other"), good},
		{"removed line does not match", replaceLine(numbered(1, 20), 10, "other"), good},
		{"wrong old start", numbered(1, 20), strings.Replace(good, "-7,7", "-6,7", 1)},
		{"wrong new start", numbered(1, 20), strings.Replace(good, "+7,7", "+8,7", 1)},
		{"wrong count", numbered(1, 20), strings.Replace(good, "+7,7", "+7,8", 1)},
		{"no header", numbered(1, 20), strings.TrimPrefix(good, "--- a\n+++ b\n")},
		{"bad line", numbered(1, 20), strings.Replace(good, " line 8\n", "?line 8\n", 1)},
		{"no-newline marker missing", "x", udiff("--- a", "+++ b", "@@ -1 +1 @@", "-x", "+y")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := applyUnified(tt.a, tt.diff); err == nil {
				t.Fatalf("applyUnified accepted the diff and returned %q", got)
			}
		})
	}
	got, err := applyUnified(numbered(1, 20), good)
	if err != nil || got != replaceLine(numbered(1, 20), 10, "LINE 10") {
		t.Fatalf("applyUnified(good) = %q, %v", got, err)
	}
}

// applyUnified applies a unified diff to a and returns the result. It is
// strict: every hunk header must give the exact position and counts, context
// and removed lines must match a exactly, and a line without newline must be
// marked as diff -u marks it.
func applyUnified(a, diff string) (string, error) {
	old := splitLines(a)
	lines := splitLines(diff)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("no ---/+++ header")
	}
	lines = lines[2:]

	var out []string
	pos := 0 // lines of old consumed
	for len(lines) > 0 {
		oldStart, oldCount, newStart, newCount, err := parseHunkHeader(lines[0])
		if err != nil {
			return "", err
		}
		lines = lines[1:]
		// An empty range names the line before it.
		before := oldStart - 1
		if oldCount == 0 {
			before = oldStart
		}
		if before < pos || before > len(old) {
			return "", fmt.Errorf("hunk at old line %d, after line %d was consumed", oldStart, pos)
		}
		out = append(out, old[pos:before]...)
		pos = before
		wantNew := newStart - 1
		if newCount == 0 {
			wantNew = newStart
		}
		if len(out) != wantNew {
			return "", fmt.Errorf("hunk says new line %d, but the result so far has %d lines", newStart, len(out))
		}

		var seenOld, seenNew int
		for seenOld < oldCount || seenNew < newCount {
			if len(lines) == 0 {
				return "", fmt.Errorf("hunk ends early")
			}
			l := lines[0]
			lines = lines[1:]
			if !strings.HasSuffix(l, "\n") {
				return "", fmt.Errorf("diff line %q has no newline", l)
			}
			text := l[1:]
			if len(lines) > 0 && lines[0] == noNewline+"\n" {
				text = strings.TrimSuffix(text, "\n")
				lines = lines[1:]
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(old) || old[pos] != text {
					return "", fmt.Errorf("old line %d is %q, diff says %q", pos+1, at(old, pos), text)
				}
				pos++
				seenOld++
				if l[0] == ' ' {
					out = append(out, text)
					seenNew++
				}
			case '+':
				out = append(out, text)
				seenNew++
			default:
				return "", fmt.Errorf("bad diff line %q", l)
			}
		}
		if seenOld != oldCount || seenNew != newCount {
			return "", fmt.Errorf("hunk has %d old and %d new lines, header says %d and %d", seenOld, seenNew, oldCount, newCount)
		}
	}
	out = append(out, old[pos:]...)
	// Only the last line may lack its newline.
	for i, l := range out[:max(0, len(out)-1)] {
		if !strings.HasSuffix(l, "\n") {
			return "", fmt.Errorf("result line %d %q has no newline but is not last", i+1, l)
		}
	}
	return strings.Join(out, ""), nil
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end of text>"
}

// splitLines splits s after each newline; a last line without one is kept.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// parseHunkHeader parses "@@ -a,b +c,d @@", where a missing count means 1.
func parseHunkHeader(l string) (oldStart, oldCount, newStart, newCount int, err error) {
	fields := strings.Fields(l)
	if len(fields) != 4 || fields[0] != "@@" || fields[3] != "@@" ||
		!strings.HasPrefix(fields[1], "-") || !strings.HasPrefix(fields[2], "+") {
		return 0, 0, 0, 0, fmt.Errorf("bad hunk header %q", l)
	}
	if oldStart, oldCount, err = parseRange(fields[1][1:]); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("hunk header %q: %w", l, err)
	}
	if newStart, newCount, err = parseRange(fields[2][1:]); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("hunk header %q: %w", l, err)
	}
	return oldStart, oldCount, newStart, newCount, nil
}

func parseRange(s string) (start, count int, err error) {
	startText, countText, hasCount := strings.Cut(s, ",")
	if start, err = strconv.Atoi(startText); err != nil {
		return 0, 0, err
	}
	count = 1
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil {
			return 0, 0, err
		}
	}
	return start, count, nil
}
