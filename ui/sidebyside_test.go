package ui

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

func TestPairLines(t *testing.T) {
	lines := []string{
		"drifted  Deployment.apps shop/web",
		"",
		"--- live Deployment.apps shop/web",
		"+++ desired Deployment.apps shop/web",
		"@@ -1,6 +1,6 @@",
		" spec:",
		"-  replicas: 5",
		"-  paused: true",
		"+  replicas: 3",
		"   template:",
		"+    added: x",
		"-    gone: y",
		"@@ -20 +20 @@",
		"-last: 1",
		"+last: 2",
		`\ No newline at end of file`,
	}
	rows, hunks := pairLines(lines, 2)
	want := []pairRow{
		{kind: rowText, left: "drifted  Deployment.apps shop/web"},
		{kind: rowText, left: ""},
		{kind: rowHeader, left: "--- live Deployment.apps shop/web", right: "+++ desired Deployment.apps shop/web"},
		{kind: rowHunk, left: "@@ -1,6 +1,6 @@"},
		{kind: rowPair, left: " spec:", right: " spec:"},
		{kind: rowPair, left: "-  replicas: 5", right: "+  replicas: 3"},
		{kind: rowPair, left: "-  paused: true"},
		{kind: rowPair, left: "   template:", right: "   template:"},
		{kind: rowPair, right: "+    added: x"},
		{kind: rowPair, left: "-    gone: y"},
		{kind: rowHunk, left: "@@ -20 +20 @@"},
		{kind: rowPair, left: "-last: 1", right: "+last: 2"},
		{kind: rowText, left: `\ No newline at end of file`},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n%#v\nwant\n%#v", rows, want)
	}
	if !reflect.DeepEqual(hunks, []int{3, 10}) {
		t.Errorf("hunks %v, want [3 10]", hunks)
	}
}

func TestSideBySideToggle(t *testing.T) {
	m := loaded(t, 80, 24, nil)
	m = keys(t, m, "down", "enter", "v")
	assertScreen(t, m, "side by side needs a terminal 100 columns wide; this one has 80", "-  replicas: 5")

	m = loaded(t, 120, 30, nil)
	m = keys(t, m, "down", "enter", "v")
	var row string
	for _, line := range strings.Split(screen(m), "\n") {
		if strings.Contains(line, "replicas: 5") {
			row = line
		}
	}
	left, right, ok := strings.Cut(row, " │ ")
	if !ok || !strings.HasPrefix(left, "-  replicas: 5") || !strings.HasPrefix(right, "+  replicas: 3") {
		t.Errorf("want live and desired replicas on one row, got %q", row)
	}
	if lipgloss.Width(left) != (120-3)/2 {
		t.Errorf("left column %d cells wide, want %d", lipgloss.Width(left), (120-3)/2)
	}

	// The choice stays for the next object, and v turns it off.
	m = keys(t, m, "esc", "down", "enter")
	assertScreen(t, m, " │ ")
	m = keys(t, m, "v")
	if strings.Contains(screen(m), " │ ") {
		t.Error("v did not go back to the unified diff")
	}
}

// markStyles mark each YAML role, so that a test can read the colouring
// without colours.
func markStyles() themes.Styles {
	mark := func(name string) lipgloss.Style {
		return lipgloss.NewStyle().Transform(func(s string) string { return "<" + name + ">" + s + "</>" })
	}
	s := themes.Plain().Styles()
	s.YAMLKey, s.YAMLString, s.YAMLNumber = mark("k"), mark("s"), mark("n")
	s.YAMLComment, s.YAMLPunctuation = mark("c"), mark("p")
	return s
}

func TestYAMLLine(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"key and string", "   image: nginx:1.27", "   <k>image</><p>:</> <s>nginx:1.27</>"},
		{"key only", " spec:", " <k>spec</><p>:</>"},
		{"number", "   replicas: 3", "   <k>replicas</><p>:</> <n>3</>"},
		{"boolean", "   paused: false", "   <k>paused</><p>:</> <n>false</>"},
		{"null", "   x: null", "   <k>x</><p>:</> <n>null</>"},
		{"quoted number is a string", `   port: "80"`, `   <k>port</><p>:</> <s>"80"</>`},
		{"list item with key", "   - name: web", "   <p>-</> <k>name</><p>:</> <s>web</>"},
		{"nested dashes", " - - a", " <p>-</> <p>-</> <s>a</>"},
		{"scalar item", "   - --verbose", "   <p>-</> <s>--verbose</>"},
		{"empty map", "   labels: {}", "   <k>labels</><p>:</> <p>{}</>"},
		{"block scalar", "   script: |", "   <k>script</><p>:</> <p>|</>"},
		{"quoted key", `   "a: b": c`, `   <k>"a: b"</><p>:</> <s>c</>`},
		{"url value", "   url: http://x", "   <k>url</><p>:</> <s>http://x</>"},
		{"comment", "   # note", "   <c># note</>"},
		{"flow map", "   {a: 1}", "   <s>{a: 1}</>"},
		{"masked secret", "   password: '*** (7 bytes)'", "   <k>password</><p>:</> <s>'*** (7 bytes)'</>"},
	}
	m := New(t.Context(), Options{Checker: &fakeChecker{}, Styles: markStyles()})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.yamlLine(tt.line); got != tt.want {
				t.Errorf("yamlLine(%q)\n got %s\nwant %s", tt.line, got, tt.want)
			}
		})
	}
}

func TestLargeDiffIsWrittenInTheBackground(t *testing.T) {
	data := map[string]any{}
	for i := range 5000 {
		data[fmt.Sprintf("key-%04d", i)] = strings.Repeat("x", 100)
	}
	live := obj("ConfigMap", "big", map[string]any{"data": data})
	want := live.DeepCopy()
	want.Object["data"].(map[string]any)["key-2500"] = "changed"
	big := drift.Result{Ref: ref("ConfigMap", "shop", "big"), Status: drift.Drifted, Live: live, Want: want}
	m := New(t.Context(), Options{Checker: &fakeChecker{}, Styles: themes.Plain().Styles()})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: []drift.Result{big}}})

	next, cmd := m.Update(keyPress("enter"))
	m = next.(Model)
	assertScreen(t, m, "drifted  ConfigMap shop/big", "writing the diff of a large object…")
	if cmd == nil {
		t.Fatal("no command writes the diff")
	}
	written := cmd()

	// A newer verdict arrives before the old diff is written: the old one
	// is not shown in its view.
	stale := written.(diffWrittenMsg)
	next, _ = m.Update(recheckedMsg{ref: big.Ref, r: big, ok: true})
	m = next.(Model)
	next, _ = m.Update(stale)
	if strings.Contains(screen(next.(Model)), "+  key-2500: changed") {
		t.Error("a diff written for an older view was shown")
	}

	m = update(t, m, recheckedMsg{ref: big.Ref, r: big, ok: true})
	assertScreen(t, m, "@@ ", "+  key-2500: changed")
}
