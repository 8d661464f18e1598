package ui

import (
	"strconv"
	"strings"
)

// yamlLine colours one line of YAML, as a diff's context line holds it
// (after its one-character sign): list dashes and colons as punctuation,
// the key, and the value as a string or as another scalar (number,
// boolean, null). It reads a line at a time, which is all a diff gives,
// so a block scalar's continuation lines are coloured as plain values.
func (m Model) yamlLine(line string) string {
	s := m.opts.Styles
	var b strings.Builder
	rest := line
	if strings.HasPrefix(rest, " ") {
		b.WriteString(" ") // the diff's sign
		rest = rest[1:]
	}
	indent := len(rest) - len(strings.TrimLeft(rest, " "))
	b.WriteString(rest[:indent])
	rest = rest[indent:]
	for strings.HasPrefix(rest, "- ") || rest == "-" {
		b.WriteString(s.YAMLPunctuation.Render("-"))
		if rest = rest[1:]; rest != "" {
			b.WriteString(" ")
			rest = rest[1:]
		}
	}
	if strings.HasPrefix(rest, "#") {
		b.WriteString(s.YAMLComment.Render(rest))
		return b.String()
	}
	if k, v, ok := cutYAMLKey(rest); ok {
		b.WriteString(s.YAMLKey.Render(k))
		b.WriteString(s.YAMLPunctuation.Render(":"))
		if v != "" {
			b.WriteString(" ")
			b.WriteString(m.yamlValue(v))
		}
		return b.String()
	}
	if rest != "" {
		b.WriteString(m.yamlValue(rest))
	}
	return b.String()
}

// cutYAMLKey splits "key: value" or "key:" into the key and the value,
// skipping over a quoted key.
func cutYAMLKey(s string) (key, value string, ok bool) {
	from := 0
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", false
		}
		from = end + 2
	}
	i := strings.Index(s[from:], ": ")
	if i < 0 {
		if strings.HasSuffix(s, ":") && !strings.ContainsAny(s[from:len(s)-1], " ") {
			return s[:len(s)-1], "", true
		}
		return "", "", false
	}
	if from == 0 && strings.ContainsAny(s[:i], "{[") {
		return "", "", false // a flow collection's ": " is inside the value
	}
	return s[:from+i], s[from+i+2:], true
}

// yamlValue colours a scalar, or the punctuation of an empty collection or
// a block scalar's indicator.
func (m Model) yamlValue(v string) string {
	s := m.opts.Styles
	switch {
	case v == "{}", v == "[]", v == "|", v == "|-", v == "|+", v == ">", v == ">-", v == ">+":
		return s.YAMLPunctuation.Render(v)
	case v[0] == '"', v[0] == '\'':
		return s.YAMLString.Render(v)
	case v == "null", v == "~", v == "true", v == "false":
		return s.YAMLNumber.Render(v)
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return s.YAMLNumber.Render(v)
	}
	return s.YAMLString.Render(v)
}
