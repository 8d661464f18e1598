package sources

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// renderedManifests turns the engine's rendered files into objects as Helm
// does before it installs them: partials, NOTES.txt and empty files left
// out, each file cut into documents by Helm's own splitter (which also cuts
// "---# comment", a "---" line whose newline a trimming {{- if -}} ate),
// each document parsed as Helm writes it into the release manifest, with
// its trailing newline (so a block scalar ending the file keeps its "\n"),
// and the objects in Helm's install order: by kind, then file, then place
// in the file.
//
// A document that does not parse is an *Error that names the template and,
// where the line can be found in the template's source, that line; the
// other documents are still read.
func renderedManifests(ch *chartv2.Chart, source Source, files map[string]string) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
	)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		if strings.HasPrefix(path.Base(name), "_") || strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		for _, doc := range helmDocuments(content) {
			m, e := parseRendered(source, name, []byte(doc))
			manifests = append(manifests, m...)
			for _, err := range e {
				errs = append(errs, locateInTemplate(err, doc, templateSource(ch, name)))
			}
		}
	}
	slices.SortStableFunc(manifests, func(a, b Manifest) int {
		return installRank(a.Object.GetKind(), b.Object.GetKind())
	})
	return manifests, errs
}

// helmDocuments cuts text into YAML documents with Helm's own splitter
// (releaseutil.SplitManifests), in their order, each as Helm writes it into
// the release manifest it then parses: with one newline more, which is what
// ends a block scalar that a trimming {{- end -}} left without one.
func helmDocuments(text string) []string {
	entries := releaseutil.SplitManifests(text)
	keys := slices.Collect(maps.Keys(entries))
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	docs := make([]string, len(keys))
	for i, key := range keys {
		docs[i] = entries[key] + "\n"
	}
	return docs
}

// installRank compares two kinds as Helm orders what it installs
// (releaseutil.InstallOrder): known kinds in that order, unknown kinds
// after them and by name.
func installRank(a, b string) int {
	ia := slices.Index(releaseutil.InstallOrder, a)
	ib := slices.Index(releaseutil.InstallOrder, b)
	switch {
	case ia < 0 && ib < 0:
		return strings.Compare(a, b)
	case ia < 0:
		return 1
	case ib < 0:
		return -1
	}
	return ia - ib
}

// templateSource returns the source of the template that Helm names file
// ("shop/templates/web.yaml", "shop/charts/db/templates/db.yaml"), or nil.
func templateSource(ch *chartv2.Chart, file string) []byte {
	rest, ok := strings.CutPrefix(file, ch.Name()+"/")
	if !ok {
		return nil
	}
	for _, t := range ch.Templates {
		if t.Name == rest {
			return t.Data
		}
	}
	if sub, ok := strings.CutPrefix(rest, "charts/"); ok {
		for _, dep := range ch.Dependencies() {
			if strings.HasPrefix(sub, dep.Name()+"/") {
				if data := templateSource(dep, sub); data != nil {
					return data
				}
			}
		}
	}
	return nil
}

// locateInTemplate moves the line of a parse error in rendered text to the
// template's source, which is what a person can open: the first line of the
// template that renders as the rendered line, its {{ }} actions matching
// anything. Otherwise the error says which line of the rendered document it
// is, for `helm template` output to be read at.
func locateInTemplate(err error, rendered string, tmpl []byte) error {
	var e *Error
	if !errors.As(err, &e) || e.Origin.Line <= 0 {
		return err
	}
	renderedLine := e.Origin.Line
	lines := strings.Split(rendered, "\n")
	if renderedLine <= len(lines) {
		if want := strings.TrimSpace(lines[renderedLine-1]); want != "" {
			for i, line := range strings.Split(string(tmpl), "\n") {
				if rendersAs(strings.TrimSpace(line), want) {
					e.Origin.Line = i + 1
					return e
				}
			}
		}
	}
	return renderedLineError(e, renderedLine, "the rendered document")
}

// templateAction is a template action, with the trimming marks of either end.
var templateAction = regexp.MustCompile(`{{.*?}}`)

// rendersAs tells whether a line of a template could render as rendered: its
// text outside actions is there, in order, and the actions stand for
// anything.
func rendersAs(tmplLine, rendered string) bool {
	if tmplLine == "" {
		return false
	}
	parts := templateAction.Split(tmplLine, -1)
	if len(parts) == 1 {
		return tmplLine == rendered
	}
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile("^" + strings.Join(parts, ".*") + "$")
	return err == nil && re.MatchString(rendered)
}

// renderedLineError says in e's message that line is a line of what, a
// rendered text the person has no file of.
func renderedLineError(e *Error, line int, what string) *Error {
	e.Err = fmt.Errorf("line %d of %s: %w", line, what, e.Err)
	e.Origin.Line = 0
	return e
}
