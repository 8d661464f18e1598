package ignore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"go.yaml.in/yaml/v3"
)

// Load reads a .kubedrift.yaml file.
func Load(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ignore rules: %w", err)
	}
	return Parse(path, data)
}

// Find looks for .kubedrift.yaml in dir and its parents, returning ""
// when there is none. dir may also be a manifest file, whose directory is
// searched first.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, FileName)
		info, err := os.Stat(candidate)
		switch {
		case err == nil && info.IsDir():
			// Better to say so than to skip it and pick up a file further
			// up that the user did not mean.
			return "", fmt.Errorf("%s is a directory, not a rule file", candidate)
		case err == nil:
			return candidate, nil
		case !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// RuleYAML returns the rule that ignores the field at pointer (a JSON
// pointer, such as Change.Pointer) of the object obj, as the item of a rule
// file's ignore list: what Add appends, for a person to read first.
func RuleYAML(obj Object, pointer string) (string, error) {
	node, err := ruleNode(obj, pointer)
	if err != nil {
		return "", err
	}
	list := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}}
	return encodeYAML(list)
}

// Add appends the rule RuleYAML describes to the rule file
// at path, creating the file when there is none. The rules already there,
// and their comments, are kept; a file that does not parse is left as it
// is, with its error, rather than rewritten. The file is replaced in one
// rename, so a reader never sees half of it.
func Add(path string, obj Object, pointer string) error {
	rule, err := ruleNode(obj, pointer)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read ignore rules: %w", err)
	}
	if _, err := Parse(path, data); err != nil {
		return fmt.Errorf("%w (fix the file before adding a rule to it)", err)
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err) // Parse accepted it: unlikely
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		doc = yaml.Node{Kind: yaml.DocumentNode, HeadComment: doc.HeadComment, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := resolve(doc.Content[0])
	list := listNode(root)
	list.Kind, list.Tag, list.Value, list.Style = yaml.SequenceNode, "!!seq", "", 0
	list.Content = append(list.Content, rule)

	out, err := encodeYAML(&doc)
	if err != nil {
		return err
	}
	if _, err := Parse(path, []byte(out)); err != nil {
		return fmt.Errorf("the new rule file would not parse: %w", err)
	}
	return writeFileAtomic(path, []byte(out))
}

// ruleNode builds one rule: the object's selectors and the pointer.
func ruleNode(obj Object, pointer string) (*yaml.Node, error) {
	if _, err := ParsePointer(pointer); err != nil {
		return nil, fmt.Errorf("ignore %s: %w", pointer, err)
	}
	str := func(s string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
		if s == "" {
			n.Style = yaml.DoubleQuotedStyle // the core group: "" must stay a string
		}
		return n
	}
	rule := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		rule.Content = append(rule.Content, str(key), value)
	}
	add("group", str(obj.Group))
	add("kind", str(obj.Kind))
	if obj.Namespace != "" {
		add("namespace", str(obj.Namespace))
	}
	add("name", str(obj.Name))
	add("paths", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str(pointer)}})
	return rule, nil
}

// listNode returns the value of root's ignore key, adding the key
// when it is missing.
func listNode(root *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "ignore" {
			return resolve(root.Content[i+1])
		}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "ignore"}, list)
	return list
}

func encodeYAML(n *yaml.Node) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return "", fmt.Errorf("write ignore rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("write ignore rules: %w", err)
	}
	return buf.String(), nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, keeping path's permissions when it exists.
func writeFileAtomic(path string, data []byte) error {
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write ignore rules: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write ignore rules: %w", err)
	}
	return nil
}
