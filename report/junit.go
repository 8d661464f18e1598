package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kubedrift/kubedrift/drift"
)

// The JUnit XML report follows the format most CI systems read (Jenkins'
// XSD, as GitLab, Azure Pipelines, CircleCI and the GitHub test reporter
// actions accept it), with the file and line attributes on test cases that
// the reporters which annotate files read.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitText struct {
	Body string `xml:",cdata"`
}

// junitInputClass is the classname of the test cases for input errors,
// which are about no object.
const junitInputClass = "kubedrift.input"

// writeJUnit writes one test suite, "kubedrift", with one test case per
// object: in sync passes, drifted, missing and unmanaged fail, an error is
// an error; each input error is an error test case too. A failure's body
// holds the changes and the diff; foreign fields of an object in sync go to
// its system-out.
func writeJUnit(w io.Writer, rep *drift.Report, inputErrs []error, opts Options) error {
	suite := junitSuite{
		Name: "kubedrift",
		// The XSD's timestamp has no zone; it is UTC.
		Timestamp: opts.Now.UTC().Format("2006-01-02T15:04:05"),
		Cases:     make([]junitCase, 0, len(rep.Results)+len(inputErrs)),
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		tc := junitCase{Classname: junitClass(r.Ref), Name: r.Ref.String()}
		tc.File, tc.Line = r.Origin.Position()
		body := junitBody(r, opts)
		switch {
		case isDrift(r.Status):
			suite.Failures++
			tc.Failure = &junitProblem{Message: junitMessage(r), Type: statusName(r.Status), Body: body}
		case r.Status == drift.Error:
			suite.Errors++
			reason := string(r.Reason)
			if reason == "" {
				reason = string(drift.ReasonUnknown)
			}
			tc.Error = &junitProblem{Message: oneLine(errorLine(r)), Type: reason, Body: body}
		case body != "":
			tc.SystemOut = &junitText{Body: body}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	for i, err := range inputErrs {
		origin, msg := inputError(err)
		tc := junitCase{Classname: junitInputClass, Name: origin.String()}
		if tc.Name == "" {
			tc.Name = fmt.Sprintf("input error %d", i+1)
		}
		tc.File, tc.Line = origin.Position()
		tc.Error = &junitProblem{Message: oneLine(msg), Type: "InputError", Body: msg + "\n"}
		suite.Errors++
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{
		Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Suites: []junitSuite{suite},
	}
	sanitizeJUnit(&doc)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// junitClass is the classname of an object's test case: its kind, with the
// group, and its namespace, so that viewers group an application's objects
// by kind: "Deployment.apps/shop", "Namespace" for a cluster-scoped one.
func junitClass(ref drift.Ref) string {
	kind := ref.Kind
	if ref.Group != "" {
		kind += "." + ref.Group
	}
	if ref.Namespace == "" {
		return kind
	}
	return kind + "/" + ref.Namespace
}

// junitMessage is the one-line message of a failure: what kind of drift,
// how much.
func junitMessage(r *drift.Result) string {
	msg := r.Status.String()
	if r.Status == drift.Drifted && len(r.Changes) > 0 {
		msg += ": " + plural(len(r.Changes), "changed field")
		if r.Note != "" {
			msg += " (" + r.Note + ")"
		}
	} else if words := verdictWords(r); words != "" {
		msg += ": " + words
	}
	return oneLine(msg)
}

// junitBody is the text under a test case: the origin and note, what is
// wrong, then the diff; "" for an object in sync with nothing to add.
func junitBody(r *drift.Result, opts Options) string {
	if !needsAttention(r) {
		return ""
	}
	var b strings.Builder
	if o := r.Origin.String(); o != "" {
		b.WriteString("origin: " + o + "\n")
	}
	if r.Note != "" {
		b.WriteString("note: " + r.Note + "\n")
	}
	for _, line := range findings(r, opts.Now) {
		b.WriteString(line + "\n")
	}
	if isDrift(r.Status) {
		if diff := r.DiffContext(opts.DiffContext); diff != "" {
			b.WriteString("\n" + diff)
		}
	}
	return b.String()
}

// sanitizeJUnit replaces in every text of doc the characters XML 1.0 cannot
// hold (control characters, invalid UTF-8), which a live object's value may
// contain, with U+FFFD, so that a CI system's parser does not reject the
// whole report for one of them.
func sanitizeJUnit(doc *junitSuites) {
	for i := range doc.Suites {
		s := &doc.Suites[i]
		for j := range s.Cases {
			c := &s.Cases[j]
			c.Classname, c.Name, c.File = xmlSafe(c.Classname), xmlSafe(c.Name), xmlSafe(c.File)
			for _, p := range []*junitProblem{c.Failure, c.Error} {
				if p != nil {
					p.Message, p.Body = xmlSafe(p.Message), xmlSafe(p.Body)
				}
			}
			if c.SystemOut != nil {
				c.SystemOut.Body = xmlSafe(c.SystemOut.Body)
			}
		}
	}
}

// xmlSafe returns s with the characters XML 1.0 does not allow replaced by
// U+FFFD.
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !ok(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if ok(r) {
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
