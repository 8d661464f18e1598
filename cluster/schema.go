package cluster

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/openapi3"
)

// schemas caches one type converter per group version, built once from the
// cluster's OpenAPI v3 document for it.
type schemas struct {
	mu    sync.Mutex
	root  openapi3.Root
	built map[schema.GroupVersion]func() (managedfields.TypeConverter, error)
}

// TypeConverter returns the structure of the kinds of gv as the cluster
// publishes it in its OpenAPI v3 document: which lists are keyed and by
// what, which maps and lists are atomic. It is what server-side apply merges
// by, and what the drift engine's offline mode merges a manifest into a live
// object with. Reading it is a GET that every authenticated user may send.
func (c *Client) TypeConverter(gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	c.schemas.mu.Lock()
	if c.schemas.built == nil {
		c.schemas.root = openapi3.NewRoot(c.discovery.OpenAPIV3())
		c.schemas.built = map[schema.GroupVersion]func() (managedfields.TypeConverter, error){}
	}
	build, ok := c.schemas.built[gv]
	if !ok {
		root := c.schemas.root
		build = sync.OnceValues(func() (managedfields.TypeConverter, error) {
			return typeConverter(root, gv)
		})
		c.schemas.built[gv] = build
	}
	c.schemas.mu.Unlock()
	return build()
}

func typeConverter(root openapi3.Root, gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	doc, err := root.GVSpec(gv)
	var notFound *openapi3.GroupVersionNotFoundError
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("the cluster publishes no OpenAPI schema for %s (a CRD installed moments ago is published within seconds)", gv)
	}
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI schema of %s: %w", gv, err)
	}
	if doc.Components == nil {
		return nil, fmt.Errorf("the OpenAPI schema of %s has no components", gv)
	}
	tc, err := managedfields.NewTypeConverter(doc.Components.Schemas, false)
	if err != nil {
		return nil, fmt.Errorf("read the OpenAPI schema of %s: %w", gv, err)
	}
	return tc, nil
}
