// Package sources reads the desired state of a cluster: the Kubernetes objects
// that manifests describe, each with the place it came from.
//
// Loading never stops at the first bad document. A malformed document becomes an
// *Error that names its file and line, and every other document is still read, so
// that one typo does not hide the verdict on the rest of the application.
package sources

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
)

// Origin says where a desired object was declared; it is the drift
// engine's type, so that it travels with the object to its verdict.
type Origin = drift.Origin

// Source names what rendered an object: Origin.Source.
type Source = drift.Source

// The kinds of Source, as sources make them.
const (
	SourceChart         = drift.SourceChart
	SourceKustomization = drift.SourceKustomization
	SourceRelease       = drift.SourceRelease
	SourceGit           = drift.SourceGit
)

// Manifest is one desired object and where it came from.
type Manifest struct {
	Object *unstructured.Unstructured
	Origin Origin
	// Volatile are the fields whose value the source cannot know before it
	// is applied: what a chart makes up at random, renders only at
	// install, or from the release's revision. No live value could be
	// expected to match them.
	Volatile []Volatile
}

// Volatile is a field of a rendered object whose value the render cannot
// know, found by rendering again with what may change.
type Volatile struct {
	// Pointer is the field, a JSON pointer into the object (RFC 6901).
	Pointer string
	// Why says what makes it change.
	Why VolatileWhy
}

// VolatileWhy is what makes a field of a chart's render change.
type VolatileWhy int

const (
	// Random is a value the chart makes up anew on every render
	// (randAlphaNum, uuidv4, genCA) or computes from one (a checksum):
	// two renders of the same input differ on it.
	Random VolatileWhy = iota
	// InstallOnly is a value the chart renders only when
	// .Release.IsInstall (a webhook's failurePolicy: Ignore), which the
	// install sent and the next upgrade would not.
	InstallOnly
	// Revision is a value the chart renders from .Release.Revision,
	// which every upgrade changes.
	Revision
)

// Error is a problem with one document or one file. Other documents are not
// affected by it.
type Error struct {
	Origin Origin
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %v", e.Origin, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Warning is a problem that does not make a source's objects wrong, only
// worth knowing about, such as a lookup the chart was not allowed to make.
// It is returned among a source's errors, but it is not an input error: a
// report says it and counts nothing for it.
type Warning struct {
	Origin Origin
	Msg    string
}

func (w *Warning) Error() string { return fmt.Sprintf("%s: %s", w.Origin, w.Msg) }

// Warnings takes the *Warning values out of a source's errors: what is left
// are the problems, which make a check fail.
func Warnings(errs []error) (problems, warnings []error) {
	for _, err := range errs {
		var w *Warning
		if errors.As(err, &w) {
			warnings = append(warnings, w)
			continue
		}
		problems = append(problems, err)
	}
	return problems, warnings
}
