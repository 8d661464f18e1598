package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/drift"
)

// The JUnit types below are read back as a CI system reads them, written
// apart from the writer's own types so that the test does not trust them.

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

type testSuite struct {
	Name      string     `xml:"name,attr"`
	Tests     int        `xml:"tests,attr"`
	Failures  int        `xml:"failures,attr"`
	Errors    int        `xml:"errors,attr"`
	Skipped   int        `xml:"skipped,attr"`
	Timestamp string     `xml:"timestamp,attr"`
	Cases     []testCase `xml:"testcase"`
}

type testCase struct {
	Classname string       `xml:"classname,attr"`
	Name      string       `xml:"name,attr"`
	File      string       `xml:"file,attr"`
	Line      int          `xml:"line,attr"`
	Failure   *testProblem `xml:"failure"`
	Error     *testProblem `xml:"error"`
	SystemOut string       `xml:"system-out"`
}

type testProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func readJUnit(t *testing.T, data []byte) testSuites {
	t.Helper()
	var doc testSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse JUnit XML: %v\n%s", err, data)
	}
	return doc
}

func TestJUnit(t *testing.T) {
	rep, inputErrs := sample()
	var b bytes.Buffer
	if err := Write(&b, FormatJUnit, rep, inputErrs, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	doc := readJUnit(t, b.Bytes())
	if len(doc.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(doc.Suites))
	}
	suite := doc.Suites[0]
	// 6 objects and 2 input errors; drifted (2), missing and unmanaged
	// fail; the Forbidden object and both input errors are errors.
	if doc.Tests != 8 || doc.Failures != 4 || doc.Errors != 3 {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d, want 8, 4, 3", doc.Tests, doc.Failures, doc.Errors)
	}
	if suite.Name != "kubedrift" || suite.Tests != 8 || suite.Failures != 4 || suite.Errors != 3 || suite.Skipped != 0 {
		t.Errorf("testsuite %q: tests=%d failures=%d errors=%d skipped=%d", suite.Name, suite.Tests, suite.Failures, suite.Errors, suite.Skipped)
	}
	if suite.Timestamp != "2026-11-24T12:00:00" {
		t.Errorf("timestamp = %q", suite.Timestamp)
	}
	if len(suite.Cases) != suite.Tests {
		t.Fatalf("%d test cases, tests=%d", len(suite.Cases), suite.Tests)
	}

	failures, errs := 0, 0
	for _, tc := range suite.Cases {
		if tc.Failure != nil {
			failures++
		}
		if tc.Error != nil {
			errs++
		}
	}
	if failures != suite.Failures || errs != suite.Errors {
		t.Errorf("counted %d failures and %d errors in the cases, the suite says %d and %d", failures, errs, suite.Failures, suite.Errors)
	}

	byName := map[string]testCase{}
	for _, tc := range suite.Cases {
		byName[tc.Name] = tc
	}
	tests := []struct {
		name               string
		classname, outcome string // outcome: pass, failure, error
		typ                string
		file               string
		line               int
		bodyHas            []string
	}{
		{"Namespace shop", "Namespace", "pass", "", "k8s/namespace.yaml", 1, []string{"foreign metadata.labels.team"}},
		{"ConfigMap shop/old-settings", "ConfigMap/shop", "failure", "Unmanaged", "", 0, []string{"-  level: debug"}},
		{"Secret shop/db-credentials", "Secret/shop", "failure", "Drifted", "shop/templates/secret.yaml", 0,
			[]string{"data.password", "[conflict with kubectl-edit]", "+  password: '*** (9 bytes, after)'"}},
		{"Service shop/web", "Service/shop", "failure", "Missing", "k8s/web.yaml", 30, []string{"+kind: Service"}},
		{"Deployment.apps shop/web", "Deployment.apps/shop", "failure", "Drifted", "k8s/web.yaml", 1,
			[]string{"spec.replicas: 5 -> 3", "12m ago", "@@ -3,10 +3,11 @@", "+  replicas: 3"}},
		{"Role.rbac.authorization.k8s.io shop/reader", "Role.rbac.authorization.k8s.io/shop", "error", "Forbidden", "k8s/rbac.yaml", 1,
			[]string{`User "ci" cannot get resource "roles"`}},
		{"k8s/broken.yaml:7", junitInputClass, "error", "InputError", "k8s/broken.yaml", 7, []string{"invalid YAML"}},
		{"chart shop", junitInputClass, "error", "InputError", "", 0, []string{"<.Values.schedule>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no test case named %q", tt.name)
			}
			if tc.Classname != tt.classname || tc.File != tt.file || tc.Line != tt.line {
				t.Errorf("classname %q file %q line %d, want %q %q %d", tc.Classname, tc.File, tc.Line, tt.classname, tt.file, tt.line)
			}
			var body string
			switch {
			case tt.outcome == "pass" && tc.Failure == nil && tc.Error == nil:
				body = tc.SystemOut
			case tt.outcome == "failure" && tc.Failure != nil && tc.Error == nil:
				body = tc.Failure.Body
				if tc.Failure.Type != tt.typ {
					t.Errorf("failure type %q, want %q", tc.Failure.Type, tt.typ)
				}
			case tt.outcome == "error" && tc.Error != nil && tc.Failure == nil:
				body = tc.Error.Body
				if tc.Error.Type != tt.typ {
					t.Errorf("error type %q, want %q", tc.Error.Type, tt.typ)
				}
			default:
				t.Fatalf("failure %v, error %v; want %s", tc.Failure, tc.Error, tt.outcome)
			}
			for _, s := range tt.bodyHas {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
		})
	}
}

// TestJUnitAllInSync checks that a report without drift has only passing
// test cases, with nothing under them.
func TestJUnitAllInSync(t *testing.T) {
	rep, inputErrs := allInSync()
	var b bytes.Buffer
	if err := Write(&b, FormatJUnit, rep, inputErrs, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	doc := readJUnit(t, b.Bytes())
	if doc.Tests != 1 || doc.Failures != 0 || doc.Errors != 0 {
		t.Errorf("tests=%d failures=%d errors=%d, want 1, 0, 0", doc.Tests, doc.Failures, doc.Errors)
	}
	if tc := doc.Suites[0].Cases[0]; tc.Failure != nil || tc.Error != nil || tc.SystemOut != "" {
		t.Errorf("in-sync test case has %+v", tc)
	}
}

// TestJUnitUnsafeText checks that text XML cannot hold (control characters
// from a live value, invalid UTF-8, a CDATA end) still makes a document a
// parser accepts.
func TestJUnitUnsafeText(t *testing.T) {
	cm := func(v string) map[string]any { return map[string]any{"data": map[string]any{"v": v}} }
	ref := drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "odd"}
	value := "bell\a ]]> \xff end"
	rep := &drift.Report{Results: []drift.Result{{
		Ref: ref, Status: drift.Drifted,
		Live:    obj("v1", "ConfigMap", "shop", "odd", cm(value)),
		Want:    obj("v1", "ConfigMap", "shop", "odd", cm("plain")),
		Changes: []drift.Change{{Path: "data.v", Pointer: "/data/v", Live: value, Want: "plain"}},
	}, {
		Ref: drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "err"}, Status: drift.Error,
		Reason: drift.ReasonInvalid, Err: errDummy("bad \x00 value\nsecond line"),
	}}}
	var b bytes.Buffer
	if err := Write(&b, FormatJUnit, rep, nil, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	doc := readJUnit(t, b.Bytes())
	if doc.Failures != 1 || doc.Errors != 1 {
		t.Errorf("failures=%d errors=%d, want 1, 1", doc.Failures, doc.Errors)
	}
	if body := doc.Suites[0].Cases[0].Failure.Body; !strings.Contains(body, "]]>") {
		t.Errorf("the CDATA end in a value is lost:\n%s", body)
	}
	if msg := doc.Suites[0].Cases[1].Error.Message; strings.Contains(msg, "\n") {
		t.Errorf("error message attribute %q spans lines", msg)
	}
}

type errDummy string

func (e errDummy) Error() string { return string(e) }
