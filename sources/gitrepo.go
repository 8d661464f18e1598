package sources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

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
