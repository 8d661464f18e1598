package reconcile

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubedrift/kubedrift/drift"
)

// TestAutoSelects: the live object's labels decide, and for a
// missing object the desired one's.
func TestAutoSelects(t *testing.T) {
	selector, err := labels.Parse("app=shop")
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuto(nil, AutoOptions{Selector: selector}, nil)
	labelled := func(l map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetLabels(l)
		return u
	}
	for _, tt := range []struct {
		name       string
		live, want *unstructured.Unstructured
		selected   bool
	}{
		{"live matches", labelled(map[string]string{"app": "shop"}), labelled(nil), true},
		{"label taken off live", labelled(nil), labelled(map[string]string{"app": "shop"}), false},
		{"missing, manifest matches", nil, labelled(map[string]string{"app": "shop"}), true},
		{"missing, manifest does not", nil, labelled(map[string]string{"app": "web"}), false},
		{"nothing to go by", nil, nil, false},
	} {
		r := &drift.Result{Ref: webRef, Status: drift.Drifted, Live: tt.live, Want: tt.want}
		if tt.live == nil {
			r.Status = drift.Missing
		}
		if got := a.Selects(r); got != tt.selected {
			t.Errorf("%s: selected %t, want %t", tt.name, got, tt.selected)
		}
	}
}
