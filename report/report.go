// Package report writes the verdicts of a drift check for people and for CI,
// in one of five formats (see Format):
//
//   - text, for a terminal: one line per object, then what differs and the
//     unified diff, and a summary line at the end; coloured on request.
//   - json, for scripts: a versioned document whose JSON Schema is Schema
//     (schema.json, described in SCHEMA.md).
//   - junit, for CI test report viewers: one test case per object.
//   - markdown, for a pull request comment or $GITHUB_STEP_SUMMARY.
//   - github, GitHub Actions workflow commands: an annotation per object
//     that needs attention, at its file and line.
//
// Every format takes what it prints from a drift.Report, whose objects
// already have their Secret values masked: nothing here unmasks or reads a
// value that the engine did not mean to be shown.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

// Format names a report format.
type Format string

const (
	// FormatText is the report for a person at a terminal.
	FormatText Format = "text"
	// FormatJSON is a document for scripts, described by Schema.
	FormatJSON Format = "json"
	// FormatJUnit is JUnit XML, for the test report viewers of CI systems.
	FormatJUnit Format = "junit"
	// FormatMarkdown is GitHub-flavoured Markdown, for a pull request
	// comment or a job summary.
	FormatMarkdown Format = "markdown"
	// FormatGitHub is GitHub Actions workflow commands, which the runner
	// turns into annotations on the files of a pull request.
	FormatGitHub Format = "github"
)

// Formats returns every format, in the order a flag's help lists them.
func Formats() []Format {
	return []Format{FormatText, FormatJSON, FormatJUnit, FormatMarkdown, FormatGitHub}
}

// ParseFormat returns the format s names; "" is FormatText.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatText, nil
	}
	for _, f := range Formats() {
		if Format(s) == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown report format %q: want text, json, junit, markdown or github", s)
}

// DefaultDiffContext is the number of unchanged lines shown around each
// change in a diff unless asked otherwise, as diff -u shows.
const DefaultDiffContext = 3

// Options tune how a report is written. The zero value is valid but shows
// diffs without context; DefaultOptions is what a report looks like unless
// the user asks otherwise.
type Options struct {
	// Color writes the text format with ANSI colours: each status in its
	// own colour, added diff lines green, removed ones red, hunk headers
	// cyan. The caller decides, from --color, NO_COLOR and whether the
	// output is a terminal; the other formats are never coloured, since
	// they are read by programs.
	Color bool
	// DiffContext is the number of unchanged lines shown around each
	// change in the diffs of every format (--diff-context). 0 shows the
	// changed lines alone; it may not be negative.
	DiffContext int
	// Now is the time from which the age of each change is told ("12m ago")
	// and the JUnit report is stamped; the zero time means the time at
	// which Write is called. Tests fix it so that their output is stable.
	Now time.Time
	// Warnings are what is worth knowing about how the input was read but
	// fails nothing, such as a chart's lookup the user may not make; the
	// text and JSON formats say each once.
	Warnings []error
}

// DefaultOptions returns the options of a report written without flags: no
// colour, DefaultDiffContext lines of context, ages from the time of
// writing.
func DefaultOptions() Options {
	return Options{DiffContext: DefaultDiffContext}
}

// Write writes the report on rep in format ("" is FormatText) to w.
// inputErrs are the problems with the input that kept objects from being read
// at all (sources.Load's errors); each format reports them beside the
// objects' verdicts. It fails on a negative Options.DiffContext, an unknown
// format, or when w does.
func Write(w io.Writer, format Format, rep *drift.Report, inputErrs []error, opts Options) error {
	if opts.DiffContext < 0 {
		return fmt.Errorf("diff context %d: want 0 or more lines", opts.DiffContext)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if rep == nil {
		rep = &drift.Report{}
	}
	switch format {
	case FormatText, "":
		return writeText(w, rep, inputErrs, opts)
	case FormatJSON:
		return writeJSON(w, rep, inputErrs, opts)
	case FormatJUnit:
		return writeJUnit(w, rep, inputErrs, opts)
	case FormatMarkdown:
		return writeMarkdown(w, rep, inputErrs, opts)
	case FormatGitHub:
		return writeGitHub(w, rep, inputErrs, opts)
	}
	return fmt.Errorf("unknown report format %q", format)
}

// Text writes the text report with DefaultOptions: one line per object, with
// its status, name and origin. Under it come its foreign fields, if any; for
// a drifted object, its changed fields with who last wrote them; for a
// drifted, missing or unmanaged object, the unified diff from live to
// desired; for an error, its reason and message. Problems with the input
// that kept an object from being read at all (inputErrs) come next, and a
// summary line ends the report.
func Text(w io.Writer, rep *drift.Report, inputErrs []error) error {
	return Write(w, FormatText, rep, inputErrs, DefaultOptions())
}

// inputError splits a problem with the input into where it is, when it is a
// *sources.Error that knows, and what it is.
func inputError(err error) (drift.Origin, string) {
	if se, ok := errors.AsType[*sources.Error](err); ok && se.Err != nil {
		return se.Origin, se.Err.Error()
	}
	if w, ok := errors.AsType[*sources.Warning](err); ok {
		return w.Origin, w.Msg
	}
	if err == nil {
		return drift.Origin{}, "unknown error"
	}
	return drift.Origin{}, err.Error()
}

// needsAttention reports whether r is worth a person's attention: any verdict
// but in sync, or foreign fields on an object that is in sync.
func needsAttention(r *drift.Result) bool {
	return r.Status != drift.InSync || len(r.Foreign) > 0
}

// isDrift reports whether r's status is one a reconcile would act on.
func isDrift(s drift.Status) bool {
	return s == drift.Drifted || s == drift.Missing || s == drift.Unmanaged
}

// changeLine describes a change in one line, as Change.Describe does, and
// says when a reconcile would take the field from another manager.
func changeLine(c drift.Change, now time.Time) string {
	s := c.Describe(now)
	if c.Conflict {
		if c.Manager == "" {
			return s + " [conflict]"
		}
		return s + " [conflict with " + c.Manager + "]"
	}
	return s
}

// foreignLine describes a foreign field in one line.
func foreignLine(f drift.ForeignField, now time.Time) string {
	return "foreign " + f.Describe(now)
}

// sparedLine says in one line which field was left out of the comparison,
// and why.
func sparedLine(s drift.Spared) string {
	line := s.Describe()
	if s.By == drift.SparedGenerated {
		line += " (--release compares what was installed)"
	}
	return line
}

// findings returns the lines that say what is wrong with r, as text: its
// foreign fields and spared fields, then its changes, for a drifted,
// missing or unmanaged object, or its reason and error.
func findings(r *drift.Result, now time.Time) []string {
	var lines []string
	if line := controllerLine(r); line != "" {
		lines = append(lines, line)
	}
	for _, f := range r.Foreign {
		lines = append(lines, foreignLine(f, now))
	}
	for _, s := range r.Spared {
		lines = append(lines, sparedLine(s))
	}
	switch {
	case isDrift(r.Status):
		for _, c := range r.Changes {
			lines = append(lines, changeLine(c, now))
		}
	case r.Status == drift.Error:
		lines = append(lines, errorLine(r))
	}
	return lines
}

// controllerLine says which tool keeps a drifted, missing or unmanaged
// object, and so would take a fix made by hand back; "" when none does or
// the object is in sync.
func controllerLine(r *drift.Result) string {
	if r.Controller == nil || !isDrift(r.Status) {
		return ""
	}
	return "managed by " + r.Controller.String() + ": " + r.Controller.Fights()
}

// verdictWords says in a few words what r's status means for the object,
// with its note: "not in the cluster (after its namespace is created)". ""
// for a status that needs no words (in sync, drifted, error).
func verdictWords(r *drift.Result) string {
	var words string
	switch r.Status {
	case drift.Missing:
		words = "not in the cluster"
	case drift.Unmanaged:
		words = "no manifest declares it"
	}
	switch {
	case r.Note == "" || r.Note == words:
		return words
	case words == "":
		return r.Note
	}
	return words + " (" + r.Note + ")"
}

// errorLine is an Error verdict's reason and message.
func errorLine(r *drift.Result) string {
	msg := "unknown error"
	if r.Err != nil {
		msg = r.Err.Error()
	}
	if r.Reason == "" {
		return msg
	}
	return string(r.Reason) + ": " + msg
}

// statusName is a status as the machine-read formats name it: InSync,
// Drifted, Missing, Unmanaged, Error.
func statusName(s drift.Status) string {
	switch s {
	case drift.InSync:
		return "InSync"
	case drift.Drifted:
		return "Drifted"
	case drift.Missing:
		return "Missing"
	case drift.Unmanaged:
		return "Unmanaged"
	case drift.Error:
		return "Error"
	}
	return s.String()
}

// oneLine joins the lines of s with spaces, for places that hold one line:
// table cells, XML attributes, titles.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// counts are the numbers of a report's summary.
type counts struct {
	total, inSync, drifted, missing, unmanaged, errors, inputErrors, foreign int
}

func countsOf(rep *drift.Report, inputErrs []error) counts {
	c := counts{
		total:       len(rep.Results),
		inSync:      rep.Count(drift.InSync),
		drifted:     rep.Count(drift.Drifted),
		missing:     rep.Count(drift.Missing),
		unmanaged:   rep.Count(drift.Unmanaged),
		errors:      rep.Count(drift.Error),
		inputErrors: len(inputErrs),
	}
	for i := range rep.Results {
		if len(rep.Results[i].Foreign) > 0 {
			c.foreign++
		}
	}
	return c
}
