package ui

import (
	"strings"
)

// sideBySideMinWidth is the narrowest terminal that shows a diff side by
// side: two columns of YAML narrower than about 48 cells cut most lines.
const sideBySideMinWidth = 100

// rowKind says how a row of the side-by-side diff is drawn.
type rowKind int

const (
	rowText   rowKind = iota // full width: attribution, notes
	rowHeader                // the two file names, over their columns
	rowHunk                  // a hunk header, full width
	rowPair                  // a line of live beside a line of desired
)

// pairRow is one row of the side-by-side diff. In a rowPair, left and
// right keep their unified-diff sign ('-', '+' or ' '), so that the change
// reads without colour too; an empty side is "".
type pairRow struct {
	kind        rowKind
	left, right string
}

// pairLines lays the unified diff of lines out side by side: lines before
// diffStart are text; within a hunk, each run of removed lines is set beside
// the run of added lines that follows it, and context lines stand on both
// sides. It returns the rows and the rows that start a hunk.
func pairLines(lines []string, diffStart int) (rows []pairRow, hunks []int) {
	for _, l := range lines[:diffStart] {
		rows = append(rows, pairRow{kind: rowText, left: l})
	}
	var removed, added []string
	flush := func() {
		for i := range max(len(removed), len(added)) {
			var row pairRow
			row.kind = rowPair
			if i < len(removed) {
				row.left = removed[i]
			}
			if i < len(added) {
				row.right = added[i]
			}
			rows = append(rows, row)
		}
		removed, added = removed[:0], added[:0]
	}
	body := lines[diffStart:]
	for i := 0; i < len(body); i++ {
		l := body[i]
		switch {
		case strings.HasPrefix(l, "--- ") && i+1 < len(body) && strings.HasPrefix(body[i+1], "+++ "):
			flush()
			rows = append(rows, pairRow{kind: rowHeader, left: l, right: body[i+1]})
			i++
		case strings.HasPrefix(l, "@@"):
			flush()
			hunks = append(hunks, len(rows))
			rows = append(rows, pairRow{kind: rowHunk, left: l})
		case strings.HasPrefix(l, "-"):
			if len(added) > 0 { // a removal after additions starts a new pairing
				flush()
			}
			removed = append(removed, l)
		case strings.HasPrefix(l, "+"):
			added = append(added, l)
		case strings.HasPrefix(l, " "):
			flush()
			rows = append(rows, pairRow{kind: rowPair, left: l, right: l})
		default: // "\ No newline at end of file", and text after the diff
			flush()
			rows = append(rows, pairRow{kind: rowText, left: l})
		}
	}
	flush()
	return rows, hunks
}

// renderPair draws one side-by-side row at width cells, as one screen line,
// or as several when wrap is on.
func (m Model) renderPair(row pairRow, width int, wrap bool) []string {
	cut := func(s string, w int) []string {
		if wrap {
			return wrapLine(s, w)
		}
		return []string{truncate(s, w)}
	}
	switch row.kind {
	case rowText, rowHunk:
		var out []string
		for _, part := range cut(row.left, width) {
			out = append(out, m.styleDiffLine(part))
		}
		return out
	}
	col := (width - 3) / 2 // " │ " between the columns
	left, right := cut(row.left, col), cut(row.right, col)
	out := make([]string, max(len(left), len(right)))
	sep := m.opts.Styles.Muted.Render(" │ ")
	for i := range out {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		// A continuation of a wrapped line is coloured as its first part.
		out[i] = padRight(m.styleSide(row.kind, row.left, l), col) + sep + m.styleSide(row.kind, row.right, r)
	}
	return out
}

// styleSide colours part of one side of a row, after the line it comes
// from.
func (m Model) styleSide(kind rowKind, line, part string) string {
	s := m.opts.Styles
	switch {
	case part == "":
		return ""
	case kind == rowHeader:
		return s.Muted.Render(part)
	case strings.HasPrefix(line, "-"):
		return s.DiffRemove.Render(part)
	case strings.HasPrefix(line, "+"):
		return s.DiffAdd.Render(part)
	}
	return m.yamlLine(part)
}
