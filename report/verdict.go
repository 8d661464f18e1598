package report

import (
	"strings"
	"time"

	"github.com/kubedrift/kubedrift/drift"
)

// The functions below describe one verdict at a time, for writers of logs
// that carry a verdict per line (kubedrift watch): the same words and the
// same JSON as the reports, so that a reader learns one vocabulary.

// JSONResult is one verdict as the JSON report's "results" hold it, for a
// document of another shape to embed: its fields are promoted into the
// embedding struct, so that the verdict reads the same in both.
type JSONResult struct{ jsonResult }

// JSONResultOf returns r as the JSON report would hold it, without its
// diff: a log line names the changed fields with their values, and the
// whole of a large object would swamp the log (--check -o json has it).
func JSONResultOf(r *drift.Result) JSONResult {
	out := jsonResultOf(r, Options{})
	out.Diff = ""
	return JSONResult{out}
}

// JSONSummary is the JSON report's "summary": how many objects have each
// status.
type JSONSummary struct{ jsonSummary }

// JSONSummaryOf counts the verdicts of rep, and inputErrs, as the JSON
// report's summary does.
func JSONSummaryOf(rep *drift.Report, inputErrs []error) JSONSummary {
	if rep == nil {
		rep = &drift.Report{}
	}
	return JSONSummary{jsonSummaryOf(rep, inputErrs)}
}

// JSONStatus names a status as the JSON report does: InSync, Drifted,
// Missing, Unmanaged or Error.
func JSONStatus(s drift.Status) string {
	return statusName(s)
}

// Details says in one line what the text report says under r: what its
// status means ("not in the cluster"), the controller that keeps it, its
// foreign fields, then its changes with who made them, or its error, each
// separated by "; ". It is "" for an object in sync without foreign fields.
func Details(r *drift.Result, now time.Time) string {
	var parts []string
	if words := verdictWords(r); words != "" {
		parts = append(parts, words)
	}
	for _, line := range findings(r, now) {
		parts = append(parts, oneLine(line))
	}
	return strings.Join(parts, "; ")
}
