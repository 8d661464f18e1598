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
	"github.com/charmbracelet/x/ansi"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

// now is the fixed time of the tests, so that ages read the same each run.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testOrigin is the origin of an object declared at file:line.
func testOrigin(file string, line int) drift.Origin { return drift.Origin{File: file, Line: line} }

func ref(kind, ns, name string) drift.Ref {
	group := ""
	if kind == "Deployment" {
		group = "apps"
	}
	return drift.Ref{Group: group, Version: "v1", Kind: kind, Namespace: ns, Name: name}
}

func obj(kind, name string, fields map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name}}}
	for k, v := range fields {
		o.Object[k] = v
	}
	return o
}

// sample is a check's verdicts on a small shop.
func sample() []drift.Result {
	web := drift.Result{
		Ref: ref("Deployment", "shop", "web"), Status: drift.Drifted, Origin: testOrigin("k8s/web.yaml", 1), Mode: drift.ModeServer,
		Changes: []drift.Change{{Path: "spec.replicas", Live: int64(5), Want: int64(3), Manager: "kubectl-edit", Operation: "Update", Time: now.Add(-12 * time.Minute), Conflict: true}},
		Live:    obj("Deployment", "web", map[string]any{"spec": map[string]any{"replicas": int64(5)}}),
		Want:    obj("Deployment", "web", map[string]any{"spec": map[string]any{"replicas": int64(3)}}),
	}
	return []drift.Result{
		web,
		{Ref: ref("ConfigMap", "shop", "settings"), Status: drift.Missing, Origin: testOrigin("k8s/config.yaml", 1), Want: obj("ConfigMap", "settings", map[string]any{"data": map[string]any{"a": "1"}})},
		{Ref: ref("Service", "shop", "web"), Status: drift.InSync, Origin: testOrigin("k8s/web.yaml", 30)},
		{Ref: ref("ConfigMap", "shop", "leftover"), Status: drift.Unmanaged, Note: "no manifest declares it", Live: obj("ConfigMap", "leftover", nil)},
		{Ref: ref("Widget", "shop", "w"), Status: drift.Error, Origin: testOrigin("k8s/widget.yaml", 1), Reason: drift.ReasonNoKind, Err: errors.New(`no matches for kind "Widget"`)},
	}
}

// fakeChecker answers with fixed verdicts, and Recheck with what fresh holds.
type fakeChecker struct {
	mu      sync.Mutex
	results []drift.Result
	fresh   map[drift.Ref]drift.Result
	checks  int
}

func (f *fakeChecker) Check(ctx context.Context, found func(drift.Result, int, int)) (*drift.Report, []error) {
	f.mu.Lock()
	f.checks++
	results := f.results
	f.mu.Unlock()
	for i, r := range results {
		found(r, i+1, len(results))
	}
	return &drift.Report{Results: results}, nil
}

func (f *fakeChecker) Recheck(ctx context.Context, ref drift.Ref) (drift.Result, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.fresh[ref]
	return r, ok
}

// fakeReconciler answers each reconcile with the next of outcomes.
type fakeReconciler struct {
	mu       sync.Mutex
	outcomes []Outcome
	calls    []string
}

func (f *fakeReconciler) next(call string) Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if len(f.outcomes) == 0 {
		return Outcome{Err: errors.New("unexpected call " + call)}
	}
	out := f.outcomes[0]
	f.outcomes = f.outcomes[1:]
	return out
}

func (f *fakeReconciler) Reconcile(ctx context.Context, ref drift.Ref, opts ReconcileOptions) Outcome {
	call := fmt.Sprintf("reconcile %s force=%v recreate=%v", ref, opts.Force, opts.Recreate)
	if len(opts.LeftOut) > 0 {
		call += fmt.Sprintf(" leftOut=%v", opts.LeftOut)
	}
	return f.next(call)
}

func (f *fakeReconciler) Delete(ctx context.Context, ref drift.Ref) Outcome {
	return f.next("delete " + ref.String())
}

// loaded returns a model of size w x h with the sample check loaded.
func loaded(t *testing.T, w, h int, rec Reconciler) Model {
	t.Helper()
	m := New(t.Context(), Options{
		Checker: &fakeChecker{results: sample()}, Reconciler: rec,
		Styles: themes.Plain().Styles(), Title: "kind-shop", Now: func() time.Time { return now },
	})
	m = update(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return update(t, m, loadedMsg{rep: &drift.Report{Results: sample()}})
}

// update sends msg and runs the commands it returns to the end, as the
// program would, feeding their messages back in.
func update(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	next, cmd := m.Update(msg)
	m = next.(Model)
	for cmd != nil {
		out := cmd()
		cmd = nil
		switch out := out.(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			for _, c := range out {
				if c != nil {
					if msg := c(); msg != nil {
						m = update(t, m, msg)
					}
				}
			}
		default:
			next, cmd = m.Update(out)
			m = next.(Model)
		}
	}
	return m
}

func keys(t *testing.T, m Model, ks ...string) Model {
	t.Helper()
	for _, k := range ks {
		m = update(t, m, keyPress(k))
	}
	return m
}

func keyPress(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func screen(m Model) string { return ansi.Strip(m.View().Content) }

func assertScreen(t *testing.T, m Model, want ...string) {
	t.Helper()
	s := screen(m)
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

func TestListShowsCountsAndRowsByStatus(t *testing.T) {
	m := loaded(t, 100, 24, nil)
	assertScreen(t, m,
		"kubedrift · kind-shop · 1 in sync · 1 drifted · 1 missing · 1 unmanaged · 1 error",
		"replicas 5→3 · kubectl-edit · 12m",
	)
	lines := strings.Split(screen(m), "\n")
	var order []string
	for _, l := range lines[listTop : listTop+5] {
		order = append(order, strings.Fields(l)[0])
	}
	if got := strings.Join(order, ","); got != "error,drifted,missing,unmanaged,in" {
		t.Errorf("rows by status: %s, want errors and drift first", got)
	}
	if strings.Count(screen(m), "\n") != 23 {
		t.Errorf("the screen is %d lines, want 24", strings.Count(screen(m), "\n")+1)
	}
}

func TestFilterAndQuickFilter(t *testing.T) {
	m := loaded(t, 100, 24, nil)
	m = keys(t, m, "/", "l", "e", "f", "t")
	assertScreen(t, m, "/left", "ConfigMap shop/leftover")
	if strings.Contains(screen(m), "Deployment") {
		t.Errorf("the filter shows other objects:\n%s", screen(m))
	}
	m = keys(t, m, "esc")
	m = keys(t, m, "/", "d", "p", "w", "b", "enter") // fuzzy: Deployment shop/web
	if r, _ := m.list.selected(); r.Ref.Kind != "Deployment" || len(m.list.rows) != 1 {
		t.Errorf("fuzzy filter: %d rows, selected %v", len(m.list.rows), r.Ref)
	}
	m = keys(t, m, "esc", "f", "f") // only missing
	assertScreen(t, m, "only missing", "ConfigMap shop/settings")
	if len(m.list.rows) != 1 {
		t.Errorf("quick filter: %d rows, want 1", len(m.list.rows))
	}
}

func TestDiffViewShowsAttributionAndDiff(t *testing.T) {
	m := loaded(t, 100, 24, nil)
	m = keys(t, m, "down", "enter") // the drifted Deployment, after the error
	assertScreen(t, m,
		"drifted  Deployment.apps shop/web  k8s/web.yaml:1",
		"spec.replicas: 5 -> 3 (live value by kubectl-edit, 12m ago)",
		"-  replicas: 5",
		"+  replicas: 3",
	)
	m = keys(t, m, "esc")
	if m.view != listView {
		t.Error("esc does not go back to the list")
	}
}

// A field a person's tool owns is taken back without force, and the
// confirmation says so.
func TestConfirmNamesPersonsTool(t *testing.T) {
	m := loaded(t, 100, 24, &fakeReconciler{})
	m.opts.PersonsTool = func(manager string) (string, bool) { return "kubectl edit", manager == "kubectl-edit" }
	m = keys(t, m, "down", "a")
	assertScreen(t, m, "spec.replicas: 5 -> 3", "[taken back from kubectl edit]")
	if strings.Contains(m.View().Content, "[needs force]") {
		t.Errorf("a person's field is shown as needing force:\n%s", m.View().Content)
	}
}

func TestReconcileConflictThenForce(t *testing.T) {
	fixed := sample()[0]
	fixed.Status, fixed.Changes = drift.InSync, nil
	rec := &fakeReconciler{outcomes: []Outcome{
		{Action: ActionApply, Manager: "kubectl", Conflicts: []string{"spec.replicas (owned by kubectl-edit)"}, Err: errors.New("conflict")},
		{Action: ActionApply, Manager: "kubectl", Verdict: &fixed},
	}}
	m := loaded(t, 100, 24, rec)
	m = keys(t, m, "down", "a")
	assertScreen(t, m, "Reconcile Deployment.apps shop/web", "spec.replicas: 5 -> 3", "[needs force]", "y apply")
	m = keys(t, m, "y")
	assertScreen(t, m, "refused", "spec.replicas (owned by kubectl-edit)", "F force")
	m = keys(t, m, "F")
	if m.view != listView {
		t.Fatalf("after the reconcile the view is %v, want the list", m.view)
	}
	assertScreen(t, m, "apply Deployment.apps shop/web as kubectl: now in sync", "2 in sync · 0 drifted")
	if want := "reconcile Deployment.apps shop/web force=false recreate=false,reconcile Deployment.apps shop/web force=true recreate=false"; strings.Join(rec.calls, ",") != want {
		t.Errorf("calls %q, want %q", rec.calls, want)
	}
}

func TestReconcileCancelled(t *testing.T) {
	rec := &fakeReconciler{}
	m := loaded(t, 100, 24, rec)
	m = keys(t, m, "down", "a", "n")
	assertScreen(t, m, "reconcile cancelled")
	if len(rec.calls) > 0 {
		t.Errorf("a cancelled reconcile wrote: %v", rec.calls)
	}
}

func TestImmutableNeedsTwoConfirmations(t *testing.T) {
	rec := &fakeReconciler{outcomes: []Outcome{
		{Action: ActionApply, Immutable: true, Err: errors.New("immutable")},
		{Action: ActionRecreate, Manager: "kubedrift", Verdict: &drift.Result{Ref: ref("Deployment", "shop", "web"), Status: drift.InSync}},
	}}
	m := loaded(t, 100, 24, rec)
	m = keys(t, m, "down", "a", "y")
	assertScreen(t, m, "cannot change in place", "R delete and recreate")
	m = keys(t, m, "y") // not the key asked for: nothing happens
	m = keys(t, m, "R")
	assertScreen(t, m, "Delete Deployment.apps shop/web and create it again")
	if len(rec.calls) != 1 {
		t.Fatalf("recreated before the second confirmation: %v", rec.calls)
	}
	m = keys(t, m, "y")
	if got := rec.calls[1]; got != "reconcile Deployment.apps shop/web force=true recreate=true" {
		t.Errorf("second call %q", got)
	}
	assertScreen(t, m, "recreate Deployment.apps shop/web as kubedrift: now in sync")
}

func TestDeleteUnmanagedNeedsTheName(t *testing.T) {
	rec := &fakeReconciler{outcomes: []Outcome{{Action: ActionDelete}}}
	m := loaded(t, 100, 24, rec)
	m = keys(t, m, "down", "down", "down", "X")
	assertScreen(t, m, "Delete the unmanaged object ConfigMap shop/leftover?", "Type its name (leftover)")
	m = keys(t, m, "l", "e", "f", "t")
	lines := strings.Split(screen(m), "\n")
	if c := m.View().Cursor; c == nil || strings.TrimRight(lines[c.Y], " ") != "> left" || c.X != len("> left") {
		t.Errorf("cursor %+v, want after the name typed", c)
	}
	m = keys(t, m, "enter")
	assertScreen(t, m, "the name does not match")
	if len(rec.calls) > 0 {
		t.Fatal("deleted without the full name")
	}
	m = keys(t, m, "o", "v", "e", "r", "enter")
	if len(rec.calls) != 1 || rec.calls[0] != "delete ConfigMap shop/leftover" {
		t.Fatalf("calls %v", rec.calls)
	}
	assertScreen(t, m, "deleted ConfigMap shop/leftover")
	if strings.Contains(screen(m), "shop/leftover ") {
		t.Errorf("the deleted object is still listed:\n%s", screen(m))
	}
}

func TestReadOnlyHidesWrites(t *testing.T) {
	m := loaded(t, 100, 24, nil)
	assertScreen(t, m, "read-only")
	if strings.Contains(screen(m), "reconcile") && !strings.Contains(screen(m), "reconcile is off") {
		t.Errorf("the footer offers reconcile in read-only mode:\n%s", screen(m))
	}
	m = keys(t, m, "down", "a")
	if m.view != listView {
		t.Error("a read-only UI opened a reconcile")
	}
}

func TestLiveChangeRejudgesTheRow(t *testing.T) {
	checker := &fakeChecker{results: sample(), fresh: map[drift.Ref]drift.Result{}}
	changes := make(chan drift.Ref, 1)
	m := New(t.Context(), Options{Checker: checker, Changes: changes, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: sample()}})
	svc := ref("Service", "shop", "web")
	checker.fresh[svc] = drift.Result{Ref: svc, Status: drift.Drifted, Changes: []drift.Change{{Path: "spec.type", Live: "NodePort", Want: "ClusterIP"}}}
	changes <- svc
	close(changes) // so that listening again ends the test's command loop
	m = update(t, m, listenChanges(changes)())
	assertScreen(t, m, "0 ok · 2 drift", "type NodePort→ClusterIP")
}

func TestLoadingShowsProgressAndResultsAsTheyCome(t *testing.T) {
	m := New(t.Context(), Options{Checker: &fakeChecker{}, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	m2, _ := m.Update(resultMsg{r: sample()[0], judged: 1, total: 5})
	m = m2.(Model)
	assertScreen(t, m, "judging 1/5…", "Deployment.apps shop/web")
}

func TestHelpListsEveryKey(t *testing.T) {
	m := loaded(t, 100, 30, &fakeReconciler{})
	m = keys(t, m, "?")
	for _, group := range m.keys.all() {
		for _, b := range group {
			if h := b.Help(); h.Key != "" && !strings.Contains(screen(m), h.Desc) {
				t.Errorf("help lacks %q (%s)", h.Desc, h.Key)
			}
		}
	}
	m = keys(t, m, "x")
	if m.view != listView {
		t.Error("a key does not close the help")
	}
}

func TestDiffViewStaysOnItsObjectAcrossAReload(t *testing.T) {
	m := loaded(t, 100, 30, nil)
	m = keys(t, m, "down", "enter")
	results := sample()
	results[0].Status, results[0].Changes = drift.InSync, nil // web sorts last now
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: results}})
	assertScreen(t, m, "in sync  Deployment.apps shop/web", "in sync: a reconcile would change nothing")
}

func TestReconcileWarnsOfTheController(t *testing.T) {
	results := sample()
	results[0].Controller = &drift.Controller{Tool: "Flux", Owner: "Kustomization flux-system/apps"}
	m := New(t.Context(), Options{Checker: &fakeChecker{results: results}, Reconciler: &fakeReconciler{}, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: results}})
	m = keys(t, m, "down", "enter")
	assertScreen(t, m, "managed by Flux Kustomization flux-system/apps: it reverts a change not made in its source")
	m = keys(t, m, "a")
	assertScreen(t, m, "Managed by Flux Kustomization flux-system/apps: it reverts a change not made in its source at its next reconcile.", "y apply")
}
