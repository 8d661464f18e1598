package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kubedrift/kubedrift/drift"
)

// APIVersion is the apiVersion of the JSON report. Within it, fields are only
// ever added, never removed or given another meaning; a change that would
// break a reader gets a new version.
const APIVersion = "kubedrift.dev/v1"

// schemaJSON is the JSON Schema of the JSON report; SCHEMA.md explains it.
//
//go:embed schema.json
var schemaJSON string

// Schema returns the JSON Schema (draft 2020-12) of the JSON report of this
// version of kubedrift, for a user to validate against or generate types
// from.
func Schema() []byte {
	return []byte(schemaJSON)
}

// The types below are the JSON report; schema.json describes the same
// document and a test holds the two together. Field order is the order in
// which the document shows them.

type jsonReport struct {
	APIVersion  string           `json:"apiVersion"`
	Kind        string           `json:"kind"`
	Summary     jsonSummary      `json:"summary"`
	Results     []jsonResult     `json:"results"`
	InputErrors []jsonInputError `json:"inputErrors"`
	Warnings    []jsonInputError `json:"warnings,omitempty"`
}

type jsonSummary struct {
	Total       int `json:"total"`
	InSync      int `json:"inSync"`
	Drifted     int `json:"drifted"`
	Missing     int `json:"missing"`
	Unmanaged   int `json:"unmanaged"`
	Error       int `json:"error"`
	InputErrors int `json:"inputErrors"`
	Foreign     int `json:"foreign"`
}

type jsonResult struct {
	Ref        jsonRef         `json:"ref"`
	Object     string          `json:"object"`
	Status     string          `json:"status"`
	Mode       string          `json:"mode,omitempty"`
	Origin     *jsonOrigin     `json:"origin,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Error      string          `json:"error,omitempty"`
	Note       string          `json:"note,omitempty"`
	Controller *jsonController `json:"controller,omitempty"`
	Changes    []jsonChange    `json:"changes"`
	Foreign    []jsonForeign   `json:"foreign"`
	Ignored    []string        `json:"ignored"`
	Spared     []jsonSpared    `json:"spared,omitempty"`
	Diff       string          `json:"diff,omitempty"`
}

type jsonController struct {
	Tool  string `json:"tool"`
	Owner string `json:"owner,omitempty"`
}

type jsonRef struct {
	Group     string `json:"group"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

type jsonOrigin struct {
	Text string `json:"text"`
	// Kind is what rendered the object (chart, kustomization, release,
	// git), and Source names it as Text does: "chart shop".
	Kind   string `json:"kind,omitempty"`
	Source string `json:"source,omitempty"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

type jsonChange struct {
	Path      string `json:"path"`
	Pointer   string `json:"pointer"`
	Live      any    `json:"live,omitempty"`
	Desired   any    `json:"desired,omitempty"`
	Manager   string `json:"manager,omitempty"`
	Operation string `json:"operation,omitempty"`
	Time      string `json:"time,omitempty"`
	Conflict  bool   `json:"conflict"`
}

type jsonForeign struct {
	Path      string `json:"path"`
	Pointer   string `json:"pointer"`
	Value     any    `json:"value,omitempty"`
	Manager   string `json:"manager,omitempty"`
	Operation string `json:"operation,omitempty"`
	Time      string `json:"time,omitempty"`
}

type jsonSpared struct {
	Pointer string `json:"pointer"`
	By      string `json:"by"`
}

type jsonInputError struct {
	Message string      `json:"message"`
	Origin  *jsonOrigin `json:"origin,omitempty"`
}

// writeJSON writes the report as one JSON document, indented, ending in a
// newline.
func writeJSON(w io.Writer, rep *drift.Report, inputErrs []error, opts Options) error {
	doc := jsonReport{
		APIVersion:  APIVersion,
		Kind:        "Report",
		Summary:     jsonSummaryOf(rep, inputErrs),
		Results:     make([]jsonResult, 0, len(rep.Results)),
		InputErrors: make([]jsonInputError, 0, len(inputErrs)),
	}
	for i := range rep.Results {
		doc.Results = append(doc.Results, jsonResultOf(&rep.Results[i], opts))
	}
	for _, err := range inputErrs {
		origin, msg := inputError(err)
		doc.InputErrors = append(doc.InputErrors, jsonInputError{Message: msg, Origin: jsonOriginOf(origin)})
	}
	for _, err := range opts.Warnings {
		origin, msg := inputError(err)
		doc.Warnings = append(doc.Warnings, jsonInputError{Message: msg, Origin: jsonOriginOf(origin)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Diffs and images hold <, > and &; HTML escapes would garble them for
	// every reader that is not a browser.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func jsonSummaryOf(rep *drift.Report, inputErrs []error) jsonSummary {
	c := countsOf(rep, inputErrs)
	return jsonSummary{
		Total: c.total, InSync: c.inSync, Drifted: c.drifted, Missing: c.missing,
		Unmanaged: c.unmanaged, Error: c.errors, InputErrors: c.inputErrors, Foreign: c.foreign,
	}
}

func jsonResultOf(r *drift.Result, opts Options) jsonResult {
	out := jsonResult{
		Ref: jsonRef{
			Group: r.Ref.Group, Version: r.Ref.Version, Kind: r.Ref.Kind,
			Namespace: r.Ref.Namespace, Name: r.Ref.Name,
		},
		Object:  r.Ref.String(),
		Status:  statusName(r.Status),
		Mode:    string(r.Mode),
		Origin:  jsonOriginOf(r.Origin),
		Note:    r.Note,
		Changes: make([]jsonChange, 0, len(r.Changes)),
		Foreign: make([]jsonForeign, 0, len(r.Foreign)),
		Ignored: append(make([]string, 0, len(r.Ignored)), r.Ignored...),
		Diff:    r.DiffContext(opts.DiffContext),
	}
	if c := r.Controller; c != nil {
		out.Controller = &jsonController{Tool: c.Tool, Owner: c.Owner}
	}
	if r.Status == drift.Error {
		out.Reason = string(r.Reason)
		if out.Reason == "" {
			out.Reason = string(drift.ReasonUnknown)
		}
		out.Error = "unknown error"
		if r.Err != nil {
			out.Error = r.Err.Error()
		}
	}
	for _, c := range r.Changes {
		out.Changes = append(out.Changes, jsonChange{
			Path: c.Path, Pointer: c.Pointer, Live: c.Live, Desired: c.Want,
			Manager: c.Manager, Operation: c.Operation, Time: jsonTime(c.Time), Conflict: c.Conflict,
		})
	}
	for _, s := range r.Spared {
		out.Spared = append(out.Spared, jsonSpared{Pointer: s.Pointer, By: s.By})
	}
	for _, f := range r.Foreign {
		out.Foreign = append(out.Foreign, jsonForeign{
			Path: f.Path, Pointer: f.Pointer, Value: f.Value,
			Manager: f.Manager, Operation: f.Operation, Time: jsonTime(f.Time),
		})
	}
	return out
}

// jsonOriginOf returns origin as text and as its parts; nil for none.
func jsonOriginOf(o drift.Origin) *jsonOrigin {
	if o.IsZero() {
		return nil
	}
	return &jsonOrigin{Text: o.String(), Kind: string(o.Source.Kind), Source: o.Source.String(), File: o.File, Line: o.Line}
}

// jsonTime formats a time as RFC 3339 in UTC, "" for the zero time (unknown).
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
