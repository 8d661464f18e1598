package drift

import "fmt"

// Origin says where a desired object was declared: a manifest file and the
// line its document starts on, or what rendered it (Source) and from which
// template. The zero Origin says nothing: an object that came from no file.
// Package sources makes them; the engine carries each to its Result.
type Origin struct {
	// Source is what rendered the object; the zero Source for a manifest
	// file or standard input.
	Source Source
	// File is the path of the manifest file as the user named it or as it
	// was found when walking a directory; "-" for standard input; for a
	// chart, the template ("shop/templates/web.yaml"); for a kustomization,
	// the file the object was read from when kustomize knows it.
	File string
	// Line is the 1-based line where the object's document starts in File,
	// or 0 when there is no such line (rendered templates).
	Line int
}

// Source names what rendered a desired object.
type Source struct {
	Kind SourceKind
	// Name is, by Kind, the chart's name (its path when it could not be
	// loaded), the kustomization's directory, the release's
	// "NAMESPACE/NAME", with "(revision N)" once it is read, or the
	// repository's "REPO@COMMIT".
	Name string
}

// SourceKind is what kind of thing rendered an object.
type SourceKind string

// The kinds of Source. A manifest file has none.
const (
	SourceChart         SourceKind = "chart"
	SourceKustomization SourceKind = "kustomization"
	SourceRelease       SourceKind = "release"
	SourceGit           SourceKind = "git"
)

// String names the source as messages do: "chart shop", "release shop/web
// (revision 3)"; "" for none.
func (s Source) String() string {
	if s.Kind == "" {
		return s.Name
	}
	return string(s.Kind) + " " + s.Name
}

// At returns the origin of what the source rendered from file, at line.
func (s Source) At(file string, line int) Origin {
	return Origin{Source: s, File: file, Line: line}
}

// stdinFile is Origin.File for standard input.
const stdinFile = "-"

// String formats the origin as file:line, the form editors and CI
// annotations understand, after the source that rendered it: "chart shop:
// shop/templates/web.yaml"; "" for the zero Origin.
func (o Origin) String() string {
	loc := o.File
	if o.File != "" && o.Line > 0 {
		loc = fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	src := o.Source.String()
	switch {
	case src == "":
		return loc
	case loc == "":
		return src
	}
	return src + ": " + loc
}

// Position returns the file and line for an editor or a CI annotation to
// point at: File, "" for standard input, which is no file to open, and Line,
// 0 when there is none (a rendered template). For a chart the file is the
// template as Helm names it, under the chart's name.
func (o Origin) Position() (file string, line int) {
	if o.File == stdinFile {
		return "", 0
	}
	return o.File, o.Line
}

// IsZero reports whether the origin says nothing.
func (o Origin) IsZero() bool { return o == Origin{} }
