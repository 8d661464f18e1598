package sources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Kustomize builds the kustomization in dir as `kubectl apply -k dir` does,
// with the same options and the same load restrictions, and returns its
// objects, the same objects in the same order. Each object's origin names the kustomization and, where
// kustomize can tell, the file the object was read from (for a generated
// object, the kustomization file that generated it).
//
// A kustomization that does not build is one *Error; there are no objects
// from it then, since kustomize builds all or nothing.
func Kustomize(dir string) ([]Manifest, []error) {
	source := Source{Kind: SourceKustomization, Name: dir}
	disk := filesys.MakeFsOnDisk()
	resources, files, err := buildWithOrigins(disk, dir)
	if err != nil {
		// Whatever went wrong with origins, the objects and the errors are
		// kubectl's: built again as kubectl builds, they are exactly that.
		files = nil
		resources, err = krusty.MakeKustomizer(kustomizeOptions()).Run(disk, dir)
	}
	if err != nil {
		return nil, []error{&Error{Origin: Origin{Source: source}, Err: buildError(dir, err)}}
	}

	var (
		manifests []Manifest
		errs      []error
	)
	for i, r := range resources.Resources() {
		origin := Origin{Source: source}
		if files != nil {
			origin.File = files[i]
		}
		data, err := r.AsYAML()
		if err != nil {
			errs = append(errs, &Error{Origin: origin, Err: fmt.Errorf("%s: %w", r.CurId(), err)})
			continue
		}
		// The same decoding as a manifest file's, so that numbers and the
		// checks on names are the same whichever way an object came in.
		m, e := Parse(origin.File, data)
		for _, manifest := range m {
			manifest.Origin = origin
			manifests = append(manifests, manifest)
		}
		for _, err := range e {
			var perr *Error
			if errors.As(err, &perr) {
				perr.Origin = origin
			}
			errs = append(errs, err)
		}
	}
	return manifests, errs
}

// errOriginsLeaked says that an origin annotation was copied somewhere in an
// object other than its annotations, by a patch or a replacement that copies
// all the annotations. It would not be in kubectl's build.
var errOriginsLeaked = errors.New("origin annotation copied into an object")

// buildWithOrigins builds dir with origin annotations, takes each object's
// file from them and removes them again. It returns the objects as kubectl
// builds them and, in the same order, the files they came from (for an
// object without an origin, ""). Any error means that the objects might not
// be kubectl's, and that the build should be done again as kubectl does it.
func buildWithOrigins(disk filesys.FileSystem, dir string) (resmap.ResMap, []string, error) {
	root, err := filesys.ConfirmDir(disk, dir)
	if err != nil {
		// Not a directory on disk: a git URL, which kustomize clones, or a
		// mistake that kustomize will report.
		return nil, nil, err
	}
	fsys := &originFS{FileSystem: disk, root: root}
	resources, err := krusty.MakeKustomizer(kustomizeOptions()).Run(fsys, dir)
	if err != nil {
		return nil, nil, err
	}
	files := make([]string, resources.Size())
	for i, r := range resources.Resources() {
		files[i] = originFile(dir, r)
	}
	if fsys.userOrigins {
		// Asked for by the kustomization: kubectl keeps them too.
		return resources, files, nil
	}
	// The call kustomize makes itself when nobody asked for origins: from
	// here on, the objects are those of a build without them.
	if err := resources.RemoveOriginAnnotations(); err != nil {
		return nil, nil, err
	}
	for _, r := range resources.Resources() {
		data, err := r.AsYAML()
		if err != nil {
			return nil, nil, err
		}
		// The object's own text could hold the name too, a ConfigMap
		// about kustomize say: then only its origins are lost, never an
		// object of kubectl's.
		if bytes.Contains(data, []byte(originAnnotation)) {
			return nil, nil, errOriginsLeaked
		}
	}
	return resources, files, nil
}

// originAnnotation is where kustomize records an object's origin.
const originAnnotation = "config.kubernetes.io/origin"

// kustomizeOptions are kubectl's: k8s.io/cli-runtime's KustomizeVisitor takes
// krusty.MakeDefaultOptions (files only from within the kustomization's
// root, no plugins, no managed-by label) and asks for the legacy order.
//
// The order is asked for as "unspecified", which kustomize resolves to the
// same legacy order, or to the kustomization's own sortOptions when it has
// them, as it does for kubectl; but where kubectl's "legacy" with sortOptions
// would log a warning on the process's standard error, this does not.
func kustomizeOptions() *krusty.Options {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	return opts
}

// originFS is the disk as kustomize reads it, except that the kustomization
// file at root asks for origin annotations: kustomize then records in each
// object the file it came from, and passes the request on to every
// kustomization it reads from there.
//
// The annotations change nothing else in a build: generated names hash the
// data, not the annotations, and every object has annotations during a
// build anyway (kustomize's own, internal ones), so that a JSON patch to
// /metadata/annotations/x works or fails the same with them or without.
type originFS struct {
	filesys.FileSystem
	// root is the kustomization's directory as kustomize resolves it:
	// absolute, with symbolic links followed. Empty when it is not a
	// directory on disk.
	root filesys.ConfirmedDir
	// userOrigins is set when the kustomization asked for origin
	// annotations itself: then kubectl applies them, and they stay.
	userOrigins bool
}

// ReadFile reads path, and adds the request for origin annotations if it is
// the root's kustomization file.
func (fs *originFS) ReadFile(path string) ([]byte, error) {
	data, err := fs.FileSystem.ReadFile(path)
	if err != nil || fs.root == "" || filepath.Dir(path) != string(fs.root) ||
		!slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(path)) {
		return data, err
	}
	return fs.requestOrigins(data), nil
}

// requestOrigins returns the kustomization file data with originAnnotations
// added to its buildMetadata. Anything kustomize would refuse is returned
// unchanged, for kustomize to report as it would to kubectl.
func (fs *originFS) requestOrigins(data []byte) []byte {
	// Decoded and encoded the way kustomize itself reads and copies a
	// kustomization (YAML to JSON, then JSON with struct tags), so that
	// the one change made is the one meant.
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil || k.CheckEmpty() != nil {
		return data
	}
	if slices.Contains(k.BuildMetadata, types.OriginAnnotations) {
		fs.userOrigins = true
		return data
	}
	k.BuildMetadata = append(k.BuildMetadata, types.OriginAnnotations)
	out, err := json.Marshal(k)
	if err != nil {
		return data
	}
	return out
}

// originFile is the file r was read from, from its origin annotation, as a
// path that starts with dir, the local directory of the kustomization; or
// for a generated object, the kustomization file that declares the
// generator. Empty when kustomize recorded nothing.
func originFile(dir string, r *resource.Resource) string {
	origin, err := r.GetOrigin()
	if err != nil || origin == nil {
		return ""
	}
	path := origin.Path
	if path == "" {
		path = origin.ConfiguredIn
	}
	switch {
	case path == "":
		return ""
	case origin.Repo != "":
		// A remote base: the path is within the repository, written the
		// way a kustomization names a remote file.
		file := origin.Repo + "//" + filepath.ToSlash(path)
		if origin.Ref != "" {
			file += "?ref=" + origin.Ref
		}
		return file
	}
	// Local origins are relative to the kustomization's directory.
	return filepath.Join(dir, path)
}

// kustomizeNoise are parts of kustomize's messages that repeat what the rest
// says or describe its own attempts rather than the problem.
var kustomizeNoise = []struct {
	re   *regexp.Regexp
	with string
}{
	// A resource that is neither a file nor a directory: kustomize tried it
	// as a file, then as a directory, and reports both. The first says what
	// is wrong with the file the person named.
	{regexp.MustCompile(`(?s)accumulation err='(.*)': must build at directory: .*`), "$1"},
	// How the missing path was found missing.
	{regexp.MustCompile(`evalsymlink failure on '[^']*' : lstat `), ""},
	// The generic step wrapping the specific one.
	{regexp.MustCompile(`accumulating resources: `), ""},
	// A patch without a target says so three times.
	{regexp.MustCompile(`: no matches for Id [^;]*; failed to find unique target for patch \S+`), ""},
}

// buildError turns kustomize's error into a message that says what to fix in
// which file.
func buildError(dir string, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "must build at directory: ") {
		// The directory itself is wrong; kustomize's message describes its
		// failed attempts to use it.
		info, statErr := os.Stat(dir)
		switch {
		case statErr != nil:
			return unwrapPathError(statErr)
		case !info.IsDir():
			return errors.New("not a directory: -k takes the directory that holds a kustomization.yaml")
		}
	}
	for _, n := range kustomizeNoise {
		msg = n.re.ReplaceAllString(msg, n.with)
	}
	return &trimmedError{msg: strings.TrimSpace(msg), err: err}
}

// trimmedError is kustomize's error with a shorter message; errors.Is and
// errors.As still see the original.
type trimmedError struct {
	msg string
	err error
}

func (e *trimmedError) Error() string { return e.msg }

func (e *trimmedError) Unwrap() error { return e.err }
