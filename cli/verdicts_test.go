package cli

import (
	"bytes"
	"encoding/json"
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
