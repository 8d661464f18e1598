package drift

import (
	"fmt"
	"strconv"
	"strings"
)

// segKind tells what a pathSeg selects.
type segKind int

const (
	segField segKind = iota // a map key
	segIndex                // a list element by index
	segKey                  // a list element by its merge key
)

// pathSeg is one step of a Change's path.
type pathSeg struct {
	kind  segKind
	field string
	index int
	keys  []keyValue
}

// keyValue is one field of a merge key and its value, as keyText renders it.
type keyValue struct {
	name, text string
}

// formatPath renders segs as a Change.Path.
func formatPath(segs []pathSeg) string {
	var b strings.Builder
	for i, s := range segs {
		switch s.kind {
		case segField:
			if !isIdentifier(s.field) {
				b.WriteString("[" + strconv.Quote(s.field) + "]")
				continue
			}
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.field)
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case segKey:
			b.WriteByte('[')
			for j, kv := range s.keys {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(kv.name + "=")
				if isBareKeyText(kv.text) {
					b.WriteString(kv.text)
				} else {
					b.WriteString(strconv.Quote(kv.text))
				}
			}
			b.WriteByte(']')
		}
	}
	return b.String()
}

// isIdentifier reports whether a map key can follow a dot in a path.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && '0' <= r && r <= '9':
		default:
			return false
		}
	}
	return true
}

// isBareKeyText reports whether a key value can be written without quotes:
// names, numbers, paths and addresses can.
func isBareKeyText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune("_.-/:", r):
		default:
			return false
		}
	}
	return true
}

// parsePath reads a Change.Path back into its segments.
func parsePath(path string) ([]pathSeg, error) {
	var segs []pathSeg
	rest := path
	for first := true; rest != ""; first = false {
		switch {
		case rest[0] == '[':
			seg, n, err := parseBracket(rest)
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", path, err)
			}
			segs = append(segs, seg)
			rest = rest[n:]
		case rest[0] == '.' || first:
			if !first {
				rest = rest[1:]
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if !isIdentifier(rest[:end]) {
				return nil, fmt.Errorf("path %q: %q is not a field name", path, rest[:end])
			}
			segs = append(segs, pathSeg{kind: segField, field: rest[:end]})
			rest = rest[end:]
		default:
			return nil, fmt.Errorf("path %q: unexpected %q", path, rest)
		}
	}
	return segs, nil
}

// parseBracket reads one [...] segment at the start of s and returns it with
// the number of bytes it took.
func parseBracket(s string) (pathSeg, int, error) {
	i := 1
	if i < len(s) && s[i] == '"' {
		text, n, err := readQuoted(s[i:])
		if err != nil {
			return pathSeg{}, 0, err
		}
		i += n
		if i >= len(s) || s[i] != ']' {
			return pathSeg{}, 0, fmt.Errorf("no ] after %s", s[1:i])
		}
		return pathSeg{kind: segField, field: text}, i + 1, nil
	}
	end := strings.IndexAny(s, "=]")
	if end < 0 {
		return pathSeg{}, 0, fmt.Errorf("unclosed [ in %q", s)
	}
	if s[end] == ']' {
		index, err := strconv.Atoi(s[1:end])
		if err != nil || index < 0 {
			return pathSeg{}, 0, fmt.Errorf("bad index %q", s[1:end])
		}
		return pathSeg{kind: segIndex, index: index}, end + 1, nil
	}
	seg := pathSeg{kind: segKey}
	for {
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return pathSeg{}, 0, fmt.Errorf("no = in key %q", s[i:])
		}
		kv := keyValue{name: s[i : i+eq]}
		i += eq + 1
		if i < len(s) && s[i] == '"' {
			text, n, err := readQuoted(s[i:])
			if err != nil {
				return pathSeg{}, 0, err
			}
			kv.text = text
			i += n
		} else {
			end := strings.IndexAny(s[i:], ",]")
			if end < 0 {
				return pathSeg{}, 0, fmt.Errorf("unclosed [ in %q", s)
			}
			kv.text = s[i : i+end]
			i += end
		}
		seg.keys = append(seg.keys, kv)
		if i >= len(s) {
			return pathSeg{}, 0, fmt.Errorf("unclosed [ in %q", s)
		}
		i++
		if s[i-1] == ']' {
			return seg, i, nil
		}
		if s[i-1] != ',' {
			return pathSeg{}, 0, fmt.Errorf("unexpected %q in key", s[i-1])
		}
	}
}

// readQuoted reads the Go-quoted string at the start of s and returns its
// text and the number of bytes it took.
func readQuoted(s string) (string, int, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			text, err := strconv.Unquote(s[:i+1])
			return text, i + 1, err
		}
	}
	return "", 0, fmt.Errorf("unterminated string %q", s)
}
