package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// changeBuffer is how many Changes the channel Watch returns holds before a
// slow reader makes the informers wait.
const changeBuffer = 128

// Change is a live object that was added, updated or deleted.
type Change struct {
	// GVK is the kind as the WatchTarget named it.
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
	// Deleted is true when the object is gone.
	Deleted bool
}

// WatchTarget is one kind to watch, in one namespace.
type WatchTarget struct {
	GVK schema.GroupVersionKind
	// Namespace is the namespace to watch, or "" for all namespaces. It is
	// ignored for cluster-scoped kinds.
	Namespace string
}

// Watch starts one informer per kind and namespace in targets and sends a
// Change on the returned channel for every add, update and delete that
// happens after the initial sync; the objects that already exist when Watch
// is called produce no Change. An update that leaves the resourceVersion as
// it was (an informer resync) is not sent; any other update is, whatever it
// changed, status included.
//
// Duplicate targets are watched once, and a kind watched in all namespaces
// is not watched again in a single one, so each change is sent once. A kind
// the cluster does not serve is an error that names it (meta.IsNoMatchError
// is true for it), and nothing is started.
//
// Watch returns once every informer has listed its objects. While it waits,
// errors are reported to onError and the informers retry, so a kind the user
// may not list makes Watch wait until ctx ends, and then it returns
// ctx.Err().
//
// Errors of the watch after that (forbidden, cluster unreachable) are
// reported to onError, one call at a time and never after the channel is
// closed; the informers retry by themselves, with backoff. Routine ends of a
// watch (a closed stream, an expired resourceVersion) are not reported. When
// onError is nil, client-go logs the errors through klog instead.
//
// When ctx ends the informers stop and the channel is closed. The reader
// must drain the channel promptly or cancel ctx: a full channel holds the
// informers back.
//
// Each informer keeps a cache of the objects it watches. To keep that
// modest, only the identity of each object (kind, namespace, name, uid,
// resourceVersion) is cached, never its content, so Secret data is not
// held either; the consumer reads an object again when it hears of a change.
func (c *Client) Watch(ctx context.Context, targets []WatchTarget, onError func(error)) (<-chan Change, error) {
	resolved, err := c.resolveWatchTargets(targets)
	if err != nil {
		return nil, err
	}

	w := &watcher{ctx: ctx, changes: make(chan Change, changeBuffer), onError: onError}
	factories := map[string]dynamicinformer.DynamicSharedInformerFactory{}
	type informerKey struct {
		namespace string
		gvr       schema.GroupVersionResource
	}
	configured := map[informerKey]bool{}
	var synced []cache.DoneChecker
	for _, t := range resolved {
		f, ok := factories[t.Namespace]
		if !ok {
			f = dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.dynamic, 0, t.Namespace, nil)
			factories[t.Namespace] = f
		}
		informer := f.ForResource(t.gvr).Informer()
		// Two kinds that name the same resource share its informer.
		if key := (informerKey{t.Namespace, t.gvr}); !configured[key] {
			configured[key] = true
			if err := w.configure(informer, t.WatchTarget); err != nil {
				return nil, err
			}
		}
		reg, err := informer.AddEventHandler(w.handler(t.GVK))
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", describeTarget(t.WatchTarget), err)
		}
		synced = append(synced, reg.HasSyncedChecker())
	}

	for _, f := range factories {
		f.Start(ctx.Done())
	}
	go func() {
		<-ctx.Done()
		// Shutdown returns once the informers have stopped, their event
		// handlers included, so nothing sends on the channel after this.
		for _, f := range factories {
			f.Shutdown()
		}
		close(w.changes)
	}()

	// The handlers' own HasSynced is true only once every object of the
	// initial list has been handed to them (and dropped), so no Change that
	// comes after Watch returns is left over from the initial list.
	if !cache.WaitFor(ctx, "", synced...) {
		return nil, ctx.Err()
	}
	return w.changes, nil
}

// resolvedTarget is a WatchTarget with the resource that serves its kind.
type resolvedTarget struct {
	WatchTarget
	gvr schema.GroupVersionResource
}

// resolveWatchTargets resolves each target's kind to its resource, clears the
// namespace of cluster-scoped kinds, and drops duplicates and targets that a
// watch of the same kind in all namespaces covers.
func (c *Client) resolveWatchTargets(targets []WatchTarget) ([]resolvedTarget, error) {
	seen := map[WatchTarget]bool{}
	var resolved []resolvedTarget
	for _, t := range targets {
		m, err := c.mapping(t.GVK)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", describeKind(t.GVK), err)
		}
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			t.Namespace = ""
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		resolved = append(resolved, resolvedTarget{WatchTarget: t, gvr: m.Resource})
	}
	return slices.DeleteFunc(resolved, func(t resolvedTarget) bool {
		return t.Namespace != "" && seen[WatchTarget{GVK: t.GVK}]
	}), nil
}

// watcher is the state the informers of one Watch call share.
type watcher struct {
	ctx     context.Context
	changes chan Change

	// errMu makes the calls of onError one at a time.
	errMu   sync.Mutex
	onError func(error)
}

// configure prepares an informer, before it starts, to cache only the
// identity of objects and to report its errors to onError.
func (w *watcher) configure(informer cache.SharedIndexInformer, t WatchTarget) error {
	if err := informer.SetTransform(identityOnly); err != nil {
		return fmt.Errorf("watch %s: %w", describeTarget(t), err)
	}
	if w.onError == nil {
		return nil
	}
	err := informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		w.reportError(t, err)
	})
	if err != nil {
		return fmt.Errorf("watch %s: %w", describeTarget(t), err)
	}
	return nil
}

// handler returns the event handler that turns an informer's events for
// kind gvk into Changes.
func (w *watcher) handler(gvk schema.GroupVersionKind) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, isInInitialList bool) {
			if !isInInitialList {
				w.send(gvk, obj, false)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			if resourceVersion(oldObj) == resourceVersion(newObj) {
				return // a resync: nothing changed
			}
			w.send(gvk, newObj, false)
		},
		DeleteFunc: func(obj any) {
			w.send(gvk, obj, true)
		},
	}
}

// send puts a Change for obj on the channel, or gives up when the watch is
// over.
func (w *watcher) send(gvk schema.GroupVersionKind, obj any, deleted bool) {
	namespace, name, ok := objectName(obj)
	if !ok {
		return
	}
	select {
	case w.changes <- Change{GVK: gvk, Namespace: namespace, Name: name, Deleted: deleted}:
	case <-w.ctx.Done():
	}
}

// reportError passes an error of t's informer to onError, unless the watch
// is over or the error is a routine end of a watch that the informer
// resumes from without losing anything.
func (w *watcher) reportError(t WatchTarget, err error) {
	if w.ctx.Err() != nil || routineWatchEnd(err) {
		return
	}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	w.onError(fmt.Errorf("watch %s: %w", describeTarget(t), err))
}

// routineWatchEnd reports whether err ends a watch in the ordinary course of
// things: the server closed the stream, or the resourceVersion to resume
// from has expired and the informer lists again. client-go's default
// handler does not treat these as errors either.
//
// A request that failed with EOF is no such end: the list or watch could not
// be sent, because the server went away.
func routineWatchEnd(err error) bool {
	var request *url.Error
	if errors.As(err, &request) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		apierrors.IsResourceExpired(err) || apierrors.IsGone(err)
}

// identityOnly is the informers' transform: it replaces an object with one
// that carries only what identifies it and its version, so that the cache
// holds no object content. It is idempotent, as client-go requires.
func identityOnly(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	id := &unstructured.Unstructured{}
	id.SetAPIVersion(u.GetAPIVersion())
	id.SetKind(u.GetKind())
	id.SetNamespace(u.GetNamespace())
	id.SetName(u.GetName())
	id.SetUID(u.GetUID())
	id.SetResourceVersion(u.GetResourceVersion())
	return id, nil
}

// objectName returns the namespace and name of an informer's object, which
// for a delete the informer missed is a cache.DeletedFinalStateUnknown.
func objectName(obj any) (namespace, name string, ok bool) {
	if tombstone, isTombstone := obj.(cache.DeletedFinalStateUnknown); isTombstone {
		if o, err := meta.Accessor(tombstone.Obj); err == nil {
			return o.GetNamespace(), o.GetName(), true
		}
		namespace, name, err := cache.SplitMetaNamespaceKey(tombstone.Key)
		return namespace, name, err == nil
	}
	o, err := meta.Accessor(obj)
	if err != nil {
		return "", "", false
	}
	return o.GetNamespace(), o.GetName(), true
}

func resourceVersion(obj any) string {
	o, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return o.GetResourceVersion()
}

// describeKind names a kind for messages, such as "apps/v1 Deployment".
func describeKind(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + " " + gvk.Kind
}

// describeTarget names a watch for messages, such as "apps/v1 Deployment in
// namespace shop".
func describeTarget(t WatchTarget) string {
	if t.Namespace == "" {
		return describeKind(t.GVK)
	}
	return describeKind(t.GVK) + " in namespace " + t.Namespace
}
