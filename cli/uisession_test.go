package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/themes"
	"github.com/kubedrift/kubedrift/ui"
)

// uiOptions returns the options the UI opens with for args, with the
// kubeconfig content kubeconfig, plain styles, and its cache and write log
// in the test's directories.
func uiOptions(t *testing.T, ctx context.Context, kubeconfig []byte, args ...string) ui.Options {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: os.Stdout, ErrOut: os.Stderr}
	opts, closeLog, err := cli.UIOptions(ctx, append([]string{"--kubeconfig", path, "--cache-dir", filepath.Join(dir, "cache"),
		"--log-file", filepath.Join(dir, "log")}, args...), streams)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeLog)
	opts.Styles = themes.Plain().Styles()
	return opts
}

// uiSession is the real program running on a screen the test reads.
type uiSession struct {
	t       *testing.T
	program *tea.Program
	mu      sync.Mutex
	last    string
}

// runUI runs the UI's program with opts until the test ends.
func runUI(t *testing.T, ctx context.Context, opts ui.Options) *uiSession {
	s := &uiSession{t: t}
	p := tea.NewProgram(screenRecorder{ui.New(ctx, opts), &s.mu, &s.last},
		tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(discard{}), tea.WithWindowSize(120, 30))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	t.Cleanup(func() {
		p.Quit()
		<-done
	})
	s.program = p
	return s
}

func (s *uiSession) screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// wait waits until the screen shows every one of want.
func (s *uiSession) wait(want ...string) {
	s.t.Helper()
	s.waitFunc(strings.Join(want, " and "), func(screen string) bool {
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return false
			}
		}
		return true
	})
}

// waitFunc waits until ok holds for the screen; what says what it waits for.
func (s *uiSession) waitFunc(what string, ok func(screen string) bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(s.screen()) {
		if time.Now().After(deadline) {
			s.t.Fatalf("waited 30s for %s; the screen:\n%s", what, s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// press sends keys to the program: "enter", "esc", or one character each.
func (s *uiSession) press(keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			s.program.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			s.program.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
		default:
			s.program.Send(tea.KeyPressMsg{Code: []rune(k)[0], Text: k})
		}
	}
}
