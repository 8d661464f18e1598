package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
	"sigs.k8s.io/kustomize/api/konfig"
)

// GitSource is a directory of a Git repository as it is at one revision:
// the desired state as committed, whatever the work tree holds. It is
// written REPO[@REF][//DIR] on the command line; see ParseGitSource.
//
// Repositories are read with go-git, in process: no git binary is needed,
// and nothing of a local repository is written, neither its work tree nor
// its index, refs or objects.
type GitSource struct {
	// Repo is the repository: a local path (its work tree or any directory
	// in it, its .git directory, or a bare repository), or a URL (file://,
	// https://, http://, ssh://, git://, or scp-like user@host:path).
	Repo string
	// Ref is the revision: a branch, a remote-tracking branch
	// ("origin/main"), a tag (annotated or lightweight), a full or
	// abbreviated commit hash, optionally with ~N or ^N after it. Empty
	// means HEAD: the commit checked out in a local repository, the default
	// branch of a remote one.
	Ref string
	// Dir is the directory (or one manifest file) in the repository,
	// slash-separated and relative to the repository's root; empty for the
	// root. A local Repo that names a directory inside a work tree adds
	// that directory in front, as git archive does when run there.
	Dir string
}

// ParseGitSource parses REPO[@REF][//DIR]:
//
//   - DIR follows the first "//" that is not the "//" of "scheme://". Git
//     never puts "//" in a ref, and it has no place in a repository's path
//     or URL either, so the first one is always the separator.
//   - REF follows the last "@" of the repository's path, after the host of
//     a URL ("https://user@host/org/app.git@v1") or after the colon of an
//     scp-like address ("git@github.com:org/app.git@main"). A local path or
//     a URL whose path holds an "@" therefore needs an explicit ref:
//     "./app@2@HEAD" is the repository ./app@2 at HEAD.
//   - REPO is a URL when it starts with a scheme and "://", scp-like when a
//     colon comes before any slash ("host:org/app", as git reads it; write
//     "./host:app" for a local directory with a colon), and a local path
//     otherwise.
//
// Examples: ".@main//k8s", "../app@v1.2.0", "/srv/git/app.git@3f2a1b4c",
// "file:///srv/git/app.git@main//deploy",
// "https://github.com/org/app.git@v2//charts/web",
// "git@github.com:org/app.git@main//overlays/prod".
func ParseGitSource(spec string) (GitSource, error) {
	shown := redactURL(spec)
	fail := func(format string, args ...any) (GitSource, error) {
		return GitSource{}, fmt.Errorf("%s: %s", shown, fmt.Sprintf(format, args...))
	}
	if spec == "" {
		return GitSource{}, errors.New("empty: want REPO[@REF][//DIR]")
	}
	scheme, rest, isURL := cutScheme(spec)
	if isURL && !gitScheme(scheme) {
		return fail("scheme %s is not one of file, https, http, ssh and git", scheme)
	}
	head := len(spec) - len(rest) // the index after "scheme://", or 0

	repoRef, dir, hasDir := strings.Cut(rest, "//")
	repoRef = spec[:head] + repoRef
	if hasDir {
		if dir == "" {
			return fail(`no directory after "//"`)
		}
		if strings.HasPrefix(dir, "/") {
			return fail("directory %s is not relative to the repository's root", dir)
		}
		if dir = path.Clean(dir); dir == ".." || strings.HasPrefix(dir, "../") {
			return fail("directory %s is outside the repository", dir)
		}
		if dir == "." {
			dir = ""
		}
	}

	// The ref's "@" comes after the host, where a URL's user may have its
	// own "@".
	pathStart, scp := 0, scpLike(repoRef)
	switch {
	case isURL:
		pathStart = len(repoRef)
		if slash := strings.IndexByte(repoRef[head:], '/'); slash >= 0 {
			pathStart = head + slash
		}
	case scp:
		pathStart = strings.IndexByte(repoRef, ':') + 1
	}
	repo, ref := repoRef, ""
	if at := strings.LastIndexByte(repoRef[pathStart:], '@'); at >= 0 {
		repo, ref = repoRef[:pathStart+at], repoRef[pathStart+at+1:]
		if ref == "" {
			return fail(`no ref after "@"`)
		}
		if err := checkRef(ref); err != nil {
			return fail("ref %q %v", ref, err)
		}
	}
	switch p := repo[min(pathStart, len(repo)):]; {
	case repo == "":
		return fail("no repository")
	case isURL && (p == "" || p == "/"):
		return fail("no repository path in the URL")
	case scp && p == "":
		return fail(`no repository path after ":"`)
	}
	if _, _, err := (GitSource{Repo: repo}).location(); err != nil {
		return fail("%v", err)
	}
	return GitSource{Repo: repo, Ref: ref, Dir: dir}, nil
}

// String returns the source as ParseGitSource reads it, with the password
// of a URL masked.
func (g GitSource) String() string {
	s := redactURL(g.Repo)
	if g.Ref != "" {
		s += "@" + g.Ref
	}
	if g.Dir != "" {
		s += "//" + g.Dir
	}
	return s
}

// cutScheme splits "scheme://rest". A "://" after anything but a scheme
// name ("./a://b") is part of a path.
func cutScheme(s string) (scheme, rest string, ok bool) {
	scheme, rest, ok = strings.Cut(s, "://")
	if !ok || scheme == "" {
		return "", s, false
	}
	for i, c := range scheme {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", s, false
		}
	}
	return strings.ToLower(scheme), rest, true
}

// gitScheme reports whether go-git reads repositories at URLs of scheme
// without a git binary. (file:// is read in place, as a local path.)
func gitScheme(scheme string) bool {
	switch scheme {
	case "file", "https", "http", "ssh", "git":
		return true
	}
	return false
}

// scpLike reports whether s is an scp-like address, [user@]host:path, by
// git's rule: a colon before any slash. A drive letter ("C:\repo") is a
// local path.
func scpLike(s string) bool {
	if _, _, isURL := cutScheme(s); isURL {
		return false
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || strings.Contains(s[:colon], "/") {
		return false
	}
	drive := colon == 1 && ('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z')
	return !drive
}

// checkRef refuses what no revision can contain, by git's rules for ref
// names; ~ and ^ are allowed for "main~1".
func checkRef(ref string) error {
	switch {
	case strings.Contains(ref, ".."):
		return errors.New(`contains ".."`)
	case strings.HasPrefix(ref, "/"), strings.HasSuffix(ref, "/"), strings.HasPrefix(ref, "-"):
		return errors.New("is not a revision")
	}
	for _, c := range ref {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(`:?*[\`, c) {
			return fmt.Errorf("contains %q", c)
		}
	}
	return nil
}

// location says where the repository is: a local directory, opened in
// place, or a URL, cloned.
func (g GitSource) location() (dir, url string, err error) {
	scheme, _, isURL := cutScheme(g.Repo)
	switch {
	case !isURL && scpLike(g.Repo):
		return "", g.Repo, nil
	case !isURL:
		return g.Repo, "", nil
	case scheme != "file":
		return "", g.Repo, nil
	}
	// file:///srv/app.git is the directory /srv/app.git, read in place:
	// go-git clones file URLs with git-upload-pack, a git binary.
	u, err := neturl.Parse(g.Repo)
	switch {
	case err != nil:
		return "", "", err
	case u.Host != "" && u.Host != "localhost":
		return "", "", fmt.Errorf("file URL names host %s: only local files can be read", u.Host)
	case u.Path == "" || u.Path == "/":
		return "", "", errors.New("no repository path in the URL")
	}
	return filepath.FromSlash(u.Path), "", nil
}

// redactURL masks the password of a URL ("https://user:xxxxx@host/..."),
// as url.URL.Redacted does, so that a token given in the URL is never
// printed. Anything else is returned as it is.
func redactURL(s string) string {
	_, rest, isURL := cutScheme(s)
	if !isURL {
		return s
	}
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return s
	}
	user, password, ok := strings.Cut(authority[:at], ":")
	if !ok || password == "" {
		return s
	}
	start := len(s) - len(rest)
	return s[:start] + user + ":xxxxx" + s[start+at:]
}

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
		return nil, []error{&Error{Origin: Origin{Source: fmt.Sprintf("git %s@%s", redactURL(src.Repo), ref), File: file}, Err: err}}
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
		source:    fmt.Sprintf("git %s@%s", redactURL(src.Repo), short),
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

// openRepository opens a local repository in place, or clones a remote one
// into memory. For a local path inside a work tree it also returns the
// path's directory relative to the repository's root.
func openRepository(ctx context.Context, src GitSource) (*git.Repository, string, error) {
	dir, url, err := src.location()
	if err != nil {
		return nil, "", err
	}
	if url == "" {
		return openLocal(dir)
	}
	repo, err := cloneRemote(ctx, url)
	if err != nil {
		return nil, "", cloneError(url, err)
	}
	return repo, "", nil
}

// openLocal opens the repository at dir: its work tree's root, its .git
// directory or a bare repository, or else the work tree that dir is in.
func openLocal(dir string) (*git.Repository, string, error) {
	// The common directory makes a linked work tree (git worktree add)
	// see the refs and objects of its repository.
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err == nil {
		return repo, "", nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, "", err
	}
	// Looking upward from a path that does not exist would find whatever
	// repository holds its parent, and blame a typo on that one.
	if _, statErr := os.Stat(dir); statErr != nil {
		return nil, "", unwrapPathError(statErr)
	}
	repo, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	rel, err := filepath.Rel(wt.Filesystem.Root(), abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, "", fmt.Errorf("%s is not inside the work tree at %s", dir, wt.Filesystem.Root())
	}
	if rel == "." {
		rel = ""
	}
	return repo, filepath.ToSlash(rel), nil
}

// cloneRemote clones the repository at url into memory, every branch and
// tag, without a work tree.
func cloneRemote(ctx context.Context, url string) (*git.Repository, error) {
	// A nil Auth is go-git's default: the ssh agent for ssh, the URL's
	// user and password for http.
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{URL: url, Tags: git.AllTags})
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	// The clone has the remote's branches as origin/NAME; a branch is
	// named the same whether the repository is local or remote.
	refs, err := repo.References()
	if err != nil {
		return nil, err
	}
	var branches []*plumbing.Reference
	err = refs.ForEach(func(r *plumbing.Reference) error {
		if name, ok := strings.CutPrefix(r.Name().String(), "refs/remotes/"+git.DefaultRemoteName+"/"); ok && name != "HEAD" && r.Type() == plumbing.HashReference {
			branches = append(branches, plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), r.Hash()))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range branches {
		if _, err := repo.Reference(b.Name(), false); errors.Is(err, plumbing.ErrReferenceNotFound) {
			if err := repo.Storer.SetReference(b); err != nil {
				return nil, err
			}
		}
	}
	return repo, nil
}

// cloneError is the message of a failed clone on one line, with the
// password of url masked. The message may end with what the server
// answered, newlines and all; go-git masks the password in its own
// messages, and this makes sure of it for every message.
func cloneError(url string, err error) error {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	_, rest, _ := cutScheme(url)
	authority, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if _, password, ok := strings.Cut(authority[:at], ":"); ok && password != "" {
			msg = strings.ReplaceAll(msg, password, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &trimmedError{msg: msg, err: err}
}

// resolveCommit finds the commit ref names, in git's order: a full hash,
// then a ref (as itself, then under refs/, refs/tags/, refs/heads/,
// refs/remotes/), then an abbreviated hash of at least 4 digits that only
// one commit has, then ~ and ^ suffixes.
func resolveCommit(repo *git.Repository, ref string) (*object.Commit, error) {
	if len(ref) == 2*len(plumbing.ZeroHash) && isHex(ref) {
		if c, err := peelToCommit(repo, plumbing.NewHash(ref)); err == nil || !errors.Is(err, plumbing.ErrObjectNotFound) {
			return c, err
		}
	}
	for _, rule := range plumbing.RefRevParseRules {
		r, err := storer.ResolveReference(repo.Storer, plumbing.ReferenceName(fmt.Sprintf(rule, ref)))
		if err == nil {
			return peelToCommit(repo, r.Hash())
		}
	}
	if len(ref) >= 4 && isHex(ref) {
		c, err := commitByPrefix(repo, strings.ToLower(ref))
		if c != nil || err != nil {
			return c, err
		}
	}
	if strings.ContainsAny(ref, "~^") {
		if h, err := repo.ResolveRevision(plumbing.Revision(ref)); err == nil {
			return peelToCommit(repo, *h)
		}
	}
	return nil, errors.New("unknown revision: not a branch, tag or commit of the repository")
}

// peelToCommit follows annotated tags from h to the commit they tag.
func peelToCommit(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	// Tags of tags are possible; a chain this long is not.
	for range 10 {
		obj, err := repo.Object(plumbing.AnyObject, h)
		if err != nil {
			return nil, fmt.Errorf("read object %s: %w", h, err)
		}
		switch o := obj.(type) {
		case *object.Commit:
			return o, nil
		case *object.Tag:
			h = o.Target
		default:
			return nil, fmt.Errorf("%s is a %s, not a commit", h, obj.Type())
		}
	}
	return nil, fmt.Errorf("%s: too many tags of tags", h)
}

// commitByPrefix finds the one commit whose hash starts with prefix; nil
// when there is none. go-git would take any of several: a check would then
// compare the cluster with an arbitrary commit.
func commitByPrefix(repo *git.Repository, prefix string) (*object.Commit, error) {
	commits, err := repo.CommitObjects()
	if err != nil {
		return nil, err
	}
	var found []*object.Commit
	err = commits.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), prefix) {
			found = append(found, c)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(found) > 1:
		return nil, fmt.Errorf("abbreviated hash is ambiguous: %d commits start with it; give more digits", len(found))
	case len(found) == 1:
		return found[0], nil
	}
	return nil, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
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
	// source is every origin's Source: "git REPO@COMMIT".
	source    string
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
		return nil, []error{&Error{Origin: Origin{Source: g.source, File: g.dir}, Err: err}}
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, []error{&Error{Origin: Origin{Source: g.source, File: g.dir}, Err: err}}
	}
	defer r.Close()
	return g.relocate(readAll(g.dir, r))
}

// loadTree writes the directory's tree to a temporary directory and loads
// it from there as a chart, a kustomization or manifest files.
func (g *gitLoad) loadTree(tree *object.Tree) ([]Manifest, []error) {
	fail := func(err error) ([]Manifest, []error) {
		return nil, []error{&Error{Origin: Origin{Source: g.source, File: g.dir}, Err: err}}
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
					skipped = append(skipped, &Error{Origin: Origin{Source: g.source, File: repoPath},
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
		if name, ok := strings.CutPrefix(o.Source, "chart "); ok {
			if rest, ok := strings.CutPrefix(o.File, name+"/"); ok {
				return path.Join(g.dir, rest)
			}
		}
		return g.repoPath(o.File)
	})
}

func (g *gitLoad) relocateWith(manifests []Manifest, errs []error, file func(Origin) string) ([]Manifest, []error) {
	for i := range manifests {
		o := manifests[i].Origin
		manifests[i].Origin = Origin{Source: g.source, File: file(o), Line: o.Line}
	}
	out := make([]error, 0, len(errs))
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Err: err}
		}
		e.Origin = Origin{Source: g.source, File: file(e.Origin), Line: e.Origin.Line}
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
