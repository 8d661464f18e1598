package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"sigs.k8s.io/kustomize/api/konfig"
)

// LoadGit reads the desired state in src as it is at src.Ref: a Helm chart
// when the directory holds a Chart.yaml (rendered for namespace as
// RenderChart does, the release named after the chart), a kustomization when
// it holds a kustomization file (built as Kustomize does), and otherwise the
// manifest files in it and its subdirectories, as LoadFiles reads a
// directory.
//
// The revision's files are written to a temporary directory, removed before
// LoadGit returns, and read from there by those loaders; a kustomization
// gets the whole tree, since it may name bases anywhere in the repository.
// A local repository is read in place and never written; a URL is cloned
// into memory, all of its branches and tags, since a hash may name any
// commit. A remote repository is read with go-git's usual
// credentials: ssh URLs with the keys of the ssh agent (SSH_AUTH_SOCK),
// checked against ~/.ssh/known_hosts, and https URLs with the user and
// password or token in the URL (https://user:token@host/org/app.git),
// which is masked wherever the URL is printed. Without a git binary there
// are no credential helpers.
//
// Every origin names the repository and the commit, "git ./app@3f2a1b4c5d6e",
// and the file's path from the repository's root, with its line. The errors
// are *Error values; a repository that cannot be read, a revision that does
// not resolve or a directory that is not there is one, and nothing else is
// read from src.
func LoadGit(ctx context.Context, src GitSource, namespace string, cluster *Cluster) ([]Manifest, []error) {
	ref := src.Ref
	if ref == "" {
		ref = "HEAD"
	}
	fail := func(file string, err error) ([]Manifest, []error) {
		return nil, []error{&Error{Origin: Source{Kind: SourceGit, Name: redactURL(src.Repo) + "@" + ref}.At(file, 0), Err: err}}
	}
	repo, prefix, err := openRepository(ctx, src)
	if err != nil {
		return fail("", err)
	}
	commit, err := resolveCommit(repo, ref)
	if err != nil {
		return fail("", err)
	}
	short := commit.Hash.String()[:12]
	dir := path.Join(prefix, src.Dir)
	root, err := commit.Tree()
	if err != nil {
		return fail(dir, fmt.Errorf("read commit %s: %w", short, err))
	}
	g := &gitLoad{
		ctx:       ctx,
		repo:      repo,
		root:      root,
		dir:       dir,
		source:    Source{Kind: SourceGit, Name: redactURL(src.Repo) + "@" + short},
		namespace: namespace,
		cluster:   cluster,
	}
	if dir == "" {
		return g.loadTree(root)
	}
	entry, err := root.FindEntry(dir)
	switch {
	case err != nil:
		return fail(dir, fmt.Errorf("no such file or directory at commit %s", short))
	case entry.Mode == filemode.Dir:
		tree, err := root.Tree(dir)
		if err != nil {
			return fail(dir, fmt.Errorf("read directory at commit %s: %w", short, err))
		}
		return g.loadTree(tree)
	case isRegular(entry.Mode):
		return g.loadFile(entry)
	case entry.Mode == filemode.Symlink:
		return fail(dir, fmt.Errorf("a symbolic link at commit %s: name the file or directory it leads to", short))
	}
	return fail(dir, fmt.Errorf("a submodule at commit %s: its files are in another repository", short))
}

// isRegular reports whether a tree entry is a file with content of its own:
// not a directory, a symbolic link or a submodule.
func isRegular(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated
}

// gitLoad is one GitSource being loaded, its commit resolved.
type gitLoad struct {
	ctx  context.Context
	repo *git.Repository
	// root is the commit's tree; dir the directory to load in it.
	root *object.Tree
	dir  string
	// source is every origin's Source: the repository at the commit.
	source    Source
	namespace string
	cluster   *Cluster
	// tmp is the temporary directory the tree is written to, and realTmp
	// the same with symbolic links resolved, as kustomize names it.
	tmp, realTmp string
}

// loadFile reads the manifest file entry, at g.dir.
func (g *gitLoad) loadFile(entry *object.TreeEntry) ([]Manifest, []error) {
	blob, err := object.GetBlob(g.repo.Storer, entry.Hash)
	if err != nil {
		return nil, []error{&Error{Origin: g.source.At(g.dir, 0), Err: err}}
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, []error{&Error{Origin: g.source.At(g.dir, 0), Err: err}}
	}
	defer r.Close()
	return g.relocate(readAll(g.dir, r))
}

// loadTree writes the directory's tree to a temporary directory and loads
// it from there as a chart, a kustomization or manifest files.
func (g *gitLoad) loadTree(tree *object.Tree) ([]Manifest, []error) {
	fail := func(err error) ([]Manifest, []error) {
		return nil, []error{&Error{Origin: g.source.At(g.dir, 0), Err: err}}
	}
	tmp, err := os.MkdirTemp("", "kubedrift-git-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	g.tmp, g.realTmp = tmp, tmp
	if real, err := filepath.EvalSymlinks(tmp); err == nil {
		g.realTmp = real
	}

	has := func(name string) bool {
		return slices.ContainsFunc(tree.Entries, func(e object.TreeEntry) bool { return e.Name == name })
	}
	local := filepath.Join(tmp, filepath.FromSlash(g.dir))
	var (
		written = tree
		load    func() ([]Manifest, []error)
	)
	switch {
	case has("Chart.yaml"):
		load = func() ([]Manifest, []error) {
			return g.relocateChart(RenderChart(g.ctx, Chart{Path: local}, g.namespace, g.cluster))
		}
	case slices.ContainsFunc(konfig.RecognizedKustomizationFileNames(), has):
		// A kustomization names its bases by relative paths, which may
		// lead anywhere in the repository: all of it is written.
		written = g.root
		load = func() ([]Manifest, []error) { return g.relocate(Kustomize(local)) }
	default:
		load = func() ([]Manifest, []error) { return g.relocate(loadFiles([]string{local}, nil)) }
	}
	base := g.dir
	if written == g.root {
		base = ""
	}
	skipped, err := g.write(written, base)
	if err != nil {
		return fail(err)
	}
	manifests, errs := load()
	return manifests, append(skipped, errs...)
}

// write writes tree, the tree of the directory base of the repository, to
// the same path under g.tmp. It returns an *Error for each manifest file
// that is a symbolic link leading out of base, which is not written: the
// files read are the repository's, never other files of this machine.
// Submodules are left empty, as a checkout without --recurse-submodules
// leaves them.
func (g *gitLoad) write(tree *object.Tree, base string) ([]error, error) {
	dest := filepath.Join(g.tmp, filepath.FromSlash(base))
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, err
	}
	var skipped []error
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return skipped, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read tree: %w", err)
		}
		if err := g.ctx.Err(); err != nil {
			return nil, err
		}
		repoPath := path.Join(base, name)
		file := filepath.Join(dest, filepath.FromSlash(name))
		switch {
		case entry.Mode == filemode.Dir:
			err = os.MkdirAll(file, 0o755)
		case isRegular(entry.Mode):
			err = g.writeBlob(entry.Hash, file)
		case entry.Mode == filemode.Symlink:
			var target string
			target, err = g.readBlob(entry.Hash)
			if err != nil {
				break
			}
			resolved := path.Join(path.Dir(repoPath), target)
			if path.IsAbs(target) || !within(resolved, base) {
				if manifestExtensions[strings.ToLower(path.Ext(name))] {
					skipped = append(skipped, &Error{Origin: g.source.At(repoPath, 0),
						Err: fmt.Errorf("symbolic link to %s leads out of %s: not followed", target, describeBase(base))})
				}
				continue
			}
			err = os.Symlink(filepath.FromSlash(target), file)
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", repoPath, unwrapPathError(err))
		}
	}
}

// within reports whether the clean, slash-separated repository path p is
// base or under it; every path is under the root, "".
func within(p, base string) bool {
	if base == "" {
		return p != ".." && !strings.HasPrefix(p, "../")
	}
	return p == base || strings.HasPrefix(p, base+"/")
}

func describeBase(base string) string {
	if base == "" {
		return "the repository"
	}
	return base
}

// writeBlob writes the content of the blob h to file.
func (g *gitLoad) writeBlob(h plumbing.Hash, file string) error {
	blob, err := object.GetBlob(g.repo.Storer, h)
	if err != nil {
		return err
	}
	r, err := blob.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readBlob returns the content of the small blob h: a symbolic link's
// target.
func (g *gitLoad) readBlob(h plumbing.Hash) (string, error) {
	blob, err := object.GetBlob(g.repo.Storer, h)
	if err != nil {
		return "", err
	}
	r, err := blob.Reader()
	if err != nil {
		return "", err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 4096))
	return string(data), err
}

// relocate gives the origins of what was loaded from g.tmp the source and
// the paths of the repository, and takes the temporary directory out of
// the messages.
func (g *gitLoad) relocate(manifests []Manifest, errs []error) ([]Manifest, []error) {
	return g.relocateWith(manifests, errs, func(o Origin) string { return g.repoPath(o.File) })
}

// relocateChart is relocate for a chart's objects, whose files Helm names
// after the chart ("shop/templates/web.yaml"): in the repository, that is
// the template under g.dir.
func (g *gitLoad) relocateChart(manifests []Manifest, errs []error) ([]Manifest, []error) {
	return g.relocateWith(manifests, errs, func(o Origin) string {
		if o.Source.Kind == SourceChart {
			if rest, ok := strings.CutPrefix(o.File, o.Source.Name+"/"); ok {
				return path.Join(g.dir, rest)
			}
		}
		return g.repoPath(o.File)
	})
}

func (g *gitLoad) relocateWith(manifests []Manifest, errs []error, file func(Origin) string) ([]Manifest, []error) {
	for i := range manifests {
		o := manifests[i].Origin
		manifests[i].Origin = g.source.At(file(o), o.Line)
	}
	out := make([]error, 0, len(errs))
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Err: err}
		}
		e.Origin = g.source.At(file(e.Origin), e.Origin.Line)
		e.Err = g.scrub(e.Err)
		out = append(out, e)
	}
	return manifests, out
}

// repoPath is the repository's path of a file under g.tmp, or the file
// unchanged when it is not there (a kustomization's remote base).
func (g *gitLoad) repoPath(file string) string {
	if file == "" || g.tmp == "" {
		return file
	}
	for _, dir := range []string{g.tmp, g.realTmp} {
		rel, err := filepath.Rel(dir, file)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if rel == "." {
			return ""
		}
		return filepath.ToSlash(rel)
	}
	return file
}

// scrub takes the temporary directory out of err's message, leaving the
// paths of the repository: "overlays/prod/gone.yaml: no such file".
func (g *gitLoad) scrub(err error) error {
	if g.tmp == "" {
		return err
	}
	msg := err.Error()
	scrubbed := msg
	for _, dir := range []string{g.realTmp, g.tmp} {
		scrubbed = strings.ReplaceAll(scrubbed, dir+string(filepath.Separator), "")
		scrubbed = strings.ReplaceAll(scrubbed, dir, ".")
	}
	if scrubbed == msg {
		return err
	}
	return &trimmedError{msg: scrubbed, err: err}
}
