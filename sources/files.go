package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// manifestExtensions are the files read when walking a directory. A file named
// on the command line is read whatever its name.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// LoadFiles reads every manifest in paths, which name files or directories;
// "-" reads standard input. Directories are walked recursively in lexical
// order; hidden files and directories (a leading dot, such as .git or
// .kubedrift.yaml) are skipped.
//
// The returned errors are *Error values, one per bad document or unreadable
// file; the manifests hold every object that could be read.
func LoadFiles(paths []string) ([]Manifest, []error) {
	return loadFiles(paths, os.Stdin)
}

// stdinName is the file name that stands for standard input, as in kubectl.
const stdinName = "-"

func loadFiles(paths []string, stdin io.Reader) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
		readStdin bool
	)
	for _, root := range paths {
		if root == stdinName {
			if readStdin {
				errs = append(errs, &Error{Origin: Origin{File: stdinName}, Err: errors.New("standard input named more than once")})
				continue
			}
			readStdin = true
			m, e := readAll(stdinName, stdin)
			manifests = append(manifests, m...)
			errs = append(errs, e...)
			continue
		}
		files, err := manifestFiles(root)
		if err != nil {
			errs = append(errs, &Error{Origin: Origin{File: root}, Err: err})
		}
		for _, file := range files {
			f, err := os.Open(file)
			if err != nil {
				errs = append(errs, &Error{Origin: Origin{File: file}, Err: unwrapPathError(err)})
				continue
			}
			m, e := readAll(file, f)
			f.Close()
			manifests = append(manifests, m...)
			errs = append(errs, e...)
		}
	}
	return manifests, errs
}

// readAll parses everything r holds as the manifests of file.
func readAll(file string, r io.Reader) ([]Manifest, []error) {
	if r == nil {
		return nil, []error{&Error{Origin: Origin{File: file}, Err: errors.New("no input to read")}}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []error{&Error{Origin: Origin{File: file}, Err: unwrapPathError(err)}}
	}
	return Parse(file, data)
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
	// Some Windows editors start a file with a byte order mark; without it
	// removed, a "---" on the first line would not be seen as a separator.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	docs := splitDocuments(data)
	decoded := decodeAll(docs)
	for i, doc := range docs {
		origin := Origin{File: file, Line: doc.contentLine}
		items, err := decoded[i].items, decoded[i].err
		if err != nil {
			var le *lineError
			if errors.As(err, &le) {
				origin.Line = le.line
				err = le.err
			}
			errs = append(errs, &Error{Origin: origin, Err: err})
			continue
		}
		for _, it := range items {
			err := it.err
			if err == nil {
				err = validateObject(it.obj)
				if err != nil && it.index >= 0 {
					err = fmt.Errorf("items[%d]: %w", it.index, err)
				}
			}
			if err != nil {
				errs = append(errs, &Error{Origin: origin, Err: err})
				continue
			}
			manifests = append(manifests, Manifest{Object: it.obj, Origin: origin})
		}
	}
	return manifests, errs
}

// decodedDocument is what decodeDocument returned for one document.
type decodedDocument struct {
	items []item
	err   error
}

// parallelDocuments is how many documents a stream must have for them to be
// decoded on several cores at once; fewer are not worth the goroutines.
const parallelDocuments = 64

// decodeAll decodes docs, on as many cores as there are when they are
// many: YAML decoding is most of the time loading a large rendered
// application takes, and each document decodes on its own.
func decodeAll(docs []document) []decodedDocument {
	out := make([]decodedDocument, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs)/parallelDocuments)
	if workers <= 1 {
		for i, doc := range docs {
			out[i].items, out[i].err = decodeDocument(doc)
		}
		return out
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(docs); i = int(next.Add(1)) - 1 {
				out[i].items, out[i].err = decodeDocument(docs[i])
			}
		})
	}
	wg.Wait()
	return out
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
	// lastLine is the last line of text that is not blank. Errors that the
	// YAML parser places after it (an unterminated quote is reported at the
	// end of the stream) are shown on this line, inside the document.
	lastLine int
}

// splitDocuments cuts a YAML stream at its "---" and "..." marker lines,
// keeping track of the lines so that errors can point into the file.
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
		content := text
		if rest, ok := cutMarker(text, "---"); ok {
			// A document starts here. The marker line stays in it, so that
			// the YAML parser reads what may follow "---" on the same line
			// ("--- {...}" or "--- |") instead of it being dropped.
			flush()
			cur = document{firstLine: line}
			content = rest
		} else if rest, ok := cutMarker(text, "..."); ok && isBlankOrComment(rest) {
			// The document ends here. Another may follow without a "---",
			// and the YAML parser would ignore it if it were left in this
			// one.
			flush()
			cur = document{firstLine: line + 1}
			continue
		}
		cur.text = append(cur.text, raw...)
		if len(bytes.TrimSpace(text)) > 0 {
			cur.lastLine = line
		}
		if cur.contentLine == 0 && !isBlankOrComment(content) {
			cur.contentLine = line
		}
	}
	flush()
	return docs
}

// cutMarker reports whether a line is the YAML document marker ("---" or
// "..."), alone or followed by a space and anything, and returns what follows
// it.
func cutMarker(line []byte, marker string) (rest []byte, ok bool) {
	rest, ok = bytes.CutPrefix(line, []byte(marker))
	if !ok || (len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t') {
		return nil, false
	}
	return rest, true
}

// isBlankOrComment reports whether a piece of a line holds no YAML content.
func isBlankOrComment(text []byte) bool {
	trimmed := bytes.TrimSpace(text)
	return len(trimmed) == 0 || trimmed[0] == '#'
}

// lineError is a decoding error located at a line of the file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

// yamlMessage splits a message of the YAML parser into the line it may give,
// counted from the start of the document, and the problem.
var yamlMessage = regexp.MustCompile(`(?s)^(?:error converting YAML to JSON: )?yaml: (?:line (\d+): )?(.*)$`)

// unmarshalProblem is the first of the decoder's "unmarshal errors", which
// come one per line after that heading, each with its line.
var unmarshalProblem = regexp.MustCompile(`^unmarshal errors:\n\s*line (\d+): ([^\n]*)`)

// parserProblems are the messages of the parser of go.yaml.in/yaml/v2, as
// opposed to its scanner. The parser gives the line of the token it stopped at
// counted from 0, where the scanner counts from 1, so these messages name the
// line before the one at fault.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// locate turns an error of the YAML parser into the line of the file it points
// at and its message without the parser's prefixes.
func (doc document) locate(err error) (line int, msg string) {
	m := yamlMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return doc.contentLine, strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	}
	if u := unmarshalProblem.FindStringSubmatch(m[2]); u != nil {
		// "unmarshal errors:\n  line 8: key "a" already set in map": the
		// first of them, at its line.
		m = u
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		// No line: the problem is on the first line of the document, or it
		// is not about a place at all (an unknown anchor, a bad map key).
		return doc.contentLine, m[2]
	}
	if parserProblems[m[2]] {
		n++
	}
	return min(max(doc.firstLine+n-1, doc.firstLine), doc.lastLine), m[2]
}

// item is one object of a document, or why an entry of a List is not one.
type item struct {
	obj *unstructured.Unstructured
	// index is the position of the object in the items of a List, or -1 when
	// the document is the object.
	index int
	err   error
}

// maxDocumentBytes bounds the YAML text of one document. The API server
// refuses requests over 3 MiB; YAML may be somewhat longer than the JSON it
// becomes, so the bound leaves room.
const maxDocumentBytes = 8 << 20

// decodeDocument turns one document into objects: one for a plain object, the
// items for a List, none for an empty document.
func decodeDocument(doc document) ([]item, error) {
	if len(doc.text) > maxDocumentBytes {
		// Parsing it would take many times its size in memory, for an
		// object no API server would store.
		return nil, fmt.Errorf("document is %.1f MiB: the API server takes objects of up to 3 MiB", float64(len(doc.text))/(1<<20))
	}
	// Strict: a key given twice is an error, as kubectl apply's strict field
	// validation makes it, not a silent choice of the last value.
	js, err := yaml.YAMLToJSONStrict(doc.text)
	if err != nil {
		line, msg := doc.locate(err)
		return nil, &lineError{line: line, err: fmt.Errorf("invalid YAML: %s", msg)}
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
		return nil, fmt.Errorf("document is %s, not a Kubernetes object", jsonType(value))
	}
	obj := &unstructured.Unstructured{Object: object}
	if !obj.IsList() {
		return []item{{obj: obj, index: -1}}, nil
	}
	entries, _ := object["items"].([]any)
	items := make([]item, 0, len(entries))
	for i, entry := range entries {
		m, ok := entry.(map[string]any)
		if !ok {
			// Like an item without a name, this one is reported and the
			// others are still read.
			items = append(items, item{index: i, err: fmt.Errorf("items[%d] is %s, not a Kubernetes object", i, jsonType(entry))})
			continue
		}
		items = append(items, item{obj: &unstructured.Unstructured{Object: m}, index: i})
	}
	return items, nil
}

// errGenerateName is why an object with metadata.generateName and no name
// is not part of the desired state: the server names it anew each time it
// is created, so there is no name to expect it by.
var errGenerateName = errors.New("an object without a fixed name cannot be compared with the cluster")

// validateObject checks what kubedrift needs to find an object in a cluster.
func validateObject(obj *unstructured.Unstructured) error {
	// An unquoted "name: 0123" or "name: yes" is not a string in YAML. Saying
	// so is more helpful than saying that the object has no name.
	for _, path := range [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}} {
		if v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, path...); v != nil {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("%s has a %s that is %s, not a string", describe(obj), strings.Join(path, "."), jsonType(v))
			}
		}
	}
	var missing []string
	if obj.GetAPIVersion() == "" {
		missing = append(missing, "apiVersion")
	}
	if obj.GetKind() == "" {
		missing = append(missing, "kind")
	}
	if obj.GetName() == "" {
		if obj.GetGenerateName() != "" {
			return fmt.Errorf("%s uses metadata.generateName: %w", describe(obj), errGenerateName)
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

// jsonType names the kind of a decoded JSON value, with its article.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
