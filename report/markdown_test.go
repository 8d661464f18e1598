package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

func TestMDCode(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "spec.replicas", "`spec.replicas`"},
		{"empty", "", ""},
		{"markup stays literal", "*** (7 bytes, before) <b>", "`*** (7 bytes, before) <b>`"},
		{"a backtick inside", "echo `date`", "`` echo `date` ``"},
		{"a run of two", "a``b", "```a``b```"},
		{"lines joined", "one\ntwo", "`one two`"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdCode(tt.in); got != tt.want {
				t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMDCell(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "not in the cluster", "not in the cluster"},
		{"pipe", "a|b", `a\|b`},
		{"pipe in code", "`x | y`", "`x \\| y`"},
		{"newline", "a\nb", "a b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdCell(tt.in); got != tt.want {
				t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMDText(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "after its namespace is created", "after its namespace is created"},
		{"emphasis and links", "*a* _b_ [c](d)", `\*a\* \_b\_ \[c\](d)`},
		{"html", "<img src=x>", `\<img src=x\>`},
		{"list marker", "- item", `\- item`},
		{"dash inside", "a - b", "a - b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdText(tt.in); got != tt.want {
				t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMDFence(t *testing.T) {
	text := "```\nnot the end\n```\n"
	got := mdFence("diff", text)
	if !strings.HasPrefix(got, "````diff\n") || !strings.HasSuffix(got, "\n````\n\n") {
		t.Errorf("mdFence of text with a fence inside:\n%s", got)
	}
}

// TestMarkdownTableCells checks that an object whose texts hold | keeps its
// table row in four cells.
func TestMarkdownTableCells(t *testing.T) {
	rep := &drift.Report{Results: []drift.Result{{
		Ref:    drift.Ref{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "shop", Name: "w"},
		Status: drift.Error, Origin: sources.Origin{File: "k8s/a|b.yaml", Line: 2},
		Reason: drift.ReasonInvalid, Err: errors.New("spec.mode: Unsupported value: \"x\": supported values: \"a|b\", `c`"),
	}}}
	inputErrs := []error{&sources.Error{Origin: sources.Origin{File: "k8s/c|d.yaml", Line: 1}, Err: errors.New("bad | worse")}}
	var b bytes.Buffer
	if err := Write(&b, FormatMarkdown, rep, inputErrs, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(line, "| error | `") && !strings.HasPrefix(line, "| input error |  |") {
			continue
		}
		rows++
		// Cells are split at every | without a backslash before it.
		cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
		if cells != 4 {
			t.Errorf("row has %d cells, want 4: %s", cells, line)
		}
	}
	if rows != 2 {
		t.Errorf("found %d object rows, want 2:\n%s", rows, b.String())
	}
}
