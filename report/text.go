// Package report writes the verdicts of a drift check for people and for CI.
package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubedrift/kubedrift/drift"
)

// Text writes one line per object, with its status, name and origin. Under
// it come its foreign fields, if any; for a drifted object, its changed fields with who last wrote
// them; for a drifted, missing or unmanaged object, the unified diff from
// live to desired; for an error, its reason and message. Problems with the
// input that kept an object from being read at all (inputErrs) come next,
// and a summary line ends the report.
func Text(w io.Writer, rep *drift.Report, inputErrs []error) error {
	return text(w, rep, inputErrs, time.Now())
}

// text is Text at a given time, from which the age of each change is told.
func text(w io.Writer, rep *drift.Report, inputErrs []error, now time.Time) error {
	bw := bufio.NewWriter(w)

	// "unmanaged" is the one status longer than 8 characters; the column
	// widens only when an unmanaged object is listed.
	statusWidth, nameWidth := len("in sync "), 0
	for i := range rep.Results {
		statusWidth = max(statusWidth, len(rep.Results[i].Status.String()))
		nameWidth = max(nameWidth, len(rep.Results[i].Ref.String()))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		line := fmt.Sprintf("%-*s  %-*s  %s", statusWidth, r.Status, nameWidth, r.Ref, origin(r))
		if r.Note != "" {
			line += "  (" + r.Note + ")"
		}
		bw.WriteString(line + "\n")
		for _, f := range r.Foreign {
			writeIndented(bw, "foreign "+f.Describe(now)+"\n")
		}
		switch r.Status {
		case drift.Drifted, drift.Missing, drift.Unmanaged:
			for _, c := range r.Changes {
				writeIndented(bw, c.Describe(now)+"\n")
			}
			writeIndented(bw, r.Diff())
		case drift.Error:
			writeIndented(bw, fmt.Sprintf("%s: %v", r.Reason, r.Err))
		}
	}
	for _, err := range inputErrs {
		fmt.Fprintf(bw, "%-*s  %v\n", statusWidth, drift.Error, err)
	}
	if len(rep.Results)+len(inputErrs) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString(Summary(rep, inputErrs) + "\n")
	return bw.Flush()
}

// Summary counts the verdicts in one line: "5 objects: 2 in sync, 1 drifted,
// 1 missing, 1 error", with unmanaged objects counted before the errors when
// there are any, and the objects with foreign fields after them.
func Summary(rep *drift.Report, inputErrs []error) string {
	errs := rep.Count(drift.Error) + len(inputErrs)
	unmanaged := ""
	if n := rep.Count(drift.Unmanaged); n > 0 {
		unmanaged = fmt.Sprintf("%d unmanaged, ", n)
	}
	foreign := 0
	for i := range rep.Results {
		if len(rep.Results[i].Foreign) > 0 {
			foreign++
		}
	}
	summary := fmt.Sprintf("%s: %d in sync, %d drifted, %d missing, %s%s",
		plural(len(rep.Results), "object"),
		rep.Count(drift.InSync), rep.Count(drift.Drifted), rep.Count(drift.Missing),
		unmanaged, plural(errs, "error"))
	if foreign > 0 {
		summary += fmt.Sprintf("; %d with foreign fields", foreign)
	}
	return summary
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func origin(r *drift.Result) string {
	if r.Origin == nil {
		return ""
	}
	return r.Origin.String()
}

// writeIndented writes text with every line indented under its object.
func writeIndented(w *bufio.Writer, text string) {
	for line := range strings.Lines(text) {
		w.WriteString("    ")
		w.WriteString(line)
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		w.WriteString("\n")
	}
}
