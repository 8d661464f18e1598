package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubedrift/kubedrift/drift"
)

// TestJSONResultOfMatchesSchema: a verdict on its own reads as one of the
// report's results does, as schema.json describes them, without the diff;
// the summary on its own as the report's summary.
func TestJSONResultOfMatchesSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	resultSchema, err := c.Compile("schema.json#/$defs/result")
	if err != nil {
		t.Fatal(err)
	}
	summarySchema, err := c.Compile("schema.json#/properties/summary")
	if err != nil {
		t.Fatal(err)
	}

	rep, inputErrs := sample()
	for i := range rep.Results {
		r := &rep.Results[i]
		data, err := json.Marshal(JSONResultOf(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, resultSchema, data); err != nil {
			t.Errorf("%s: %v\n%s", r.Ref, err, data)
		}
		if strings.Contains(string(data), `"diff"`) {
			t.Errorf("%s carries its diff:\n%s", r.Ref, data)
		}
	}
	data, err := json.Marshal(JSONSummaryOf(rep, inputErrs))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, summarySchema, data); err != nil {
		t.Errorf("summary: %v\n%s", err, data)
	}
}

func TestDetails(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	rep, _ := sample()
	got := map[drift.Status]string{}
	for i := range rep.Results {
		r := &rep.Results[i]
		d := Details(r, now)
		if strings.Contains(d, "\n") {
			t.Errorf("%s: details span lines: %q", r.Ref, d)
		}
		if d != "" {
			got[r.Status] = d
		}
	}
	for status, want := range map[drift.Status]string{
		drift.Missing:   "not in the cluster",
		drift.Unmanaged: "no manifest declares it",
		drift.Drifted:   " -> ",
	} {
		if !strings.Contains(got[status], want) {
			t.Errorf("details of a %s object: %q, want %q in them", status, got[status], want)
		}
	}
}
