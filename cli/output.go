package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/report"
)

// outputOptions say how --check and --apply write their report.
type outputOptions struct {
	// Output is the report format (-o): text, json, junit, markdown or
	// github.
	Output string
	// OutputFile, when set, receives the Output format while the text
	// report goes to standard output.
	OutputFile string
	// Color is never, always or auto: colour the text report when standard
	// output is a terminal and NO_COLOR is not set.
	Color string
	// DiffContext is the number of unchanged lines around each change.
	DiffContext int
	// ExitZero makes drift exit 0, for jobs that only report. Errors still
	// exit 2: a report that could not be made is no report.
	ExitZero bool
}

func (o *outputOptions) addFlags(f *pflag.FlagSet) {
	names := make([]string, 0, len(report.Formats()))
	for _, format := range report.Formats() {
		names = append(names, string(format))
	}
	f.StringVarP(&o.Output, "output", "o", string(report.FormatText), "report format of --check and --apply: "+strings.Join(names, ", ")+" (see README for the JSON schema)")
	f.StringVar(&o.OutputFile, "output-file", "", "write the -o format to this file, and the text report to standard output")
	f.StringVar(&o.Color, "color", "auto", "colour the text report: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.IntVar(&o.DiffContext, "diff-context", report.DefaultDiffContext, "unchanged lines shown around each change in the report's diffs")
	f.BoolVar(&o.ExitZero, "exit-zero", false, "exit 0 when drift is found, for jobs that only report (errors still exit 2)")
}

func (o *outputOptions) validate() error {
	if _, err := report.ParseFormat(o.Output); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	switch o.Color {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("--color must be auto, always or never, not %q", o.Color)
	}
	if o.DiffContext < 0 {
		return fmt.Errorf("--diff-context must be 0 or more, not %d", o.DiffContext)
	}
	return nil
}

// writeReport writes the report to out, in the -o format, or in text with
// the -o format to --output-file.
func (o *Options) writeReport(out io.Writer, rep *drift.Report, inputErrs []error, warnings []error) error {
	format, _ := report.ParseFormat(o.Output) // checked by Validate
	opts := report.Options{DiffContext: o.DiffContext, Color: o.colorText(out), Warnings: warnings}
	if o.OutputFile == "" {
		return report.Write(out, format, rep, inputErrs, opts)
	}
	f, err := os.Create(o.OutputFile)
	if err != nil {
		return fmt.Errorf("--output-file: %w", err)
	}
	err = report.Write(f, format, rep, inputErrs, report.Options{DiffContext: o.DiffContext, Warnings: warnings})
	if closeErr := f.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("--output-file: %w", closeErr)
	}
	return errors.Join(err, report.Write(out, report.FormatText, rep, inputErrs, opts))
}

// colorText reports whether the text report to out is coloured.
func (o *Options) colorText(out io.Writer) bool {
	switch o.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
