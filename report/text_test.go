package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

func configMap(data map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "settings", "namespace": "shop"},
		"data":       data,
	}}
}

func TestText(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cm := drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"}
	deploy := drift.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	widget := drift.Ref{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "shop", Name: "w"}
	rep := &drift.Report{Results: []drift.Result{
		{Ref: cm, Status: drift.Drifted, Origin: sources.Origin{File: "k8s/config.yaml", Line: 4},
			Live: configMap(map[string]any{"level": "debug"}), Want: configMap(map[string]any{"level": "info"}),
			Changes: []drift.Change{{Path: "data.level", Live: "debug", Want: "info",
				Manager: "kubectl-edit", Operation: "Update", Time: now.Add(-12 * time.Minute)}}},
		{Ref: deploy, Status: drift.InSync, Origin: sources.Origin{File: "k8s/web.yaml", Line: 1}},
		{Ref: widget, Status: drift.Error, Origin: sources.Origin{File: "k8s/widget.yaml", Line: 1},
			Reason: drift.ReasonNoKind, Err: errors.New(`no matches for kind "Widget" in version "example.com/v1"`)},
	}}
	inputErrs := []error{&sources.Error{Origin: sources.Origin{File: "k8s/bad.yaml", Line: 7}, Err: errors.New("invalid YAML: did not find expected key")}}

	var b strings.Builder
	if err := Write(&b, FormatText, rep, inputErrs, Options{DiffContext: DefaultDiffContext, Now: now}); err != nil {
		t.Fatal(err)
	}
	want := `3 objects: 1 in sync, 1 drifted, 0 missing, 2 errors (1 in the input, whose objects were not judged)

drifted   ConfigMap shop/settings    k8s/config.yaml:4
    data.level: "debug" -> "info" (live value by kubectl-edit, 12m ago)
    --- live ConfigMap shop/settings
    +++ desired ConfigMap shop/settings
    @@ -1,6 +1,6 @@
     apiVersion: v1
     data:
    -  level: debug
    +  level: info
     kind: ConfigMap
     metadata:
       name: settings
in sync   Deployment.apps shop/web   k8s/web.yaml:1
error     Widget.example.com shop/w  k8s/widget.yaml:1
    NoKind: no matches for kind "Widget" in version "example.com/v1"
error     k8s/bad.yaml:7: invalid YAML: did not find expected key
`
	if got := b.String(); got != want {
		t.Errorf("Text wrote\n%s\nwant\n%s", got, want)
	}
}

func TestSummary(t *testing.T) {
	for _, tt := range []struct {
		name      string
		statuses  []drift.Status
		inputErrs int
		want      string
	}{
		{"nothing", nil, 0, "0 objects: 0 in sync, 0 drifted, 0 missing, 0 errors"},
		{"one of each", []drift.Status{drift.InSync, drift.Drifted, drift.Missing, drift.Error}, 0,
			"4 objects: 1 in sync, 1 drifted, 1 missing, 1 error"},
		{"input error only", nil, 1, "0 objects: 0 in sync, 0 drifted, 0 missing, 1 error (1 in the input, whose objects were not judged)"},
		// The objects an input error hides are in none of the counts: the
		// summary must not read as all in sync.
		{"in sync but for the input", []drift.Status{drift.InSync, drift.Error}, 2,
			"2 objects: 1 in sync, 0 drifted, 0 missing, 3 errors (2 in the input, whose objects were not judged)"},
		{"one object", []drift.Status{drift.InSync}, 0, "1 object: 1 in sync, 0 drifted, 0 missing, 0 errors"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := &drift.Report{}
			for _, s := range tt.statuses {
				rep.Results = append(rep.Results, drift.Result{Status: s})
			}
			if got := Summary(rep, make([]error, tt.inputErrs)); got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
		})
	}
}
