package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// manifestExtensions are the files read when walking a directory. A file named
// on the command line is read whatever its name.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// LoadFiles reads every manifest in paths, which name files or directories.
// Directories are walked recursively in lexical order; hidden files and
// directories (a leading dot, such as .git or .kubedrift.yaml) are skipped.
//
// The returned errors are *Error values, one per bad document or unreadable
// file; the manifests hold every object that could be read.
func LoadFiles(paths []string) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
	)
	for _, root := range paths {
		files, err := manifestFiles(root)
		if err != nil {
			errs = append(errs, &Error{Origin: Origin{File: root}, Err: err})
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, &Error{Origin: Origin{File: file}, Err: unwrapPathError(err)})
				continue
			}
			m, e := Parse(file, data)
			manifests = append(manifests, m...)
			errs = append(errs, e...)
		}
	}
	return manifests, errs
}

// manifestFiles lists the manifest files under root, or root itself when it is
// a file. Files found before an error are still returned.
func manifestFiles(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !info.IsDir() {
		return []string{root}, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && manifestExtensions[strings.ToLower(filepath.Ext(path))] {
			files = append(files, path)
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no .yaml, .yml or .json files in directory")
	}
	return files, err
}

// unwrapPathError drops the operation and path from an *fs.PathError, since
// every message we print already starts with the path.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse reads the YAML or JSON documents in data, which came from file. Each
// object is returned with the line its document starts on; each bad document
// becomes an *Error and does not stop the others from being read.
func Parse(file string, data []byte) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
	)
	for _, doc := range splitDocuments(data) {
		origin := Origin{File: file, Line: doc.contentLine}
		objs, err := decodeDocument(doc)
		if err != nil {
			var le *lineError
			if errors.As(err, &le) {
				origin.Line = le.line
				err = le.err
			}
			errs = append(errs, &Error{Origin: origin, Err: err})
			continue
		}
		for i, obj := range objs {
			if err := validateObject(obj); err != nil {
				if len(objs) > 1 {
					err = fmt.Errorf("items[%d]: %w", i, err)
				}
				errs = append(errs, &Error{Origin: origin, Err: err})
				continue
			}
			manifests = append(manifests, Manifest{Object: obj, Origin: origin})
		}
	}
	return manifests, errs
}

// document is one YAML document of a stream.
type document struct {
	text []byte
	// firstLine is the line of the file where text begins; the YAML parser
	// counts lines from there.
	firstLine int
	// contentLine is the first line that is neither blank nor a comment: the
	// line a person would call the start of the object.
	contentLine int
}

// splitDocuments cuts a YAML stream at its "---" separator lines, keeping track
// of the lines so that errors can point into the file.
func splitDocuments(data []byte) []document {
	var (
		docs []document
		cur  = document{firstLine: 1}
		line = 0
	)
	flush := func() {
		if cur.contentLine != 0 {
			docs = append(docs, cur)
		}
	}
	for len(data) > 0 {
		line++
		next := bytes.IndexByte(data, '\n')
		var raw []byte
		if next < 0 {
			raw, data = data, nil
		} else {
			raw, data = data[:next+1], data[next+1:]
		}
		text := bytes.TrimRight(raw, "\r\n")
		if isSeparator(text) {
			flush()
			cur = document{firstLine: line + 1}
			continue
		}
		cur.text = append(cur.text, raw...)
		if trimmed := bytes.TrimSpace(text); cur.contentLine == 0 && len(trimmed) > 0 && trimmed[0] != '#' {
			cur.contentLine = line
		}
	}
	flush()
	return docs
}

// isSeparator reports whether a line is a YAML document marker: "---" alone or
// followed by a space and anything (a comment, or a document that starts on
// the same line, which Kubernetes manifests never use).
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// lineError is a decoding error located at a line of the file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

// yamlLine finds the "line N" that the YAML parser puts in its messages.
var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)

// decodeDocument turns one document into objects: one for a plain object, the
// items for a List, none for an empty document.
func decodeDocument(doc document) ([]*unstructured.Unstructured, error) {
	js, err := yaml.YAMLToJSON(doc.text)
	if err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &lineError{line: doc.firstLine + n - 1, err: fmt.Errorf("invalid YAML: %s", m[2])}
		}
		return nil, fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
	}
	var value any
	if err := utiljson.Unmarshal(js, &value); err != nil {
		return nil, fmt.Errorf("invalid document: %w", err)
	}
	if value == nil {
		return nil, nil
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document is a %s, not a Kubernetes object", jsonType(value))
	}
	obj := &unstructured.Unstructured{Object: object}
	if !obj.IsList() {
		return []*unstructured.Unstructured{obj}, nil
	}
	items, _ := object["items"].([]any)
	objs := make([]*unstructured.Unstructured, 0, len(items))
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("items[%d] is a %s, not a Kubernetes object", i, jsonType(item))
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs, nil
}

// validateObject checks what kubedrift needs to find an object in a cluster.
func validateObject(obj *unstructured.Unstructured) error {
	var missing []string
	if obj.GetAPIVersion() == "" {
		missing = append(missing, "apiVersion")
	}
	if obj.GetKind() == "" {
		missing = append(missing, "kind")
	}
	if obj.GetName() == "" {
		if obj.GetGenerateName() != "" {
			return fmt.Errorf("%s uses metadata.generateName: an object without a fixed name cannot be compared with the cluster", describe(obj))
		}
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s has no %s", describe(obj), joinOr(missing))
	}
	return nil
}

// describe names an object as far as it can be named.
func describe(obj *unstructured.Unstructured) string {
	switch {
	case obj.GetKind() != "" && obj.GetName() != "":
		return fmt.Sprintf("%s %q", obj.GetKind(), obj.GetName())
	case obj.GetKind() != "":
		return obj.GetKind()
	default:
		return "object"
	}
}

// joinOr joins words as a person lists them: "a", "a or b", "a, b or c".
func joinOr(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}
