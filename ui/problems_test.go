package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

// unreachableChecker reaches no cluster until up is set.
type unreachableChecker struct {
	mu     sync.Mutex
	up     bool
	checks int
}

func (c *unreachableChecker) Check(ctx context.Context, found func(drift.Result, int, int)) (*drift.Report, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks++
	if !c.up {
		return nil, []error{
			errors.New("k8s/bad.yaml:3: mapping values are not allowed in this context"),
			fmt.Errorf("%w at https://127.0.0.1:1 (check --kubeconfig and --context): connection refused", drift.ErrUnreachable),
		}
	}
	return &drift.Report{Results: sample()}, nil
}

func (c *unreachableChecker) Recheck(context.Context, drift.Ref) (drift.Result, bool) {
	return drift.Result{}, false
}

// checkOnce sends the result of m's check, without running the retry timer
// it starts.
func checkOnce(t *testing.T, m Model, c *unreachableChecker) (Model, tea.Cmd) {
	t.Helper()
	rep, errs := c.Check(t.Context(), nil)
	next, cmd := m.Update(loadedMsg{rep: rep, errs: errs})
	return next.(Model), cmd
}

func TestUnreachableClusterIsShownAndRetried(t *testing.T) {
	c := &unreachableChecker{}
	m := New(t.Context(), Options{Checker: c, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m, retry := checkOnce(t, m, c)
	assertScreen(t, m,
		"Nothing could be judged.",
		"k8s/bad.yaml:3: mapping values",
		"cannot reach the cluster at https://127.0.0.1:1",
		"tries again every 5s; r tries now",
		"2 problem(s), e shows them")
	if retry == nil {
		t.Fatal("no retry scheduled after a check that reached no cluster")
	}

	// The retry timer fires: the cluster is up now, and the UI judges.
	c.mu.Lock()
	c.up = true
	c.mu.Unlock()
	m = update(t, m, retryMsg{})
	assertScreen(t, m, "Deployment.apps shop/web", "1 drift")
	if len(m.inputErrs) != 0 {
		t.Errorf("problems %v left after a good check", m.inputErrs)
	}
	if c.checks != 2 {
		t.Errorf("%d checks, want 2", c.checks)
	}
}

func TestRetryWaitsForAReloadUnderWay(t *testing.T) {
	c := &unreachableChecker{}
	m := New(t.Context(), Options{Checker: c, Styles: themes.Plain().Styles()})
	m, _ = checkOnce(t, m, c)
	m.loading = true // the user pressed r meanwhile
	if _, cmd := m.Update(retryMsg{}); cmd != nil || c.checks != 1 {
		t.Errorf("a retry during a reload started another check (%d checks)", c.checks)
	}
}

func TestProblemsView(t *testing.T) {
	m := loaded(t, 80, 24, nil)
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: sample()}, errs: []error{
		errors.New("k8s/bad.yaml:3: mapping values are not allowed in this context"),
		errors.New("k8s/other.yaml:1: unknown apiVersion"),
	}})
	assertScreen(t, m, "Deployment.apps shop/web", "2 problem(s), e shows them: k8s/bad.yaml:3")
	m = keys(t, m, "e")
	assertScreen(t, m, "2 problem(s) with the input", "k8s/other.yaml:1: unknown apiVersion", "Fix the files named above")
	m = keys(t, m, "x")
	if m.view != listView {
		t.Errorf("view %v, want the list after any key", m.view)
	}
}

func TestDefaultThemeFollowsTheTerminalBackground(t *testing.T) {
	dark, _ := themes.Builtin("dark")
	light, _ := themes.Builtin("light")
	var asked []bool
	m := New(t.Context(), Options{
		Checker: &fakeChecker{}, Styles: dark.Styles(),
		Restyle: func(isDark bool) themes.Styles {
			asked = append(asked, isDark)
			if isDark {
				return dark.Styles()
			}
			return light.Styles()
		},
	})
	m = update(t, m, tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")})
	if len(asked) != 1 || asked[0] {
		t.Fatalf("asked for %v, want one light restyle", asked)
	}
	if m.opts.Styles.DiffAdd.GetForeground() != light.Styles().DiffAdd.GetForeground() {
		t.Error("a light background left the dark styles")
	}

	// A theme the user named stays.
	m = New(t.Context(), Options{Checker: &fakeChecker{}, Styles: dark.Styles()})
	m = update(t, m, tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")})
	if m.opts.Styles.DiffAdd.GetForeground() != dark.Styles().DiffAdd.GetForeground() {
		t.Error("a named theme changed with the background")
	}
}

func TestReconnectJudgesAgain(t *testing.T) {
	checker := &fakeChecker{results: sample()}
	errs, reconnects := make(chan error, 1), make(chan struct{}, 1)
	m := New(t.Context(), Options{Checker: checker, Errors: errs, Reconnects: reconnects, Styles: themes.Plain().Styles()})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: sample()}})

	errs <- errors.New("lost the cluster (kubedrift reconnects by itself): watch Deployment.apps in shop: connection refused")
	close(errs)
	m = update(t, m, listenErrors(errs)())
	assertScreen(t, m, "live updates: lost the cluster (kubedrift reconnects by itself)")

	before := checker.checks
	reconnects <- struct{}{}
	close(reconnects)
	m = update(t, m, listenReconnects(reconnects)())
	if checker.checks != before+1 {
		t.Errorf("%d checks after reconnecting, want %d", checker.checks, before+1)
	}
	if strings.Contains(screen(m), "lost the cluster") {
		t.Errorf("the screen still says the cluster is lost:\n%s", screen(m))
	}
}
