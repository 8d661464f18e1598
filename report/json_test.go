package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles Schema, with formats (date-time) asserted.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return sch.Validate(inst)
}

// TestJSONMatchesSchema validates the golden JSON reports, and the reports
// written now, against the schema, which allows no field it does not
// describe: the two cannot drift apart unnoticed.
func TestJSONMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	goldens, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*json.golden"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden JSON reports (%v)", err)
	}
	for _, path := range goldens {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, data); err != nil {
				t.Errorf("%s does not match schema.json: %v", path, err)
			}
		})
	}
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"sample", Options{DiffContext: 3, Now: now}},
		{"no context", Options{Now: now}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, inputErrs := sample()
			var b bytes.Buffer
			if err := Write(&b, FormatJSON, rep, inputErrs, tt.opts); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, b.Bytes()); err != nil {
				t.Errorf("report does not match schema.json: %v\n%s", err, b.Bytes())
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		var b bytes.Buffer
		if err := Write(&b, FormatJSON, nil, nil, Options{Now: now}); err != nil {
			t.Fatal(err)
		}
		if err := validate(t, sch, b.Bytes()); err != nil {
			t.Errorf("empty report does not match schema.json: %v\n%s", err, b.Bytes())
		}
	})
}

// TestSchemaRejects makes sure the schema is no rubber stamp: documents
// that break it in one place each are refused.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	rep, inputErrs := sample()
	var b bytes.Buffer
	if err := Write(&b, FormatJSON, rep, inputErrs, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		spoil func(doc map[string]any)
	}{
		{"other apiVersion", func(doc map[string]any) { doc["apiVersion"] = "kubedrift.dev/v2" }},
		{"unknown top-level field", func(doc map[string]any) { doc["extra"] = true }},
		{"no results", func(doc map[string]any) { delete(doc, "results") }},
		{"unknown status", func(doc map[string]any) { result(doc, 0)["status"] = "Fine" }},
		{"unknown reason", func(doc map[string]any) { result(doc, 5)["reason"] = "Busy" }},
		{"unknown field in a result", func(doc map[string]any) { result(doc, 0)["colour"] = "red" }},
		{"ref without name", func(doc map[string]any) { delete(result(doc, 0)["ref"].(map[string]any), "name") }},
		{"change time not RFC 3339", func(doc map[string]any) {
			result(doc, 2)["changes"].([]any)[0].(map[string]any)["time"] = "12 minutes ago"
		}},
		{"negative count", func(doc map[string]any) { doc["summary"].(map[string]any)["total"] = -1 }},
		{"line 0", func(doc map[string]any) { result(doc, 0)["origin"].(map[string]any)["line"] = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			tt.spoil(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, data); err == nil {
				t.Error("schema.json accepted the broken document")
			}
		})
	}
}

// result returns results[i] of a decoded JSON report.
func result(doc map[string]any, i int) map[string]any {
	return doc["results"].([]any)[i].(map[string]any)
}

// TestJSONValues checks what the golden file shows less directly: values
// keep their JSON types, absent values are left out, and text is not HTML
// escaped.
func TestJSONValues(t *testing.T) {
	rep, inputErrs := sample()
	var b bytes.Buffer
	if err := Write(&b, FormatJSON, rep, inputErrs, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	changes := result(doc, 4)["changes"].([]any)
	label, replicas := changes[0].(map[string]any), changes[1].(map[string]any)
	if _, ok := label["live"]; ok {
		t.Errorf("a label absent from live has a live value: %v", label)
	}
	if replicas["live"] != 5.0 || replicas["desired"] != 3.0 {
		t.Errorf("replicas: live %v, desired %v, want the numbers 5 and 3", replicas["live"], replicas["desired"])
	}
	if _, ok := replicas["time"]; ok {
		t.Errorf("a change with no known time has one: %v", replicas)
	}
	if replicas["conflict"] != true {
		t.Errorf("replicas conflict = %v, want true", replicas["conflict"])
	}
	if s := b.String(); strings.Contains(s, `\u003c`) || !strings.Contains(s, "<.Values.schedule>") {
		t.Error("the JSON report escapes < and > as HTML")
	}
	inputs := doc["inputErrors"].([]any)
	first := inputs[0].(map[string]any)
	if first["message"] != "invalid YAML: mapping values are not allowed in this context" {
		t.Errorf("input error message = %q, want it without its origin", first["message"])
	}
	if origin := first["origin"].(map[string]any); origin["file"] != "k8s/broken.yaml" || origin["line"] != 7.0 {
		t.Errorf("input error origin = %v", origin)
	}
}
