package report

import (
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

// now is the time every test writes its report at.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// obj builds an object from its apiVersion, kind, namespace, name and the
// rest of its fields.
func obj(apiVersion, kind, namespace, name string, fields map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	if m, ok := fields["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind}
	for k, v := range fields {
		o[k] = v
	}
	o["metadata"] = meta
	return &unstructured.Unstructured{Object: o}
}

func deployment(replicas int64, image string, labels map[string]any) *unstructured.Unstructured {
	return obj("apps/v1", "Deployment", "shop", "web", map[string]any{
		"metadata": map[string]any{"labels": labels},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{"containers": []any{
					map[string]any{"name": "web", "image": image},
				}},
			},
		},
	})
}

// secret builds a Secret as the engine shows it: its values already masked.
func secret(password string) *unstructured.Unstructured {
	return obj("v1", "Secret", "shop", "db-credentials", map[string]any{
		"type": "Opaque",
		"data": map[string]any{"password": password, "username": "***"},
	})
}

// sample is a report with one object of every kind of verdict, as the
// engine would make it (sorted by Ref, Secret values masked), and two
// problems with the input.
func sample() (*drift.Report, []error) {
	ns := drift.Ref{Version: "v1", Kind: "Namespace", Name: "shop"}
	oldSettings := drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "old-settings"}
	creds := drift.Ref{Version: "v1", Kind: "Secret", Namespace: "shop", Name: "db-credentials"}
	svc := drift.Ref{Version: "v1", Kind: "Service", Namespace: "shop", Name: "web"}
	web := drift.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	role := drift.Ref{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role", Namespace: "shop", Name: "reader"}

	namespace := obj("v1", "Namespace", "", "shop", map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"team": "checkout"}},
	})
	service := obj("v1", "Service", "shop", "web", map[string]any{
		"spec": map[string]any{
			"selector": map[string]any{"app": "web"},
			"ports":    []any{map[string]any{"port": int64(80), "targetPort": int64(8080)}},
		},
	})
	leftover := obj("v1", "ConfigMap", "shop", "old-settings", map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/part-of": "shop"}},
		"data":     map[string]any{"level": "debug"},
	})

	rep := &drift.Report{Results: []drift.Result{
		{
			Ref: ns, Status: drift.InSync, Mode: drift.ModeServer,
			Origin: sources.Origin{File: "k8s/namespace.yaml", Line: 1},
			Live:   namespace, Want: namespace,
			Foreign: []drift.ForeignField{{
				Path: "metadata.labels.team", Pointer: "/metadata/labels/team", Value: "checkout",
				Manager: "kubectl-label", Operation: "Update", Time: now.Add(-3 * time.Hour),
			}},
		},
		{
			Ref: oldSettings, Status: drift.Unmanaged, Mode: drift.ModeServer,
			Note: "no manifest declares it", Live: leftover,
		},
		{
			Ref: creds, Status: drift.Drifted, Mode: drift.ModeServer,
			Origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "shop/templates/secret.yaml"},
			Live:   secret("*** (7 bytes, before)"), Want: secret("*** (9 bytes, after)"),
			Changes: []drift.Change{{
				Path: "data.password", Pointer: "/data/password",
				Live: "*** (7 bytes, before)", Want: "*** (9 bytes, after)",
				Manager: "kubectl-edit", Operation: "Update", Time: now.Add(-2 * time.Hour), Conflict: true,
			}},
		},
		{
			Ref: svc, Status: drift.Missing, Mode: drift.ModeOffline,
			Note:   "judged offline: the dry run is forbidden",
			Origin: sources.Origin{File: "k8s/web.yaml", Line: 30},
			Want:   service,
		},
		{
			Ref: web, Status: drift.Drifted, Mode: drift.ModeServer,
			Controller: &drift.Controller{Tool: "Flux", Owner: "Kustomization flux-system/apps"},
			Origin:     sources.Origin{File: "k8s/web.yaml", Line: 1},
			Live:       deployment(5, "shop/web:1.4.1-hotfix", map[string]any{"app": "web"}),
			Want:       deployment(3, "shop/web:1.4.0", map[string]any{"app": "web", "tier": "frontend"}),
			Ignored:    []string{"/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"},
			Changes: []drift.Change{
				{
					Path: "metadata.labels.tier", Pointer: "/metadata/labels/tier", Want: "frontend",
					Manager: "kubectl-client-side-apply", Operation: "Update", Time: now.Add(-26 * time.Hour),
				},
				{
					// kubectl scale leaves no time in managedFields.
					Path: "spec.replicas", Pointer: "/spec/replicas", Live: int64(5), Want: int64(3),
					Manager: "kubectl", Operation: "Update", Conflict: true,
				},
				{
					Path:    "spec.template.spec.containers[name=web].image",
					Pointer: "/spec/template/spec/containers/0/image",
					Live:    "shop/web:1.4.1-hotfix", Want: "shop/web:1.4.0",
					Manager: "kubectl-edit", Operation: "Update", Time: now.Add(-12 * time.Minute), Conflict: true,
				},
			},
		},
		{
			Ref: role, Status: drift.Error, Mode: drift.ModeServer,
			Origin: sources.Origin{File: "k8s/rbac.yaml", Line: 1},
			Reason: drift.ReasonForbidden,
			Err:    errors.New(`roles.rbac.authorization.k8s.io "reader" is forbidden: User "ci" cannot get resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "shop"`),
		},
	}}
	inputErrs := []error{
		&sources.Error{Origin: sources.Origin{File: "k8s/broken.yaml", Line: 7},
			Err: errors.New("invalid YAML: mapping values are not allowed in this context")},
		&sources.Error{Origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}},
			Err: errors.New(`render: template: shop/templates/cron.yaml:3:14: executing "shop/templates/cron.yaml" at <.Values.schedule>: nil pointer`)},
	}
	return rep, inputErrs
}

// allInSync is a report on objects that are all in sync.
func allInSync() (*drift.Report, []error) {
	cm := obj("v1", "ConfigMap", "shop", "settings", map[string]any{"data": map[string]any{"level": "info"}})
	return &drift.Report{Results: []drift.Result{
		{
			Ref:    drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"},
			Status: drift.InSync, Mode: drift.ModeOffline, Note: "judged offline: the dry run is forbidden",
			Origin: sources.Origin{File: "-", Line: 1}, Live: cm, Want: cm,
		},
	}}, nil
}
