package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/kubedrift/kubedrift/drift"
)

// TestGolden writes every format of the sample report, and of a report
// where all is in sync, and compares them with testdata/TestGolden/*.
// Run `go test ./report -run TestGolden -update` after a deliberate change
// and read the new files before committing them.
func TestGolden(t *testing.T) {
	opts := Options{DiffContext: DefaultDiffContext, Now: now}
	tests := []struct {
		name   string
		report func() (*drift.Report, []error)
		format Format
		opts   Options
	}{
		{"text", sample, FormatText, opts},
		{"text-color", sample, FormatText, Options{Color: true, DiffContext: DefaultDiffContext, Now: now}},
		{"text-context-0", sample, FormatText, Options{Now: now}},
		{"json", sample, FormatJSON, opts},
		{"junit", sample, FormatJUnit, opts},
		{"markdown", sample, FormatMarkdown, opts},
		{"github", sample, FormatGitHub, opts},
		{"in-sync-text", allInSync, FormatText, opts},
		{"in-sync-json", allInSync, FormatJSON, opts},
		{"in-sync-junit", allInSync, FormatJUnit, opts},
		{"in-sync-markdown", allInSync, FormatMarkdown, opts},
		{"in-sync-github", allInSync, FormatGitHub, opts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, inputErrs := tt.report()
			var b bytes.Buffer
			if err := Write(&b, tt.format, rep, inputErrs, tt.opts); err != nil {
				t.Fatal(err)
			}
			golden.RequireEqual(t, b.Bytes())
		})
	}
}

// TestColorOnlyInText checks that Options.Color colours the text report and
// nothing else: the other formats are read by programs.
func TestColorOnlyInText(t *testing.T) {
	rep, inputErrs := sample()
	for _, f := range Formats() {
		for _, color := range []bool{false, true} {
			var b strings.Builder
			if err := Write(&b, f, rep, inputErrs, Options{Color: color, DiffContext: 3, Now: now}); err != nil {
				t.Fatal(err)
			}
			hasEscape := strings.Contains(b.String(), "\x1b[")
			if want := color && f == FormatText; hasEscape != want {
				t.Errorf("%s with Color %v: ANSI escapes %v, want %v", f, color, hasEscape, want)
			}
		}
	}
}

// TestTextColorKeepsText checks that colouring changes nothing but the
// escapes: stripped of them, the coloured report is the plain one.
func TestTextColorKeepsText(t *testing.T) {
	rep, inputErrs := sample()
	var plain, colored strings.Builder
	if err := Write(&plain, FormatText, rep, inputErrs, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&colored, FormatText, rep, inputErrs, Options{Color: true, DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	if got := stripANSI(colored.String()); got != plain.String() {
		t.Errorf("coloured report without its escapes:\n%s\nwant\n%s", got, plain.String())
	}
}

// stripANSI removes the SGR sequences (ESC [ ... m) from s.
func stripANSI(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return b.String() + s[i:]
		}
		s = s[i+j+1:]
	}
}
