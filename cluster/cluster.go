// Package cluster reads live objects from a Kubernetes API server and sends it
// server-side apply requests. It resolves kinds through discovery, so it works
// with any kind the cluster serves, custom resources included.
//
// Client satisfies the interfaces the drift engine declares (drift.LiveReader,
// drift.PageLister, drift.Versioned and drift.DryRunner); it knows nothing
// about drift itself.
package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	authorizationv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// rediscoverInterval is the least time between two refreshes of discovery
// caused by unknown kinds, so that many manifests of a kind the cluster truly
// lacks cost one refresh, not one each.
const rediscoverInterval = time.Second

// Client talks to one cluster.
type Client struct {
	dynamic dynamic.Interface
	// lists reads lists as JSON, for listPage.
	lists     rest.Interface
	discovery discovery.DiscoveryInterface
	mapper    meta.RESTMapper
	access    authorizationv1client.SelfSubjectAccessReviewInterface

	mu             sync.Mutex
	lastRediscover time.Time

	schemas schemas
}

// New returns a client for the cluster cfg points at. Discovery is cached in
// memory for the life of the client.
func New(cfg *rest.Config) (*Client, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return NewWithMapper(cfg, cached, restmapper.NewDeferredDiscoveryRESTMapper(cached))
}

// NewWithMapper returns a client that resolves kinds with mapper, such as the
// disk-cached one k8s.io/cli-runtime builds from the user's kubeconfig flags.
//
// Whatever the mapper, a kind it does not know makes the client refresh
// discovery (when the mapper can be reset) and ask again, so that a CRD
// installed after the cache was filled is still found.
func NewWithMapper(cfg *rest.Config, dc discovery.DiscoveryInterface, mapper meta.RESTMapper) (*Client, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("http client: %w", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	listCfg := dynamic.ConfigFor(cfg)
	listCfg.AcceptContentTypes = "application/json" // listPage decodes JSON
	lists, err := rest.UnversionedRESTClientForConfigAndClient(listCfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("list client: %w", err)
	}
	authz, err := authorizationv1client.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("authorization client: %w", err)
	}
	return &Client{dynamic: dyn, lists: lists, discovery: dc, mapper: mapper, access: authz.SelfSubjectAccessReviews()}, nil
}

// ServerVersion asks the API server for its version; it is the cheapest way to
// learn whether the cluster can be reached at all.
func (c *Client) ServerVersion() (*version.Info, error) {
	return c.discovery.ServerVersion()
}

// Namespaced reports whether objects of kind gvk live in a namespace. An error
// for which meta.IsNoMatchError is true means the cluster does not serve the
// kind.
func (c *Client) Namespaced(gvk schema.GroupVersionKind) (bool, error) {
	m, err := c.mapping(gvk)
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// Get returns the live object. When it does not exist the error satisfies
// apierrors.IsNotFound.
func (c *Client) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, name, metav1.GetOptions{})
}

// listPageSize bounds one page of List, so that a kind with very many
// objects is read in pieces rather than in one huge response.
const listPageSize = 500

// List returns every object of kind gvk in namespace ("" for all namespaces
// or for a cluster-scoped kind), reading page by page.
func (c *Client) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error) {
	var items []unstructured.Unstructured
	err := c.ListPages(ctx, gvk, namespace, listPageSize, nil, func(page []unstructured.Unstructured) error {
		items = append(items, page...)
		return nil
	})
	return items, err
}

// ListPages reads the objects of kind gvk in namespace ("" for all
// namespaces or for a cluster-scoped kind) in pages of at most limit objects,
// and calls page with those of each page in a namespace for which in is
// true, or all when in is nil. The objects of the other namespaces are
// dropped as they are read, so that they are never all held at once: a
// cluster may hold many more objects of a kind than a check wants. An error
// from page ends the list with it.
func (c *Client) ListPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, limit int, in func(namespace string) bool, page func([]unstructured.Unstructured) error) error {
	m, err := c.mapping(gvk)
	if err != nil {
		return err
	}
	cont := ""
	for {
		items, next, err := c.listPage(ctx, m, namespace, limit, cont)
		if err != nil {
			return err
		}
		if in != nil {
			items = slices.DeleteFunc(items, func(item unstructured.Unstructured) bool { return !in(item.GetNamespace()) })
		}
		if err := page(items); err != nil {
			return err
		}
		if cont = next; cont == "" {
			return nil
		}
	}
}

// listPage reads one page of at most limit objects of the list of m's
// resource in namespace, from where cont says, and returns its objects and
// where the next page starts ("" after the last). It decodes the response
// once: the dynamic client's List decodes a list whole twice, and scans it a
// third time, which cost a fifth of a check's time.
func (c *Client) listPage(ctx context.Context, m *meta.RESTMapping, namespace string, limit int, cont string) ([]unstructured.Unstructured, string, error) {
	path := []string{"/api", m.Resource.Version}
	if m.Resource.Group != "" {
		path = []string{"/apis", m.Resource.Group, m.Resource.Version}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace && namespace != "" {
		path = append(path, "namespaces", namespace)
	}
	req := c.lists.Get().AbsPath(append(path, m.Resource.Resource)...).Param("limit", strconv.Itoa(limit))
	if cont != "" {
		req = req.Param("continue", cont)
	}
	result := req.Do(ctx)
	if err := result.Error(); err != nil {
		return nil, "", err // the server's Status, as the dynamic client gives it
	}
	raw, err := result.Raw()
	if err != nil {
		return nil, "", err
	}
	var list struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Continue string `json:"continue"`
		} `json:"metadata"`
		Items []map[string]any `json:"items"`
	}
	if err := utiljson.Unmarshal(raw, &list); err != nil {
		return nil, "", fmt.Errorf("decode the list of %s: %w", m.Resource.Resource, err)
	}
	items := make([]unstructured.Unstructured, len(list.Items))
	for i, obj := range list.Items {
		items[i].Object = obj
		// The API server leaves out the items' kind where the list's says
		// it, as the dynamic client's decoder fills it in.
		if items[i].GetKind() == "" && items[i].GetAPIVersion() == "" {
			items[i].SetKind(strings.TrimSuffix(list.Kind, "List"))
			items[i].SetAPIVersion(list.APIVersion)
		}
	}
	return items, list.Metadata.Continue, nil
}

// MayPatch asks the API server whether the user may patch every object of
// kind gvk in namespace: namespace "" asks about all namespaces of a
// namespaced kind, and about the objects of a cluster-scoped kind. The
// question is a SelfSubjectAccessReview, which writes nothing.
func (c *Client) MayPatch(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error) {
	m, err := c.mapping(gvk)
	if err != nil {
		return false, err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		namespace = ""
	}
	review, err := c.access.Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb:      "patch",
			Group:     m.Resource.Group,
			Resource:  m.Resource.Resource,
			Namespace: namespace,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("ask whether %s may be patched: %w", m.Resource.Resource, err)
	}
	return review.Status.Allowed, nil
}

// DryRunApply sends obj as a forced server-side apply by fieldManager with
// dry run, and returns what the object would be after a real apply:
// defaults, admission and other managers' fields included. Nothing is
// written.
func (c *Client) DryRunApply(ctx context.Context, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error) {
	return c.ApplyDryRun(ctx, obj, fieldManager, true)
}

func (c *Client) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := c.mapping(gvk)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dynamic.Resource(m.Resource).Namespace(namespace), nil
	}
	return c.dynamic.Resource(m.Resource), nil
}

// mapping resolves gvk to its resource, refreshing discovery once when the
// kind is unknown.
func (c *Client) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) && c.rediscover() {
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	return m, err
}

// rediscover drops the mapper's discovery cache, unless it did so less than
// rediscoverInterval ago, and reports whether it did.
func (c *Client) rediscover() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.lastRediscover) < rediscoverInterval {
		return false
	}
	return c.resetMapperLocked()
}

// forceRediscover drops the mapper's discovery cache now, for a kind that is
// known to have just been created.
func (c *Client) forceRediscover() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetMapperLocked()
}

func (c *Client) resetMapperLocked() bool {
	r, ok := c.mapper.(meta.ResettableRESTMapper)
	if !ok {
		return false
	}
	c.lastRediscover = time.Now()
	r.Reset()
	return true
}
