package sources

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/engine"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// lookups gives the templates' lookup function read access to the cluster,
// as `helm upgrade --dry-run=server` does: a lookup makes a GET or a LIST,
// and nothing else can be sent through it. A lookup the user may not make
// (Forbidden) finds nothing, as a lookup of an object that does not exist,
// and is remembered to be said once; any other error fails the render, as
// in Helm.
type lookups struct {
	cluster *Cluster
	ctx     context.Context

	mu        sync.Mutex
	forbidden map[string]bool // "Secret shop/db", "Secrets in shop"
}

var _ engine.ClientProvider = (*lookups)(nil)

// GetClientFor finds the resource of kind in apiVersion, as Helm's own
// provider does, by the discovery of its group version.
func (l *lookups) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false, err
	}
	resources, err := l.cluster.Discovery.ServerResourcesForGroupVersion(apiVersion)
	if err != nil {
		return nil, false, fmt.Errorf("lookup %s %s: %w", apiVersion, kind, err)
	}
	for _, r := range resources.APIResources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			ri := l.cluster.Dynamic.Resource(gv.WithResource(r.Name))
			return readOnly{lookups: l, ri: ri, kind: kind}, r.Namespaced, nil
		}
	}
	return nil, false, fmt.Errorf("lookup %s %s: the cluster does not serve this kind", apiVersion, kind)
}

// notices returns a Warning for each lookup that was forbidden.
func (l *lookups) notices(source Source) []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.forbidden) == 0 {
		return nil
	}
	var what []string
	for w := range l.forbidden {
		what = append(what, w)
	}
	slices.Sort(what)
	return []error{&Warning{Origin: Origin{Source: source}, Msg: fmt.Sprintf(
		"lookup of %s is forbidden to you; the chart was rendered as if it found nothing, so what it renders from it may differ from what Helm installs",
		joinAnd(what))}}
}

// forbid turns a Forbidden answer into the NotFound that makes Helm's lookup
// find nothing, and remembers what was looked up.
func (l *lookups) forbid(err error, what string) error {
	if !apierrors.IsForbidden(err) {
		return err
	}
	l.mu.Lock()
	if l.forbidden == nil {
		l.forbidden = map[string]bool{}
	}
	l.forbidden[what] = true
	l.mu.Unlock()
	return apierrors.NewNotFound(schema.GroupResource{}, what)
}

// readOnly is the client a template's lookup gets: Get and List, with the
// render's context. Helm's lookup calls nothing else; the interface it
// embeds is nil, so that nothing else could reach the cluster.
type readOnly struct {
	dynamic.NamespaceableResourceInterface
	lookups   *lookups
	ri        dynamic.NamespaceableResourceInterface
	namespace string
	kind      string
}

func (r readOnly) Namespace(ns string) dynamic.ResourceInterface {
	r.namespace = ns
	return r
}

func (r readOnly) resource() dynamic.ResourceInterface {
	if r.namespace != "" {
		return r.ri.Namespace(r.namespace)
	}
	return r.ri
}

func (r readOnly) Get(_ context.Context, name string, opts metav1.GetOptions, sub ...string) (*unstructured.Unstructured, error) {
	obj, err := r.resource().Get(r.lookups.ctx, name, opts, sub...)
	if err != nil {
		what := r.kind + " " + name
		if r.namespace != "" {
			what = r.kind + " " + r.namespace + "/" + name
		}
		return nil, r.lookups.forbid(err, what)
	}
	return obj, nil
}

func (r readOnly) List(_ context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	list, err := r.resource().List(r.lookups.ctx, opts)
	if err != nil {
		what := "every " + r.kind
		if r.namespace != "" {
			what += " in " + r.namespace
		}
		return nil, r.lookups.forbid(err, what)
	}
	return list, nil
}

// joinAnd joins words as a sentence lists them.
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
