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
)

// Origin says where a desired object was declared.
type Origin struct {
	// Source names what rendered the object when it is not a plain manifest
	// file: "chart shop", "kustomization overlays/prod", "release shop/web".
	// Empty for files and stdin.
	Source string
	// File is the path of the manifest file as the user named it or as it was
	// found when walking a directory; "-" for stdin; for a chart, the
	// template ("shop/templates/web.yaml"); for a kustomization, the file
	// the object was read from when kustomize knows it.
	File string
	// Line is the 1-based line where the object's document starts in File,
	// or 0 when there is no such line (rendered templates).
	Line int
}

// String formats the origin as file:line, the form editors and CI annotations
// understand, after the source that rendered it: "chart shop:
// shop/templates/web.yaml".
func (o Origin) String() string {
	loc := o.File
	if o.File != "" && o.Line > 0 {
		loc = fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	switch {
	case o.Source == "":
		return loc
	case loc == "":
		return o.Source
	}
	return o.Source + ": " + loc
}

// Position returns the file and line for an editor or a CI annotation to
// point at: File, "" for standard input, which is no file to open, and Line,
// 0 when there is none (a rendered template). For a chart the file is the
// template as Helm names it, under the chart's name.
func (o Origin) Position() (file string, line int) {
	if o.File == stdinName {
		return "", 0
	}
	return o.File, o.Line
}

// Manifest is one desired object and where it came from.
type Manifest struct {
	Object *unstructured.Unstructured
	Origin Origin
	// Generated are the fields, as JSON pointers into Object, that the
	// source makes up anew each time it renders (a chart's randAlphaNum
	// password, a checksum of it): two renders of the same input disagree
	// on them.
	Generated []string
	// InstallOnly are the fields, as JSON pointers into Object, that a
	// chart rendered as an upgrade has otherwise than its render as an
	// install: what the chart sets only when .Release.IsInstall, which the
	// install sent and the next upgrade would not.
	InstallOnly []string
}

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
func Warnings(errs []error) (problems []error, warnings []*Warning) {
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
