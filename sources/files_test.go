package sources_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/sources"
)

// writeTree creates files under dir: each key is a slash-separated path, each
// value the content of the file.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// origins lists where the manifests came from, as file:line with file relative
// to dir and slash-separated, in the order LoadFiles returned them.
func origins(t *testing.T, dir string, manifests []sources.Manifest) []string {
	t.Helper()
	var out []string
	for _, m := range manifests {
		rel, err := filepath.Rel(dir, m.Origin.File)
		if err != nil {
			t.Fatalf("origin %s is not under %s: %v", m.Origin, dir, err)
		}
		m.Origin.File = filepath.ToSlash(rel)
		out = append(out, m.Origin.String()+" "+m.Object.GetName())
	}
	return out
}

// messages lists the errors as they are printed, with dir replaced by "DIR".
func messages(dir string, errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, filepath.ToSlash(strings.ReplaceAll(err.Error(), dir, "DIR")))
	}
	return out
}

func assertStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestLoadFilesWalksInLexicalOrder(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"b.yaml":                 cm("b"),
		"a.yml":                  "# first\n" + cm("a"),
		"c.json":                 `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`,
		"sub/z.yaml":             cm("sub-z"),
		"sub/a.yaml":             cm("sub-a") + "---\n" + cm("sub-a2"),
		"sub/deeper/x.yaml":      cm("deep"),
		"z.yaml":                 cm("z"),
		"UPPER.YAML":             cm("upper"),
		"kustomize.yaml/in":      cm("not-a-manifest-name"),
		"kustomize.yaml/ok.yaml": cm("in-dir-named-yaml"),
	})

	manifests, errs := sources.LoadFiles([]string{dir})
	assertStrings(t, "errors", messages(dir, errs), nil)
	assertStrings(t, "objects", origins(t, dir, manifests), []string{
		"UPPER.YAML:1 upper",
		"a.yml:2 a",
		"b.yaml:1 b",
		"c.json:1 c",
		"kustomize.yaml/ok.yaml:1 in-dir-named-yaml",
		"sub/a.yaml:1 sub-a",
		"sub/a.yaml:6 sub-a2",
		"sub/deeper/x.yaml:1 deep",
		"sub/z.yaml:1 sub-z",
		"z.yaml:1 z",
	})
}

func TestLoadFilesSkipsHiddenAndOtherFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"app.yaml":                   cm("app"),
		".kubedrift.yaml":            "theme: dark\n",
		".hidden/secret.yaml":        cm("hidden-dir"),
		".git/objects/x.yaml":        cm("git"),
		"sub/.draft.yaml":            cm("hidden-file"),
		"sub/.cache/y.yml":           cm("hidden-nested-dir"),
		"sub/ok.yml":                 cm("ok"),
		"README.md":                  "# Not YAML: {",
		"notes.txt":                  "kind: a: b",
		"Makefile":                   "all:\n\ttrue\n",
		"app.yaml.bak":               "kind: a: b",
		"app.yaml~":                  "kind: a: b",
		"chart/templates/x.tpl":      "{{ .Values }}",
		"chart/values.yaml.template": "{{",
	})

	manifests, errs := sources.LoadFiles([]string{dir})
	assertStrings(t, "errors", messages(dir, errs), nil)
	assertStrings(t, "objects", origins(t, dir, manifests), []string{
		"app.yaml:1 app",
		"sub/ok.yml:1 ok",
	})
}

func TestLoadFilesReadsNamedFilesWhateverTheirName(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"manifest.txt":      cm("txt"),
		".hidden.yaml":      cm("hidden"),
		"no-extension":      cm("bare"),
		".config/app.yaml":  cm("in-hidden-root"),
		".config/.x/b.yaml": cm("hidden-below-root"),
	})

	manifests, errs := sources.LoadFiles([]string{
		filepath.Join(dir, "manifest.txt"),
		filepath.Join(dir, ".hidden.yaml"),
		filepath.Join(dir, "no-extension"),
		// A hidden directory named on the command line is walked; only
		// what is hidden below it is skipped.
		filepath.Join(dir, ".config"),
	})
	assertStrings(t, "errors", messages(dir, errs), nil)
	assertStrings(t, "objects", origins(t, dir, manifests), []string{
		"manifest.txt:1 txt",
		".hidden.yaml:1 hidden",
		"no-extension:1 bare",
		".config/app.yaml:1 in-hidden-root",
	})
}

func TestLoadFilesKeepsTheOrderOfPaths(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"z.yaml":     cm("z"),
		"a/a.yaml":   cm("a"),
		"m.yaml":     cm("m"),
		"b/one.yaml": cm("one"),
	})
	manifests, errs := sources.LoadFiles([]string{
		filepath.Join(dir, "z.yaml"),
		filepath.Join(dir, "b"),
		filepath.Join(dir, "a"),
		filepath.Join(dir, "m.yaml"),
	})
	assertStrings(t, "errors", messages(dir, errs), nil)
	assertStrings(t, "objects", origins(t, dir, manifests), []string{
		"z.yaml:1 z",
		"b/one.yaml:1 one",
		"a/a.yaml:1 a",
		"m.yaml:1 m",
	})
}

func TestLoadFilesMissingPath(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.yaml": cm("a"), "b.yaml": cm("b")})
	missing := filepath.Join(dir, "nope.yaml")

	manifests, errs := sources.LoadFiles([]string{filepath.Join(dir, "a.yaml"), missing, filepath.Join(dir, "b.yaml")})
	assertStrings(t, "objects", origins(t, dir, manifests), []string{"a.yaml:1 a", "b.yaml:1 b"})
	assertStrings(t, "errors", messages(dir, errs), []string{"DIR/nope.yaml: no such file or directory"})

	var se *sources.Error
	if !errors.As(errs[0], &se) {
		t.Fatalf("error is a %T, not a *sources.Error", errs[0])
	}
	if se.Origin.File != missing || se.Origin.Line != 0 {
		t.Errorf("origin = %+v, want the missing path without a line", se.Origin)
	}
	if !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", errs[0])
	}
}

func TestLoadFilesEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"good/a.yaml":         cm("a"),
		"docs/README.md":      "# docs",
		"hidden/.x.yaml":      cm("x"),
		"hidden/.dir/y.yaml":  cm("y"),
		"later/b.yaml":        cm("b"),
		"empty/sub/README.md": "",
	})
	if err := os.Mkdir(filepath.Join(dir, "void"), 0o755); err != nil {
		t.Fatal(err)
	}

	manifests, errs := sources.LoadFiles([]string{
		filepath.Join(dir, "good"),
		filepath.Join(dir, "void"),
		filepath.Join(dir, "docs"),
		filepath.Join(dir, "hidden"),
		filepath.Join(dir, "empty"),
		filepath.Join(dir, "later"),
	})
	assertStrings(t, "objects", origins(t, dir, manifests), []string{"good/a.yaml:1 a", "later/b.yaml:1 b"})
	const noFiles = ": no .yaml, .yml or .json files in directory"
	assertStrings(t, "errors", messages(dir, errs), []string{
		"DIR/void" + noFiles,
		"DIR/docs" + noFiles,
		"DIR/hidden" + noFiles,
		"DIR/empty" + noFiles,
	})
}

func TestLoadFilesOneBadFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.yaml": cm("a"),
		"b.yaml": cm("b1") + "---\n" + cm("b2") + "  labels: {x: y\n---\n" + cm("b3") + "---\n- not an object\n",
		"c.yaml": cm("c"),
		"d.json": `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}`,
		"e.yml":  "",
	})

	manifests, errs := sources.LoadFiles([]string{dir})
	assertStrings(t, "objects", origins(t, dir, manifests), []string{
		"a.yaml:1 a",
		"b.yaml:1 b1",
		"b.yaml:12 b3",
		"c.yaml:1 c",
	})
	assertStrings(t, "errors", messages(dir, errs), []string{
		"DIR/b.yaml:10: invalid YAML: did not find expected ',' or '}'",
		"DIR/b.yaml:17: document is a list, not a Kubernetes object",
		"DIR/d.json:1: invalid YAML: did not find expected ',' or '}'",
	})
	for _, err := range errs {
		var se *sources.Error
		if !errors.As(err, &se) {
			t.Errorf("error %v is a %T, not a *sources.Error", err, err)
		} else if !strings.HasPrefix(se.Origin.File, dir) || se.Origin.Line < 1 {
			t.Errorf("error %v has origin %+v", err, se.Origin)
		}
	}
}

func TestLoadFilesUnreadableEntry(t *testing.T) {
	// A dangling symbolic link is listed by the walk but cannot be read: it
	// is reported, and the rest is still read.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.yaml": cm("a")})
	link := filepath.Join(dir, "broken.yaml")
	if err := os.Symlink(filepath.Join(dir, "gone.yaml"), link); err != nil {
		t.Fatal(err)
	}

	manifests, errs := sources.LoadFiles([]string{dir})
	assertStrings(t, "objects", origins(t, dir, manifests), []string{"a.yaml:1 a"})
	assertStrings(t, "errors", messages(dir, errs), []string{"DIR/broken.yaml: no such file or directory"})
	if len(errs) == 1 && !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", errs[0])
	}
}

func TestLoadFilesNothing(t *testing.T) {
	manifests, errs := sources.LoadFiles(nil)
	if len(manifests) != 0 || len(errs) != 0 {
		t.Errorf("LoadFiles(nil) = %v, %v; want nothing", manifests, errs)
	}
}
