package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/kubedrift/kubedrift/drift"
)

// maxTableChanges is how many changed fields an object's row in the table
// names, and maxCellText how many characters of a message it shows: the
// table is an overview, its details blocks have everything.
const (
	maxTableChanges = 3
	maxCellText     = 120
)

// writeMarkdown writes GitHub-flavoured Markdown for a pull request comment
// or $GITHUB_STEP_SUMMARY: a heading with the summary line, a table of the
// counts by status, a table of the objects that need attention (not in
// sync, or with foreign fields) and the input errors, and then, per object
// in that table, a collapsed <details> block with its changes and its diff.
//
// Text from the objects (values, messages, file names) is only ever put in
// code spans, fenced blocks or escaped HTML, so that no value can add
// Markdown or HTML of its own to the page.
func writeMarkdown(w io.Writer, rep *drift.Report, inputErrs []error, opts Options) error {
	bw := bufio.NewWriter(w)
	c := countsOf(rep, inputErrs)

	bw.WriteString("## kubedrift\n\n")
	bw.WriteString(mdText(Summary(rep, inputErrs)) + "\n\n")
	bw.WriteString("| status | objects |\n| :-- | --: |\n")
	for _, row := range []struct {
		status string
		n      int
	}{
		{drift.InSync.String(), c.inSync},
		{drift.Drifted.String(), c.drifted},
		{drift.Missing.String(), c.missing},
		{drift.Unmanaged.String(), c.unmanaged},
		{drift.Error.String(), c.errors},
		{"input error", c.inputErrors},
	} {
		fmt.Fprintf(bw, "| %s | %d |\n", row.status, row.n)
	}

	var attention []*drift.Result
	for i := range rep.Results {
		if needsAttention(&rep.Results[i]) {
			attention = append(attention, &rep.Results[i])
		}
	}
	if len(attention)+len(inputErrs) > 0 {
		bw.WriteString("\n### Objects to look at\n\n")
		bw.WriteString("| status | object | origin | what |\n| :-- | :-- | :-- | :-- |\n")
		for _, r := range attention {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n",
				r.Status, mdCell(mdCode(r.Ref.String())), mdCell(mdCode(r.Origin.String())), mdCell(mdWhat(r)))
		}
		for _, err := range inputErrs {
			origin, msg := inputError(err)
			fmt.Fprintf(bw, "| input error |  | %s | %s |\n", mdCell(mdCode(origin.String())), mdCell(mdCode(shorten(msg, maxCellText))))
		}
	}

	for _, r := range attention {
		bw.WriteString("\n")
		writeMarkdownDetails(bw, r, opts)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// writeMarkdownDetails writes the collapsed block of one object: its note,
// changes and foreign fields as a list, an error's message, and its diff.
func writeMarkdownDetails(bw *bufio.Writer, r *drift.Result, opts Options) {
	summary := r.Status.String() + " <code>" + html.EscapeString(r.Ref.String()) + "</code>"
	if o := r.Origin.String(); o != "" {
		summary += " from <code>" + html.EscapeString(o) + "</code>"
	}
	// The blank line after <summary> ends the HTML block, so that what
	// follows is read as Markdown again.
	bw.WriteString("<details><summary>" + summary + "</summary>\n\n")
	if words := verdictWords(r); words != "" {
		bw.WriteString(mdText(words) + "\n\n")
	}
	if r.Status == drift.Error {
		bw.WriteString(mdFence("", errorLine(r)+"\n"))
	} else if lines := findings(r, opts.Now); len(lines) > 0 {
		for _, line := range lines {
			bw.WriteString("- " + mdCode(line) + "\n")
		}
		bw.WriteString("\n")
	}
	if isDrift(r.Status) {
		if diff := r.DiffContext(opts.DiffContext); diff != "" {
			bw.WriteString(mdFence("diff", diff))
		}
	}
	bw.WriteString("</details>\n")
}

// mdWhat says in a table cell what is wrong with r: the changed fields (the
// first few), or what its status means, or its error, cut short.
func mdWhat(r *drift.Result) string {
	var parts []string
	if r.Status == drift.Drifted && len(r.Changes) > 0 {
		paths := make([]string, 0, maxTableChanges+1)
		for i, c := range r.Changes {
			if i == maxTableChanges {
				paths = append(paths, fmt.Sprintf("and %d more", len(r.Changes)-maxTableChanges))
				break
			}
			paths = append(paths, mdCode(c.Path))
		}
		parts = append(parts, plural(len(r.Changes), "change")+": "+strings.Join(paths, ", "))
	}
	if r.Status == drift.Error {
		parts = append(parts, mdCode(shorten(errorLine(r), maxCellText)))
	}
	if words := verdictWords(r); words != "" {
		parts = append(parts, mdText(words))
	}
	if n := len(r.Foreign); n > 0 {
		parts = append(parts, plural(n, "foreign field"))
	}
	return strings.Join(parts, "; ")
}

// shorten cuts s to at most n characters, with an ellipsis where it was cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// mdCode returns s as an inline code span, on one line, with a fence of
// more backticks than any run in s, so that no character of s is read as
// Markdown. "" stays "".
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		// A space inside each fence keeps the fence apart from the
		// backticks of s; Markdown strips one on each side.
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdFence returns text, which ends in a newline, as a fenced code block in
// language lang, fenced with more backticks than any run in text.
func mdFence(lang, text string) string {
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	return fence + lang + "\n" + text + fence + "\n\n"
}

// mdCell makes Markdown fit a table cell: GitHub splits cells at every |
// that is not escaped, even inside a code span, and reads \| as | there too.
func mdCell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

// mdText escapes the characters of plain text that Markdown or HTML would
// read as markup, and a leading - or + that would start a list.
func mdText(s string) string {
	var b strings.Builder
	for i, r := range oneLine(s) {
		if strings.ContainsRune("\\`*_[]<>|~&#", r) || (i == 0 && (r == '-' || r == '+')) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := range len(s) {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
