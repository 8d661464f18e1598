package sources_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/sources"
)

func TestLoadStdin(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file}\n"})
	stdin := strings.NewReader("# piped\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-stdin}\n---\nkind: [\n")

	manifests, errs := sources.Load(context.Background(), sources.Options{
		Files: []string{dir + "/a.yaml", "-", "-"},
		Stdin: stdin,
	})
	var got []string
	for _, m := range manifests {
		got = append(got, strings.TrimPrefix(m.Origin.String(), dir+"/")+" "+m.Object.GetName())
	}
	assertStrings(t, "origins", got, []string{"a.yaml:1 from-file", "-:2 from-stdin"})
	assertStrings(t, "errors", messages(dir, errs), []string{
		"-:6: invalid YAML: did not find expected node content",
		"-: standard input named more than once",
	})
}

func TestLoadStdinWithoutInput(t *testing.T) {
	_, errs := sources.Load(context.Background(), sources.Options{Files: []string{"-"}})
	if len(errs) != 1 || errs[0].Error() != "-: no input to read" {
		t.Errorf("errors = %v, want one saying there is no input", errs)
	}
}
