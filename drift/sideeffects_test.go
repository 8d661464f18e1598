package drift

import (
	"reflect"
	"testing"
)

func TestUndoSideEffects(t *testing.T) {
	const live = `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "1", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.1"}]}}}`
	// The dry run that puts the image back bumps the generation.
	answer := yamlObject(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "2", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.0"}]}}}`)
	undoSideEffects(yamlObject(t, live), answer)
	want := yamlObject(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "1", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.0"}]}}}`)
	if !reflect.DeepEqual(answer.Object, want.Object) {
		t.Errorf("after undoSideEffects:\n got %v\nwant %v", answer.Object, want.Object)
	}

	// Another kind keeps what the answer says.
	deployment := yamlObject(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {deprecated.daemonset.template.generation: "2"}}`)
	undoSideEffects(yamlObject(t, live), deployment)
	if v := deployment.GetAnnotations()[daemonSetTemplateGeneration]; v != "2" {
		t.Errorf("a Deployment's annotation became %q", v)
	}
}
