package report

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Format
		wantErr string
	}{
		{"", FormatText, ""},
		{"text", FormatText, ""},
		{"json", FormatJSON, ""},
		{"junit", FormatJUnit, ""},
		{"markdown", FormatMarkdown, ""},
		{"github", FormatGitHub, ""},
		{"JSON", "", `unknown report format "JSON"`},
		{"yaml", "", `unknown report format "yaml": want text, json, junit, markdown or github`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseFormat(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
			case err != nil || got != tt.want:
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v: Formats lists a format ParseFormat refuses", f, got, err)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	rep, inputErrs := sample()
	for _, tt := range []struct {
		name    string
		format  Format
		opts    Options
		wantErr string
	}{
		{"negative context", FormatText, Options{DiffContext: -1}, "diff context -1"},
		{"unknown format", Format("yaml"), DefaultOptions(), `unknown report format "yaml"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			err := Write(&b, tt.format, rep, inputErrs, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Write = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
	t.Run("writer fails", func(t *testing.T) {
		for _, f := range Formats() {
			err := Write(failingWriter{}, f, rep, inputErrs, Options{Now: now})
			if !errors.Is(err, errWrite) {
				t.Errorf("%s: Write = %v, want the writer's error", f, err)
			}
		}
	})
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

// TestTextIsDefault checks that Text, which the cli calls, is Write with
// DefaultOptions.
func TestTextIsDefault(t *testing.T) {
	rep, inputErrs := allInSync()
	var viaText, viaWrite strings.Builder
	if err := Text(&viaText, rep, inputErrs); err != nil {
		t.Fatal(err)
	}
	if err := Write(&viaWrite, FormatText, rep, inputErrs, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	if viaText.String() != viaWrite.String() {
		t.Errorf("Text wrote\n%s\nWrite with DefaultOptions\n%s", viaText.String(), viaWrite.String())
	}
}

// TestPosition checks where each kind of origin points an annotation.
func TestPosition(t *testing.T) {
	for _, tt := range []struct {
		name     string
		origin   *sources.Origin
		wantFile string
		wantLine int
	}{
		{"manifest file", &sources.Origin{File: "k8s/web.yaml", Line: 12}, "k8s/web.yaml", 12},
		{"standard input", &sources.Origin{File: "-", Line: 3}, "", 0},
		{"chart template", &sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "shop/templates/web.yaml"}, "shop/templates/web.yaml", 0},
		{"kustomization without a file", &sources.Origin{Source: sources.Source{Kind: sources.SourceKustomization, Name: "overlays/prod"}}, "", 0},
		{"no origin", nil, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := drift.Result{}
			if tt.origin != nil {
				r.Origin = *tt.origin
			}
			file, line := r.Origin.Position()
			if file != tt.wantFile || line != tt.wantLine {
				t.Errorf("position = %q, %d; want %q, %d", file, line, tt.wantFile, tt.wantLine)
			}
		})
	}
}
