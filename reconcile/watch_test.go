package reconcile

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/drift"
)

var webRef = drift.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}

func result(status drift.Status, paths ...string) drift.Result {
	r := drift.Result{Ref: webRef, Status: status}
	for _, p := range paths {
		r.Changes = append(r.Changes, drift.Change{Path: p})
	}
	return r
}

// TestVerdictChanges follows one object through a sequence of verdicts:
// each step says whether watch logs it and whether it counts as a drift
// event.
func TestVerdictChanges(t *testing.T) {
	v := newVerdicts()
	for _, step := range []struct {
		name        string
		result      drift.Result
		changed     bool
		driftEvent  bool
		previous    drift.Status
		first       bool
		wantDrifted int
	}{
		{"first verdict", result(drift.InSync), true, false, drift.InSync, true, 0},
		{"the same again", result(drift.InSync), false, false, drift.InSync, false, 0},
		{"scaled", result(drift.Drifted, "spec.replicas"), true, true, drift.InSync, false, 1},
		{"scaled further: the same field", result(drift.Drifted, "spec.replicas"), false, false, drift.Drifted, false, 1},
		{"and an image", result(drift.Drifted, "spec.template.spec.containers[name=web].image", "spec.replicas"), true, false, drift.Drifted, false, 1},
		{"the same fields in another order", result(drift.Drifted, "spec.replicas", "spec.template.spec.containers[name=web].image"), false, false, drift.Drifted, false, 1},
		{"deleted", result(drift.Missing), true, true, drift.Drifted, false, 0},
		{"cluster gone", drift.Result{Ref: webRef, Status: drift.Error, Reason: drift.ReasonUnreachable}, true, false, drift.Missing, false, 0},
		{"another reason", drift.Result{Ref: webRef, Status: drift.Error, Reason: drift.ReasonForbidden}, true, false, drift.Error, false, 0},
		{"back, still missing", result(drift.Missing), true, true, drift.Error, false, 0},
		{"created again", result(drift.InSync), true, false, drift.Missing, false, 0},
	} {
		c := v.record(&step.result)
		if c.Changed != step.changed || c.driftEvent(step.result.Status) != step.driftEvent || c.First != step.first ||
			(!c.First && c.Previous != step.previous) {
			t.Errorf("%s: changed %t, drift event %t, first %t, previous %s; want %t, %t, %t, %s", step.name,
				c.Changed, c.driftEvent(step.result.Status), c.First, c.Previous, step.changed, step.driftEvent, step.first, step.previous)
		}
		if got := v.counts()[drift.Drifted]; got != step.wantDrifted {
			t.Errorf("%s: %d drifted, want %d", step.name, got, step.wantDrifted)
		}
	}
}

func TestVerdictsKeepOnly(t *testing.T) {
	v := newVerdicts()
	api := webRef
	api.Name = "api"
	drifted := result(drift.Drifted, "spec.replicas")
	inSync := drift.Result{Ref: api, Status: drift.InSync}
	v.record(&drifted)
	v.record(&inSync)

	v.keepOnly([]drift.Result{inSync}) // web's manifest is gone
	if c := v.counts(); c[drift.Drifted] != 0 || c[drift.InSync] != 1 {
		t.Errorf("counts after web was dropped: %v", c)
	}
	if c := v.record(&drifted); !c.First {
		t.Error("web came back, but was not forgotten")
	}
}

func TestDrain(t *testing.T) {
	api := webRef
	api.Name = "api"
	ch := make(chan drift.Ref, 4)
	ch <- api
	ch <- webRef
	ch <- api
	got := drain(ch, webRef)
	if len(got) != 2 || got[0] != webRef || got[1] != api {
		t.Errorf("drain = %v, want web then api, each once", got)
	}
	if len(ch) != 0 {
		t.Errorf("%d refs left on the channel", len(ch))
	}
}

func TestCheckRetries(t *testing.T) {
	w := &Watch{Resync: time.Minute}
	var got []time.Duration
	for _, reached := range []bool{false, false, false, false, false, true, false} {
		got = append(got, w.next(reached))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// fakeJudge judges from a script: each CheckAll gives the next report, and
// each Recheck the verdict rechecks holds for the object.
type fakeJudge struct {
	reports    []*drift.Report
	rechecks   map[drift.Ref]drift.Result
	changes    chan drift.Ref
	reconnects chan struct{}
}

func (j *fakeJudge) CheckAll(context.Context) (*drift.Report, []error, error) {
	rep := j.reports[0]
	if len(j.reports) > 1 {
		j.reports = j.reports[1:]
	}
	return rep, nil, nil
}
func (j *fakeJudge) Recheck(_ context.Context, ref drift.Ref) (drift.Result, bool) {
	r, ok := j.rechecks[ref]
	return r, ok
}
func (j *fakeJudge) Changes() <-chan drift.Ref   { return j.changes }
func (j *fakeJudge) Errors() <-chan error        { return nil }
func (j *fakeJudge) Reconnects() <-chan struct{} { return j.reconnects }

// fakeObserver writes what it is told as lines, to a channel.
type fakeObserver struct{ lines chan string }

func (o fakeObserver) Verdict(r *drift.Result, prev drift.Status, first bool) {
	o.lines <- fmt.Sprintf("verdict %s %s (was %s, first %t)", r.Ref.Name, r.Status, prev, first)
}
func (o fakeObserver) DriftEvent() { o.lines <- "drift event" }
func (o fakeObserver) Counts(c map[drift.Status]int) {
	o.lines <- fmt.Sprintf("counts %d in sync, %d drifted", c[drift.InSync], c[drift.Drifted])
}
func (o fakeObserver) Checked(rep *drift.Report, _ []error) {
	o.lines <- fmt.Sprintf("checked %d", len(rep.Results))
}
func (o fakeObserver) Reached()          { o.lines <- "reached" }
func (o fakeObserver) Problem(err error) { o.lines <- "problem " + err.Error() }
func (o fakeObserver) Info(msg string)   { o.lines <- "info " + msg }

// TestWatchTellsWhatChanged: the first check's in-sync verdict is not
// told, a recheck that finds drift is, with a drift event and the counts;
// a recheck that finds the same is not; a reconnect judges everything
// again.
func TestWatchTellsWhatChanged(t *testing.T) {
	inSync, drifted := result(drift.InSync), result(drift.Drifted, "spec.replicas")
	j := &fakeJudge{
		reports:    []*drift.Report{{Results: []drift.Result{inSync}}},
		rechecks:   map[drift.Ref]drift.Result{webRef: drifted},
		changes:    make(chan drift.Ref, 1),
		reconnects: make(chan struct{}, 1),
	}
	o := fakeObserver{lines: make(chan string, 100)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- (&Watch{Judge: j, Observer: o, Resync: time.Hour}).Run(ctx) }()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-o.lines:
			if got != want {
				t.Fatalf("told %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("told nothing, want %q", want)
		}
	}
	next("counts 1 in sync, 0 drifted")
	next("checked 1")
	next("reached")
	j.changes <- webRef
	next("drift event")
	next("verdict web drifted (was in sync, first false)")
	next("counts 0 in sync, 1 drifted")
	j.reconnects <- struct{}{}
	next("info the cluster answers again: judging everything again")
	next("verdict web in sync (was drifted, first false)")
	next("counts 1 in sync, 0 drifted")
	next("checked 1")
	next("reached")
	cancel()
	next("info stopped")
	if err := <-done; err != nil {
		t.Errorf("Run returned %v when stopped, want nil", err)
	}
}
