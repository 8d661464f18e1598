// Package testgit builds Git repositories for tests with go-git, as a
// person would with git, and serves them over HTTP, so that the tests of
// Git sources need neither a git binary nor the network.
package testgit

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// Repo is a repository with a work tree, on branch main.
type Repo struct {
	// Dir is the work tree; the repository is Dir/.git.
	Dir  string
	Repo *git.Repository
	t    testing.TB
	// when is the time of the next commit: fixed, so that a test's
	// commits are the same commits at every run.
	when time.Time
}

// New creates an empty repository in a new directory.
func New(t testing.TB) *Repo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{Dir: dir, Repo: repo, t: t, when: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Write writes files (slash-separated path to content) into the work tree
// without committing them.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		path := filepath.Join(r.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Symlink makes the work tree's file name a symbolic link to target,
// uncommitted.
func (r *Repo) Symlink(name, target string) {
	r.t.Helper()
	path := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		r.t.Fatal(err)
	}
}

// Commit writes files and commits the whole work tree on the current
// branch, and returns the commit.
func (r *Repo) Commit(message string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	r.Write(files)
	wt, err := r.Repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	h, err := wt.Commit(message, &git.CommitOptions{Author: r.signature()})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func (r *Repo) signature() *object.Signature {
	r.when = r.when.Add(time.Minute)
	return &object.Signature{Name: "Test", Email: "test@example.com", When: r.when}
}

// Tag tags commit h, with an annotated tag object when annotated, else with
// a lightweight tag.
func (r *Repo) Tag(name string, h plumbing.Hash, annotated bool) {
	r.t.Helper()
	var opts *git.CreateTagOptions
	if annotated {
		opts = &git.CreateTagOptions{Tagger: r.signature(), Message: "release " + name}
	}
	if _, err := r.Repo.CreateTag(name, h, opts); err != nil {
		r.t.Fatal(err)
	}
}

// SetRef points the ref name (a full name: "refs/heads/release",
// "refs/remotes/origin/old") at h.
func (r *Repo) SetRef(name string, h plumbing.Hash) {
	r.t.Helper()
	if err := r.Repo.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), h)); err != nil {
		r.t.Fatal(err)
	}
}

// Status is what git status --porcelain would print: every file of the work
// tree that differs from the index or HEAD, in the order of their names.
func (r *Repo) Status() string {
	r.t.Helper()
	wt, err := r.Repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	st, err := wt.Status()
	if err != nil {
		r.t.Fatal(err)
	}
	// go-git prints its map in no particular order.
	lines := strings.Split(strings.TrimSuffix(st.String(), "\n"), "\n")
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[min(3, len(a)):], b[min(3, len(b)):]) })
	return strings.Join(lines, "\n")
}

// Snapshot lists every file of the work tree and of .git with its size,
// mode and modification time, to tell that nothing was written.
func (r *Repo) Snapshot() string {
	r.t.Helper()
	var lines []string
	err := filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.Dir, path)
		lines = append(lines, fmt.Sprintf("%s %d %s %s", rel, info.Size(), info.Mode(), info.ModTime().Format(time.RFC3339Nano)))
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// Serve serves the repository over smart HTTP, read only, from an in-process
// go-git server, and returns its URL. With a user, requests must
// authenticate as user with password.
func (r *Repo) Serve(user, password string) string {
	r.t.Helper()
	srv := server.NewServer(storerLoader{r.Repo.Storer})
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); user != "" && (!ok || u != user || p != password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			// GitHub's answer, a line ending in a newline.
			http.Error(w, "Invalid username or token.", http.StatusUnauthorized)
			return
		}
		ep, err := transport.NewEndpoint("/repo.git")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		session, err := srv.NewUploadPackSession(ep, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer session.Close()
		switch {
		case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/info/refs") && req.URL.Query().Get("service") == transport.UploadPackServiceName:
			refs, err := session.AdvertisedReferencesContext(req.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			refs.Prefix = [][]byte{[]byte("# service=" + transport.UploadPackServiceName), pktline.Flush}
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			_ = refs.Encode(w)
		case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/"+transport.UploadPackServiceName):
			upload := packp.NewUploadPackRequest()
			if err := upload.Decode(req.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			resp, err := session.UploadPack(req.Context(), upload)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
			_ = resp.Encode(w)
		default:
			http.NotFound(w, req)
		}
	})
	s := httptest.NewServer(handler)
	r.t.Cleanup(s.Close)
	return s.URL + "/repo.git"
}

// storerLoader serves one repository at every path.
type storerLoader struct{ s storer.Storer }

func (l storerLoader) Load(*transport.Endpoint) (storer.Storer, error) { return l.s, nil }
