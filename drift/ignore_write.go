package drift

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// IgnoreRuleYAML returns the rule that ignores the field at pointer (a JSON
// pointer, such as Change.Pointer) of the object ref, as the item of a rule
// file's ignore list: what AddIgnoreRule appends, for a person to read first.
func IgnoreRuleYAML(ref Ref, pointer string) (string, error) {
	node, err := ignoreRuleNode(ref, pointer)
	if err != nil {
		return "", err
	}
	list := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}}
	return encodeIgnoreYAML(list)
}

// AddIgnoreRule appends the rule IgnoreRuleYAML describes to the rule file
// at path, creating the file when there is none. The rules already there,
// and their comments, are kept; a file that does not parse is left as it
// is, with its error, rather than rewritten. The file is replaced in one
// rename, so a reader never sees half of it.
func AddIgnoreRule(path string, ref Ref, pointer string) error {
	rule, err := ignoreRuleNode(ref, pointer)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read ignore rules: %w", err)
	}
	if _, err := ParseIgnoreRules(path, data); err != nil {
		return fmt.Errorf("%w (fix the file before adding a rule to it)", err)
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err) // ParseIgnoreRules accepted it: unlikely
	}
	if len(doc.Content) == 0 || ignoreIsNull(doc.Content[0]) {
		doc = yaml.Node{Kind: yaml.DocumentNode, HeadComment: doc.HeadComment, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := ignoreResolve(doc.Content[0])
	list := ignoreListNode(root)
	list.Kind, list.Tag, list.Value, list.Style = yaml.SequenceNode, "!!seq", "", 0
	list.Content = append(list.Content, rule)

	out, err := encodeIgnoreYAML(&doc)
	if err != nil {
		return err
	}
	if _, err := ParseIgnoreRules(path, []byte(out)); err != nil {
		return fmt.Errorf("the new rule file would not parse: %w", err)
	}
	return writeFileAtomic(path, []byte(out))
}

// ignoreRuleNode builds one rule: the object's selectors and the pointer.
func ignoreRuleNode(ref Ref, pointer string) (*yaml.Node, error) {
	if _, err := parseIgnorePointer(pointer); err != nil {
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
	add("group", str(ref.Group))
	add("kind", str(ref.Kind))
	if ref.Namespace != "" {
		add("namespace", str(ref.Namespace))
	}
	add("name", str(ref.Name))
	add("paths", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str(pointer)}})
	return rule, nil
}

// ignoreListNode returns the value of root's ignore key, adding the key
// when it is missing.
func ignoreListNode(root *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "ignore" {
			return ignoreResolve(root.Content[i+1])
		}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "ignore"}, list)
	return list
}

func encodeIgnoreYAML(n *yaml.Node) (string, error) {
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
