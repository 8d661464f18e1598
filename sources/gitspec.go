package sources

import (
	"errors"
	"fmt"
	neturl "net/url"
	"path"
	"path/filepath"
	"strings"
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
