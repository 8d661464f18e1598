package report

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/kubedrift/kubedrift/drift"
)

// textStyles are the colours of the text report. With colour off every
// style is nil and paint leaves text as it is.
type textStyles struct {
	status                                 map[drift.Status]*lipgloss.Style
	diffAdd, diffRemove, diffHunk, diffHdr *lipgloss.Style
}

// newTextStyles returns the styles of the text report: the 16 basic ANSI
// colours, which every colour terminal has and each user's theme maps to
// something readable, in the roles the UI gives them.
func newTextStyles(colored bool) textStyles {
	if !colored {
		return textStyles{}
	}
	style := func(c color.Color) *lipgloss.Style {
		// Inline and no tab conversion: lines are coloured one at a time
		// and must come out as they went in, only coloured.
		s := lipgloss.NewStyle().Foreground(c).Inline(true).TabWidth(lipgloss.NoTabConversion)
		return &s
	}
	bold := lipgloss.NewStyle().Bold(true).Inline(true).TabWidth(lipgloss.NoTabConversion)
	return textStyles{
		status: map[drift.Status]*lipgloss.Style{
			drift.InSync:    style(lipgloss.Green),
			drift.Drifted:   style(lipgloss.Yellow),
			drift.Missing:   style(lipgloss.Magenta),
			drift.Unmanaged: style(lipgloss.Cyan),
			drift.Error:     style(lipgloss.Red),
		},
		diffAdd:    style(lipgloss.Green),
		diffRemove: style(lipgloss.Red),
		diffHunk:   style(lipgloss.Cyan),
		diffHdr:    &bold,
	}
}

// paint renders s, one line without its newline, in style, or leaves it as
// it is when style is nil.
func paint(style *lipgloss.Style, s string) string {
	if style == nil || s == "" {
		return s
	}
	return style.Render(s)
}

// statusColumn is a status word padded to width, the padding outside the
// colour so that the columns after it line up either way.
func (st textStyles) statusColumn(s drift.Status, width int) string {
	word := s.String()
	return paint(st.status[s], word) + strings.Repeat(" ", max(width-len(word), 0))
}

// diffLine colours one line of a unified diff by what it is.
func (st textStyles) diffLine(line string) string {
	switch {
	case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "):
		return paint(st.diffHdr, line)
	case strings.HasPrefix(line, "@@"):
		return paint(st.diffHunk, line)
	case strings.HasPrefix(line, "+"):
		return paint(st.diffAdd, line)
	case strings.HasPrefix(line, "-"):
		return paint(st.diffRemove, line)
	}
	return line
}

// writeText writes a summary line, for a CI log's reader to see first, then
// one line per object, with its status, name and origin. Under it come its foreign fields, if any; for a drifted object, its
// changed fields with who last wrote them; for a drifted, missing or
// unmanaged object, the unified diff from live to desired; for an error, its
// reason and message. Problems with the input that kept an object from being
// read at all (inputErrs) come last.
func writeText(w io.Writer, rep *drift.Report, inputErrs []error, opts Options) error {
	bw := bufio.NewWriter(w)
	st := newTextStyles(opts.Color)

	// "unmanaged" is the one status longer than 8 characters; the column
	// widens only when an unmanaged object is listed.
	statusWidth, nameWidth := len("in sync "), 0
	for i := range rep.Results {
		statusWidth = max(statusWidth, len(rep.Results[i].Status.String()))
		nameWidth = max(nameWidth, len(rep.Results[i].Ref.String()))
	}
	bw.WriteString(Summary(rep, inputErrs) + "\n")
	if len(rep.Results)+len(inputErrs) > 0 {
		bw.WriteString("\n")
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		line := fmt.Sprintf("%s  %-*s  %s", st.statusColumn(r.Status, statusWidth), nameWidth, r.Ref, r.Origin.String())
		if r.Note != "" {
			line += "  (" + r.Note + ")"
		}
		bw.WriteString(line + "\n")
		if line := controllerLine(r); line != "" {
			writeIndented(bw, line+"\n", nil)
		}
		for _, f := range r.Foreign {
			writeIndented(bw, foreignLine(f, opts.Now)+"\n", nil)
		}
		for _, s := range r.Spared {
			writeIndented(bw, sparedLine(s)+"\n", nil)
		}
		switch {
		case isDrift(r.Status):
			for _, c := range r.Changes {
				writeIndented(bw, changeLine(c, opts.Now)+"\n", nil)
			}
			writeIndented(bw, r.DiffContext(opts.DiffContext), st.diffLine)
		case r.Status == drift.Error:
			writeIndented(bw, errorLine(r), nil)
		}
	}
	for _, err := range inputErrs {
		fmt.Fprintf(bw, "%s  %v\n", st.statusColumn(drift.Error, statusWidth), err)
	}
	for _, w := range opts.Warnings {
		fmt.Fprintf(bw, "%-*s  %v\n", statusWidth, "warning", w)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// Summary counts the verdicts in one line: "5 objects: 2 in sync, 1 drifted,
// 1 missing, 1 error", with unmanaged objects counted before the errors when
// there are any, the errors in the input said apart, and the objects with
// foreign fields after them.
func Summary(rep *drift.Report, inputErrs []error) string {
	c := countsOf(rep, inputErrs)
	unmanaged := ""
	if c.unmanaged > 0 {
		unmanaged = fmt.Sprintf("%d unmanaged, ", c.unmanaged)
	}
	summary := fmt.Sprintf("%s: %d in sync, %d drifted, %d missing, %s%s",
		plural(c.total, "object"), c.inSync, c.drifted, c.missing,
		unmanaged, plural(c.errors+c.inputErrors, "error"))
	if c.inputErrors > 0 {
		// The objects counted are those that could be read; what an
		// input error hides is in none of the counts.
		summary += fmt.Sprintf(" (%d in the input, whose objects were not judged)", c.inputErrors)
	}
	if c.foreign > 0 {
		summary += fmt.Sprintf("; %d with foreign fields", c.foreign)
	}
	return summary
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeIndented writes text with every line indented under its object, each
// line passed through paint first when it is not nil.
func writeIndented(w *bufio.Writer, text string, paint func(string) string) {
	for line := range strings.Lines(text) {
		w.WriteString("    ")
		if paint != nil {
			body, nl := strings.CutSuffix(line, "\n")
			line = paint(body)
			if nl {
				line += "\n"
			}
		}
		w.WriteString(line)
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		w.WriteString("\n")
	}
}
