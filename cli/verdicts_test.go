package cli

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
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
	l := &watchLoop{resync: time.Minute}
	var got []time.Duration
	for _, reached := range []bool{false, false, false, false, false, true, false} {
		got = append(got, l.next(reached))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// TestEventLogLines writes a verdict that changed in both formats.
func TestEventLogLines(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 6e6, time.UTC)
	r := result(drift.Drifted)
	r.Changes = []drift.Change{{Path: "spec.replicas", Pointer: "/spec/replicas", Live: int64(5), Want: int64(3), Manager: "kubectl", Time: now.Add(-time.Minute)}}
	r.Origin = sources.Origin{File: "k8s/web.yaml", Line: 2}
	r.Mode = drift.ModeServer

	var text bytes.Buffer
	l := newEventLog(&text, false)
	l.now = func() time.Time { return now }
	l.verdict(&r, drift.InSync, false)
	l.verdict(&drift.Result{Ref: webRef, Status: drift.Missing}, 0, true)
	want := "2026-01-02T15:04:05.006Z  drifted    Deployment.apps shop/web  k8s/web.yaml:2  (was in sync)  spec.replicas: 5 -> 3 (live value by kubectl, 60s ago)\n" +
		"2026-01-02T15:04:05.006Z  missing    Deployment.apps shop/web  not in the cluster\n"
	if text.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", text.String(), want)
	}

	var lines bytes.Buffer
	l = newEventLog(&lines, true)
	l.now = func() time.Time { return now }
	l.verdict(&r, drift.InSync, false)
	var got map[string]any
	if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, lines.String())
	}
	for key, want := range map[string]any{
		"time": "2026-01-02T15:04:05.006Z", "event": "verdict", "status": "Drifted", "previousStatus": "InSync",
		"object": "Deployment.apps shop/web", "mode": "server",
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if changes, _ := got["changes"].([]any); len(changes) != 1 || changes[0].(map[string]any)["path"] != "spec.replicas" {
		t.Errorf("changes = %v", got["changes"])
	}
	if origin, _ := got["origin"].(map[string]any); origin["file"] != "k8s/web.yaml" {
		t.Errorf("origin = %v", got["origin"])
	}
	if _, ok := got["diff"]; ok {
		t.Error("a log line carries the diff")
	}
	if strings.Count(lines.String(), "\n") != 1 {
		t.Errorf("not one line:\n%s", lines.String())
	}
}
