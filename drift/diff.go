package drift

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is the number of unchanged lines Result.Diff shows around each
// change, as diff -u does.
const diffContext = 3

// diffLine is one line of a line diff.
type diffLine struct {
	op   diffmatchpatch.Operation
	text string // without its newline
	// noNewline marks the last line of a text that does not end in a
	// newline; diff -u and patch need to be told, or the diff would show
	// nothing changed where only the final newline did.
	noNewline bool
}

// unifiedDiff returns the unified diff from a to b with the given file names
// in its header and diffContext lines of context, or "" when they are equal.
func unifiedDiff(fromName, toName, a, b string) string {
	return unifiedDiffContext(fromName, toName, a, b, diffContext)
}

// unifiedDiffContext is unifiedDiff with context unchanged lines around each
// change, as diff -U context writes it; a negative context counts as 0.
func unifiedDiffContext(fromName, toName, a, b string, context int) string {
	context = max(context, 0)
	if a == b {
		return ""
	}
	lines := lineDiff(a, b)

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", fromName, toName)

	// aLine[i] and bLine[i] count the lines of a and b before lines[i].
	aLine := make([]int, len(lines)+1)
	bLine := make([]int, len(lines)+1)
	for i, l := range lines {
		aLine[i+1], bLine[i+1] = aLine[i], bLine[i]
		if l.op != diffmatchpatch.DiffInsert {
			aLine[i+1]++
		}
		if l.op != diffmatchpatch.DiffDelete {
			bLine[i+1]++
		}
	}

	for i := 0; i < len(lines); {
		if lines[i].op == diffmatchpatch.DiffEqual {
			i++
			continue
		}
		start := max(0, i-context)
		end := hunkEnd(lines, i, context)
		writeHunk(&out, lines[start:end], aLine[start], aLine[end], bLine[start], bLine[end])
		i = end
	}
	return out.String()
}

// hunkEnd returns the end (exclusive) of the hunk whose first change is at i,
// with context lines of context: changes closer than twice the context share
// a hunk, since their contexts would meet or overlap.
func hunkEnd(lines []diffLine, i, context int) int {
	lastChange := i
	for j := i; j < len(lines); j++ {
		if lines[j].op != diffmatchpatch.DiffEqual {
			lastChange = j
			continue
		}
		if j-lastChange > 2*context {
			break
		}
	}
	return min(len(lines), lastChange+1+context)
}

// writeHunk writes one hunk. aFrom/aTo and bFrom/bTo are the line counts of a
// and b before the hunk's first line and after its last.
func writeHunk(out *strings.Builder, lines []diffLine, aFrom, aTo, bFrom, bTo int) {
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aFrom, aTo), hunkRange(bFrom, bTo))
	for _, l := range lines {
		switch l.op {
		case diffmatchpatch.DiffDelete:
			out.WriteByte('-')
		case diffmatchpatch.DiffInsert:
			out.WriteByte('+')
		default:
			out.WriteByte(' ')
		}
		out.WriteString(l.text)
		out.WriteByte('\n')
		if l.noNewline {
			out.WriteString("\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats a hunk's line range as diff -u does: the first line and
// the count, where an empty range names the line before it.
func hunkRange(from, to int) string {
	n := to - from
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", from)
	case 1:
		return fmt.Sprintf("%d", from+1)
	}
	return fmt.Sprintf("%d,%d", from+1, n)
}

// lineDiff diffs a and b line by line, in go-diff's line mode.
func lineDiff(a, b string) []diffLine {
	dmp := diffmatchpatch.New()
	ra, rb, table := dmp.DiffLinesToRunes(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), table)

	var lines []diffLine
	for _, d := range diffs {
		if d.Text == "" {
			continue
		}
		// Only the last line of a or b can lack a newline, and go-diff
		// keeps it apart from the same line with a newline.
		text, hasNewline := strings.CutSuffix(d.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			lines = append(lines, diffLine{op: d.Type, text: l})
		}
		lines[len(lines)-1].noNewline = !hasNewline
	}
	return lines
}
