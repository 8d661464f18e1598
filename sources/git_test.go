package sources_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/kubedrift/kubedrift/internal/testgit"
	"github.com/kubedrift/kubedrift/sources"
)

func TestParseGitSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec string
		want sources.GitSource
		err  string
	}{
		{"path", "../app", sources.GitSource{Repo: "../app"}, ""},
		{"current directory at a branch with a directory", ".@main//k8s", sources.GitSource{Repo: ".", Ref: "main", Dir: "k8s"}, ""},
		{"absolute path at a hash", "/srv/git/app.git@3f2a1b4c", sources.GitSource{Repo: "/srv/git/app.git", Ref: "3f2a1b4c"}, ""},
		{"directory without a ref", "app//deploy/prod", sources.GitSource{Repo: "app", Dir: "deploy/prod"}, ""},
		{"path with @ needs a ref", "./app@2@HEAD", sources.GitSource{Repo: "./app@2", Ref: "HEAD"}, ""},
		{"path with @ read as a ref", "./app@2", sources.GitSource{Repo: "./app", Ref: "2"}, ""},
		{"tag with slashes and dots", "app@release/v1.2.0//k8s", sources.GitSource{Repo: "app", Ref: "release/v1.2.0", Dir: "k8s"}, ""},
		{"remote-tracking branch", "app@origin/main", sources.GitSource{Repo: "app", Ref: "origin/main"}, ""},
		{"ancestor", "app@main~2", sources.GitSource{Repo: "app", Ref: "main~2"}, ""},
		{"directory cleaned", "app@main//./k8s/../deploy/", sources.GitSource{Repo: "app", Ref: "main", Dir: "deploy"}, ""},
		{"root directory", "app@main//.", sources.GitSource{Repo: "app", Ref: "main"}, ""},
		{"directory holds @", "app//team@x/k8s", sources.GitSource{Repo: "app", Dir: "team@x/k8s"}, ""},
		{"file URL", "file:///srv/git/app.git@main//deploy", sources.GitSource{Repo: "file:///srv/git/app.git", Ref: "main", Dir: "deploy"}, ""},
		{"file URL of localhost", "file://localhost/srv/app", sources.GitSource{Repo: "file://localhost/srv/app"}, ""},
		{"https URL", "https://github.com/org/app.git@v2//charts/web", sources.GitSource{Repo: "https://github.com/org/app.git", Ref: "v2", Dir: "charts/web"}, ""},
		{"https URL without a ref", "https://github.com/org/app.git", sources.GitSource{Repo: "https://github.com/org/app.git"}, ""},
		{"https URL with a user", "https://bot:s3cret@git.example.com/org/app.git@main", sources.GitSource{Repo: "https://bot:s3cret@git.example.com/org/app.git", Ref: "main"}, ""},
		{"https URL with a user and no ref", "https://bot@git.example.com/app", sources.GitSource{Repo: "https://bot@git.example.com/app"}, ""},
		{"ssh URL", "ssh://git@github.com:22/org/app.git@main//k8s", sources.GitSource{Repo: "ssh://git@github.com:22/org/app.git", Ref: "main", Dir: "k8s"}, ""},
		{"scheme in capitals", "HTTPS://example.com/app@main", sources.GitSource{Repo: "HTTPS://example.com/app", Ref: "main"}, ""},
		{"scp-like", "git@github.com:org/app.git", sources.GitSource{Repo: "git@github.com:org/app.git"}, ""},
		{"scp-like with ref and directory", "git@github.com:org/app.git@main//deploy", sources.GitSource{Repo: "git@github.com:org/app.git", Ref: "main", Dir: "deploy"}, ""},
		{"scp-like without a user", "github.com:org/app@v1", sources.GitSource{Repo: "github.com:org/app", Ref: "v1"}, ""},
		{"local path with a colon after a slash", "./a:b@main", sources.GitSource{Repo: "./a:b", Ref: "main"}, ""},
		{"drive letter", "C:/src/app@main//k8s", sources.GitSource{Repo: "C:/src/app", Ref: "main", Dir: "k8s"}, ""},
		{"file URL with an escaped space", "file:///srv/my%20app@main", sources.GitSource{Repo: "file:///srv/my%20app", Ref: "main"}, ""},

		{"empty", "", sources.GitSource{}, "empty: want REPO[@REF][//DIR]"},
		{"no repository", "@main", sources.GitSource{}, "@main: no repository"},
		{"no ref after @", "app@", sources.GitSource{}, `app@: no ref after "@"`},
		{"no ref before the directory", "app@//k8s", sources.GitSource{}, `app@//k8s: no ref after "@"`},
		{"no directory after //", "app@main//", sources.GitSource{}, `app@main//: no directory after "//"`},
		{"absolute directory", "app@main///k8s", sources.GitSource{}, "app@main///k8s: directory /k8s is not relative to the repository's root"},
		{"directory out of the repository", "app//k8s/../..", sources.GitSource{}, "app//k8s/../..: directory .. is outside the repository"},
		{"ref with ..", "app@a..b", sources.GitSource{}, `app@a..b: ref "a..b" contains ".."`},
		{"ref with a space", "app@my branch", sources.GitSource{}, `app@my branch: ref "my branch" contains ' '`},
		{"ref with a colon", "./app@main:k8s", sources.GitSource{}, `./app@main:k8s: ref "main:k8s" contains ':'`},
		{"ref with a star", "app@v*", sources.GitSource{}, `app@v*: ref "v*" contains '*'`},
		{"scp-like, not a ref with a colon", "app@main:k8s", sources.GitSource{Repo: "app@main:k8s"}, ""},
		{"option-like ref", "app@-x", sources.GitSource{}, `app@-x: ref "-x" is not a revision`},
		{"unsupported scheme", "ftp://example.com/app.git", sources.GitSource{}, "ftp://example.com/app.git: scheme ftp is not one of file, https, http, ssh and git"},
		{"URL without a path", "https://github.com@main", sources.GitSource{}, "https://github.com@main: no repository path in the URL"},
		{"URL with only a slash", "https://github.com/", sources.GitSource{}, "https://github.com/: no repository path in the URL"},
		{"URL with only a slash and a ref", "https://github.com/@main", sources.GitSource{}, "https://github.com/@main: no repository path in the URL"},
		{"file URL without a path", "file://@main", sources.GitSource{}, "file://@main: no repository path in the URL"},
		{"file URL of another host", "file://server/srv/app", sources.GitSource{}, "file://server/srv/app: file URL names host server: only local files can be read"},
		{"scp-like without a path", "git@github.com:@main", sources.GitSource{}, `git@github.com:@main: no repository path after ":"`},
		{"password masked", "https://bot:s3cret@example.com/app@", sources.GitSource{}, `https://bot:xxxxx@example.com/app@: no ref after "@"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sources.ParseGitSource(tc.spec)
			switch {
			case tc.err != "" && err == nil:
				t.Fatalf("ParseGitSource(%q) = %+v, want error %q", tc.spec, got, tc.err)
			case tc.err != "" && err.Error() != tc.err:
				t.Fatalf("ParseGitSource(%q) error %q, want %q", tc.spec, err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("ParseGitSource(%q) error: %v", tc.spec, err)
			case got != tc.want:
				t.Fatalf("ParseGitSource(%q) = %+v, want %+v", tc.spec, got, tc.want)
			}
		})
	}
}

func TestGitSourceString(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  sources.GitSource
		want string
	}{
		{"path", sources.GitSource{Repo: "."}, "."},
		{"all parts", sources.GitSource{Repo: "git@github.com:org/app.git", Ref: "main", Dir: "k8s"}, "git@github.com:org/app.git@main//k8s"},
		{"password masked", sources.GitSource{Repo: "https://bot:s3cret@example.com/app.git", Ref: "v1"}, "https://bot:xxxxx@example.com/app.git@v1"},
		{"user kept", sources.GitSource{Repo: "https://bot@example.com/app.git"}, "https://bot@example.com/app.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.src.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

// configMap is the ConfigMap of the test repository, with data a.
func configMap(a string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"" + a + "\"\n"
}

const deployment = `# the web server
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx}]
`

// history is the test repository: commit 1 with a ConfigMap (a=1) and a
// Deployment in k8s/, tagged v1 (lightweight) and v1-annotated, on branch
// release and the remote-tracking branch origin/old; commit 2 with a=2,
// on main.
type history struct {
	repo     *testgit.Repo
	one, two plumbing.Hash
}

func newHistory(t *testing.T) history {
	t.Helper()
	r := testgit.New(t)
	one := r.Commit("first", map[string]string{
		"README.md":           "# app\n",
		"k8s/configmap.yaml":  configMap("1"),
		"k8s/deployment.yaml": deployment,
	})
	r.Tag("v1", one, false)
	r.Tag("v1-annotated", one, true)
	r.SetRef("refs/heads/release", one)
	r.SetRef("refs/remotes/origin/old", one)
	two := r.Commit("second", map[string]string{"k8s/configmap.yaml": configMap("2")})
	return history{repo: r, one: one, two: two}
}

// loaded lists what a load returned: each object with its data a, and its
// origin.
func loaded(manifests []sources.Manifest) []string {
	var out []string
	for _, m := range manifests {
		s := m.Object.GetKind() + "/" + m.Object.GetName()
		if a, ok := m.Object.Object["data"].(map[string]any); ok {
			s += fmt.Sprintf(" a=%v", a["a"])
		}
		out = append(out, s+" at "+m.Origin.String())
	}
	return out
}

func errorTexts(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

// loadGit loads src and fails the test on any error.
func loadGit(t *testing.T, src sources.GitSource) []sources.Manifest {
	t.Helper()
	manifests, errs := sources.LoadGit(context.Background(), src, "", nil)
	if len(errs) > 0 {
		t.Fatalf("LoadGit(%s) errors: %v", src, errs)
	}
	return manifests
}

func TestLoadGitRefs(t *testing.T) {
	h := newHistory(t)
	dir := h.repo.Dir
	for _, tc := range []struct {
		name string
		ref  string
		want plumbing.Hash
	}{
		{"HEAD by default", "", h.two},
		{"HEAD", "HEAD", h.two},
		{"branch", "main", h.two},
		{"full branch name", "refs/heads/release", h.one},
		{"other branch", "release", h.one},
		{"remote-tracking branch", "origin/old", h.one},
		{"lightweight tag", "v1", h.one},
		{"annotated tag", "v1-annotated", h.one},
		{"full tag name", "refs/tags/v1-annotated", h.one},
		{"full hash", h.one.String(), h.one},
		{"abbreviated hash", h.one.String()[:7], h.one},
		{"abbreviated hash in capitals", strings.ToUpper(h.one.String()[:10]), h.one},
		{"ancestor", "main~1", h.one},
		{"parent", "main^", h.one},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifests := loadGit(t, sources.GitSource{Repo: dir, Ref: tc.ref})
			a := "1"
			if tc.want == h.two {
				a = "2"
			}
			source := "git " + dir + "@" + tc.want.String()[:12]
			assertStrings(t, "objects", loaded(manifests), []string{
				"ConfigMap/settings a=" + a + " at " + source + ": k8s/configmap.yaml:1",
				"Deployment/web at " + source + ": k8s/deployment.yaml:2",
			})
		})
	}
}

func TestLoadGitDirectories(t *testing.T) {
	h := newHistory(t)
	h.repo.Commit("more", map[string]string{
		"k8s/prod/extra.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n",
		"docs/notes.txt":      "not a manifest\n",
	})
	dir := h.repo.Dir
	head, err := h.repo.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	three := "git " + dir + "@" + head.Hash().String()[:12] + ": "
	one := "git " + dir + "@" + h.one.String()[:12] + ": "
	for _, tc := range []struct {
		name string
		src  sources.GitSource
		want []string
	}{
		{"directory and its subdirectories", sources.GitSource{Repo: dir, Dir: "k8s"}, []string{
			"ConfigMap/settings a=2 at " + three + "k8s/configmap.yaml:1",
			"Deployment/web at " + three + "k8s/deployment.yaml:2",
			"Namespace/prod at " + three + "k8s/prod/extra.yaml:1",
		}},
		{"nested directory", sources.GitSource{Repo: dir, Dir: "k8s/prod"}, []string{
			"Namespace/prod at " + three + "k8s/prod/extra.yaml:1",
		}},
		{"one file", sources.GitSource{Repo: dir, Ref: "v1", Dir: "k8s/configmap.yaml"}, []string{
			"ConfigMap/settings a=1 at " + one + "k8s/configmap.yaml:1",
		}},
		{"directory of the work tree", sources.GitSource{Repo: filepath.Join(dir, "k8s", "prod")}, []string{
			"Namespace/prod at git " + filepath.Join(dir, "k8s", "prod") + "@" + head.Hash().String()[:12] + ": k8s/prod/extra.yaml:1",
		}},
		{"directory of the work tree and a directory in it", sources.GitSource{Repo: filepath.Join(dir, "k8s"), Ref: "v1", Dir: "configmap.yaml"}, []string{
			"ConfigMap/settings a=1 at git " + filepath.Join(dir, "k8s") + "@" + h.one.String()[:12] + ": k8s/configmap.yaml:1",
		}},
		{".git directory", sources.GitSource{Repo: filepath.Join(dir, ".git"), Ref: "v1", Dir: "k8s"}, []string{
			"ConfigMap/settings a=1 at git " + filepath.Join(dir, ".git") + "@" + h.one.String()[:12] + ": k8s/configmap.yaml:1",
			"Deployment/web at git " + filepath.Join(dir, ".git") + "@" + h.one.String()[:12] + ": k8s/deployment.yaml:2",
		}},
		{"file URL", sources.GitSource{Repo: "file://" + filepath.ToSlash(dir), Ref: "v1", Dir: "k8s"}, []string{
			"ConfigMap/settings a=1 at git file://" + filepath.ToSlash(dir) + "@" + h.one.String()[:12] + ": k8s/configmap.yaml:1",
			"Deployment/web at git file://" + filepath.ToSlash(dir) + "@" + h.one.String()[:12] + ": k8s/deployment.yaml:2",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertStrings(t, "objects", loaded(loadGit(t, tc.src)), tc.want)
		})
	}
}

func TestLoadGitLeavesTheWorkTreeAlone(t *testing.T) {
	// The commit is read, never the work tree, and nothing of the
	// repository is written: not the work tree, not .git.
	h := newHistory(t)
	h.repo.Write(map[string]string{
		"k8s/configmap.yaml": configMap("edited"),
		"k8s/untracked.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untracked\n",
	})
	status := h.repo.Status()
	if !strings.Contains(status, "k8s/configmap.yaml") || !strings.Contains(status, "k8s/untracked.yaml") {
		t.Fatalf("status does not show the changes to the work tree:\n%s", status)
	}
	snapshot := h.repo.Snapshot()
	// Every temporary directory is removed again.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	for _, ref := range []string{"", "v1"} {
		manifests := loadGit(t, sources.GitSource{Repo: h.repo.Dir, Ref: ref, Dir: "k8s"})
		if got := loaded(manifests); len(got) != 2 || strings.Contains(got[0], "edited") {
			t.Errorf("at %q: %q, want the committed ConfigMap and Deployment", ref, got)
		}
	}
	if after := h.repo.Snapshot(); after != snapshot {
		t.Errorf("the repository changed:\nbefore\n%s\nafter\n%s", snapshot, after)
	}
	if after := h.repo.Status(); after != status {
		t.Errorf("status before:\n%s\nafter:\n%s", status, after)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}

func TestLoadGitChart(t *testing.T) {
	r := testgit.New(t)
	c := r.Commit("chart", map[string]string{
		"charts/shop/Chart.yaml":               "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"charts/shop/values.yaml":              "a: \"7\"\n",
		"charts/shop/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n  namespace: {{ .Release.Namespace }}\ndata:\n  a: {{ .Values.a | quote }}\n",
		"charts/shop/crds/crd.yaml":            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: carts.shop.example.com\n",
		"charts/broken/Chart.yaml":             "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
		"charts/broken/templates/bad.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.name }}\n",
	})
	source := "git " + r.Dir + "@" + c.String()[:12]

	manifests, errs := sources.LoadGit(context.Background(), sources.GitSource{Repo: r.Dir, Dir: "charts/shop"}, "shop", nil)
	assertStrings(t, "errors", errorTexts(errs), nil)
	assertStrings(t, "objects", loaded(manifests), []string{
		"CustomResourceDefinition/carts.shop.example.com at " + source + ": charts/shop/crds/crd.yaml:1",
		"ConfigMap/shop-settings a=7 at " + source + ": charts/shop/templates/configmap.yaml",
	})
	if ns := manifests[1].Object.GetNamespace(); ns != "shop" {
		t.Errorf("rendered for namespace %q, want shop", ns)
	}

	_, errs = sources.LoadGit(context.Background(), sources.GitSource{Repo: r.Dir, Dir: "charts/broken"}, "shop", nil)
	assertStrings(t, "errors", errorTexts(errs), []string{
		source + ": charts/broken/templates/bad.yaml:4: render: executing \"broken/templates/bad.yaml\" at <.Values.missing.name>: nil pointer evaluating interface {}.name",
	})
}

func TestLoadGitKustomization(t *testing.T) {
	// An overlay's base is elsewhere in the repository: it is read from the
	// same commit.
	r := testgit.New(t)
	c := r.Commit("kustomize", map[string]string{
		"base/kustomization.yaml":            "resources: [configmap.yaml]\n",
		"base/configmap.yaml":                configMap("1"),
		"overlays/prod/kustomization.yaml":   "resources: [../../base]\nnamePrefix: prod-\n",
		"overlays/broken/kustomization.yaml": "resources: [gone.yaml]\n",
	})
	source := "git " + r.Dir + "@" + c.String()[:12]

	manifests := loadGit(t, sources.GitSource{Repo: r.Dir, Dir: "overlays/prod"})
	assertStrings(t, "objects", loaded(manifests), []string{
		"ConfigMap/prod-settings a=1 at " + source + ": base/configmap.yaml",
	})

	_, errs := sources.LoadGit(context.Background(), sources.GitSource{Repo: r.Dir, Dir: "overlays/broken"}, "", nil)
	assertStrings(t, "errors", errorTexts(errs), []string{
		source + ": accumulating resources from 'gone.yaml': overlays/broken/gone.yaml: no such file or directory",
	})
}

func TestLoadGitErrors(t *testing.T) {
	h := newHistory(t)
	h.repo.Commit("broken", map[string]string{
		"bad/a.yaml":     configMap("ok"),
		"bad/b.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [\n",
		"docs/notes.txt": "not a manifest\n",
	})
	head, err := h.repo.Repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	dir := h.repo.Dir
	short := head.Hash().String()[:12]
	notRepo := t.TempDir()
	for _, tc := range []struct {
		name    string
		src     sources.GitSource
		objects []string
		errs    []string
	}{
		{"bad YAML, the rest still read", sources.GitSource{Repo: dir, Dir: "bad"},
			[]string{"ConfigMap/settings a=ok at git " + dir + "@" + short + ": bad/a.yaml:1"},
			[]string{"git " + dir + "@" + short + ": bad/b.yaml:4: invalid YAML: did not find expected node content"}},
		{"unknown ref", sources.GitSource{Repo: dir, Ref: "v9", Dir: "k8s"}, nil,
			[]string{"git " + dir + "@v9: unknown revision: not a branch, tag or commit of the repository"}},
		{"unknown hash", sources.GitSource{Repo: dir, Ref: "0123456789abcdef0123456789abcdef01234567"}, nil,
			[]string{"git " + dir + "@0123456789abcdef0123456789abcdef01234567: unknown revision: not a branch, tag or commit of the repository"}},
		{"missing directory", sources.GitSource{Repo: dir, Ref: "v1", Dir: "bad"}, nil,
			[]string{"git " + dir + "@v1: bad: no such file or directory at commit " + h.one.String()[:12]}},
		{"directory without manifests", sources.GitSource{Repo: dir, Dir: "docs"}, nil,
			[]string{"git " + dir + "@" + short + ": docs: no .yaml, .yml or .json files in directory"}},
		{"file that is no manifest", sources.GitSource{Repo: dir, Dir: "docs/notes.txt"}, nil,
			[]string{"git " + dir + "@" + short + ": docs/notes.txt:1: document is a string, not a Kubernetes object"}},
		{"not a repository", sources.GitSource{Repo: notRepo, Ref: "main"}, nil,
			[]string{"git " + notRepo + "@main: repository does not exist"}},
		{"no such path", sources.GitSource{Repo: filepath.Join(notRepo, "gone")}, nil,
			[]string{"git " + filepath.Join(notRepo, "gone") + "@HEAD: no such file or directory"}},
		{"other host of a file URL", sources.GitSource{Repo: "file://server/srv/app"}, nil,
			[]string{"git file://server/srv/app@HEAD: file URL names host server: only local files can be read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifests, errs := sources.LoadGit(context.Background(), tc.src, "", nil)
			assertStrings(t, "objects", loaded(manifests), tc.objects)
			assertStrings(t, "errors", errorTexts(errs), tc.errs)
		})
	}
}

func TestLoadGitSymbolicLinks(t *testing.T) {
	// A link within the directory read is read as the file it leads to; a
	// link out of it is not followed, so that nothing but the repository's
	// files at the commit is ever read.
	r := testgit.New(t)
	r.Write(map[string]string{"k8s/configmap.yaml": configMap("1"), "outside.yaml": configMap("outside")})
	r.Symlink("k8s/same.yaml", "configmap.yaml")
	r.Symlink("k8s/up.yaml", "../outside.yaml")
	r.Symlink("k8s/abs.yaml", "/etc/hostname")
	r.Symlink("k8s/abs.txt", "/etc/hostname")
	c := r.Commit("links", nil)
	source := "git " + r.Dir + "@" + c.String()[:12] + ": "

	_, errs := sources.LoadGit(context.Background(), sources.GitSource{Repo: r.Dir, Dir: "k8s/same.yaml"}, "", nil)
	assertStrings(t, "errors", errorTexts(errs), []string{
		"git " + r.Dir + "@HEAD: k8s/same.yaml: a symbolic link at commit " + c.String()[:12] + ": name the file or directory it leads to",
	})

	manifests, errs := sources.LoadGit(context.Background(), sources.GitSource{Repo: r.Dir, Dir: "k8s"}, "", nil)
	assertStrings(t, "objects", loaded(manifests), []string{
		"ConfigMap/settings a=1 at " + source + "k8s/configmap.yaml:1",
		"ConfigMap/settings a=1 at " + source + "k8s/same.yaml:1",
	})
	// go-git's Add stores an absolute target as /../../etc/hostname, as
	// many ../ as the work tree is deep; git would store /etc/hostname.
	for i, err := range errs {
		var e *sources.Error
		if errors.As(err, &e) {
			e.Err = errors.New(regexp.MustCompile(`to /(\.\./)+`).ReplaceAllString(e.Err.Error(), "to /"))
			errs[i] = e
		}
	}
	assertStrings(t, "errors", errorTexts(errs), []string{
		source + "k8s/abs.yaml: symbolic link to /etc/hostname leads out of k8s: not followed",
		source + "k8s/up.yaml: symbolic link to ../outside.yaml leads out of k8s: not followed",
	})
}

func TestLoadGitRemote(t *testing.T) {
	// A URL is cloned into memory over go-git's own HTTP transport, from an
	// in-process server.
	h := newHistory(t)
	url := h.repo.Serve("", "")
	for _, tc := range []struct {
		name string
		ref  string
		want plumbing.Hash
	}{
		{"default branch", "", h.two},
		{"branch", "main", h.two},
		{"other branch", "release", h.one},
		{"remote-tracking name of a branch", "origin/release", h.one},
		{"lightweight tag", "v1", h.one},
		{"annotated tag", "v1-annotated", h.one},
		{"abbreviated hash", h.one.String()[:8], h.one},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifests := loadGit(t, sources.GitSource{Repo: url, Ref: tc.ref, Dir: "k8s"})
			a := "1"
			if tc.want == h.two {
				a = "2"
			}
			source := "git " + url + "@" + tc.want.String()[:12]
			assertStrings(t, "objects", loaded(manifests), []string{
				"ConfigMap/settings a=" + a + " at " + source + ": k8s/configmap.yaml:1",
				"Deployment/web at " + source + ": k8s/deployment.yaml:2",
			})
		})
	}
}

func TestLoadGitRemoteCredentials(t *testing.T) {
	// The user and password of the URL authenticate, and the password is
	// never printed.
	h := newHistory(t)
	url := h.repo.Serve("bot", "s3cret")
	withUser := func(password string) string {
		return strings.Replace(url, "http://", "http://bot:"+password+"@", 1)
	}
	masked := withUser("xxxxx")

	manifests := loadGit(t, sources.GitSource{Repo: withUser("s3cret"), Ref: "v1", Dir: "k8s/configmap.yaml"})
	assertStrings(t, "objects", loaded(manifests), []string{
		"ConfigMap/settings a=1 at git " + masked + "@" + h.one.String()[:12] + ": k8s/configmap.yaml:1",
	})

	_, errs := sources.LoadGit(context.Background(), sources.GitSource{Repo: withUser("wrong"), Ref: "v1"}, "", nil)
	assertStrings(t, "errors", errorTexts(errs), []string{"git " + masked + "@v1: clone: authentication required: Invalid username or token."})

	_, errs = sources.LoadGit(context.Background(), sources.GitSource{Repo: url}, "", nil)
	assertStrings(t, "errors", errorTexts(errs), []string{"git " + url + "@HEAD: clone: authentication required: Invalid username or token."})
}

func TestLoadGitSources(t *testing.T) {
	// A repository that cannot be read is one error; the other sources are
	// read all the same.
	h := newHistory(t)
	files := t.TempDir()
	writeTree(t, files, map[string]string{"extra.yaml": configMap("file")})
	manifests, errs := sources.Load(context.Background(), sources.Options{
		Files: []string{filepath.Join(files, "extra.yaml")},
		Git: []sources.GitSource{
			{Repo: h.repo.Dir, Ref: "gone"},
			{Repo: h.repo.Dir, Ref: "v1", Dir: "k8s/configmap.yaml"},
		},
	})
	assertStrings(t, "objects", loaded(manifests), []string{
		"ConfigMap/settings a=file at " + filepath.Join(files, "extra.yaml") + ":1",
		"ConfigMap/settings a=1 at git " + h.repo.Dir + "@" + h.one.String()[:12] + ": k8s/configmap.yaml:1",
	})
	assertStrings(t, "errors", errorTexts(errs), []string{
		"git " + h.repo.Dir + "@gone: unknown revision: not a branch, tag or commit of the repository",
	})
}
