package sources

import (
	"context"
	"io"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Options say where to read the desired state from. Every source named is
// read; their objects are returned together.
type Options struct {
	// Files are manifest files and directories; "-" reads Stdin.
	Files []string
	// Stdin is read for the file "-".
	Stdin io.Reader
	// Kustomizations are directories built as `kubectl apply -k` would.
	Kustomizations []string
	// Charts are Helm charts rendered client-side.
	Charts []Chart
	// Releases are deployed Helm releases, read from the cluster's Helm
	// storage in Namespace.
	Releases []string
	// Git are directories of Git repositories at a revision, read as
	// LoadGit reads them.
	Git []GitSource
	// Namespace is the namespace of releases, and the one charts render for.
	Namespace string
	// Cluster reaches the cluster for release storage and for the
	// capabilities charts render with; nil when there is no cluster, and
	// then charts render with Helm's default capabilities and releases
	// cannot be read.
	Cluster *Cluster
}

// Cluster is the access to a cluster that some sources need.
type Cluster struct {
	Discovery discovery.DiscoveryInterface
	Client    kubernetes.Interface
	// Dynamic serves the lookups of chart templates, which read objects of
	// any kind; nil renders charts as `helm template` does, where lookup
	// finds nothing.
	Dynamic dynamic.Interface
}

// Chart says how to render a Helm chart, as `helm template` would.
type Chart struct {
	// Path is a chart directory or a packaged chart (.tgz).
	Path string
	// ReleaseName is the release the chart renders for; empty means the
	// chart's name.
	ReleaseName string
	// ValuesFiles, Set and SetString are merged in that order, as helm's
	// --values, --set and --set-string.
	ValuesFiles []string
	Set         []string
	SetString   []string
	// IncludeHooks renders hook resources too; they are left out by default
	// because Helm runs them around an install rather than keeping them.
	IncludeHooks bool
}

// Load reads every source in opts. The errors name the file (and line)
// or the chart, kustomization, release or repository at fault; a bad source
// never stops the others from being read.
func Load(ctx context.Context, opts Options) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
	)
	add := func(m []Manifest, e []error) {
		manifests = append(manifests, m...)
		errs = append(errs, e...)
	}
	add(loadFiles(opts.Files, opts.Stdin))
	for _, dir := range opts.Kustomizations {
		add(Kustomize(dir))
	}
	for _, chart := range opts.Charts {
		add(RenderChart(ctx, chart, opts.Namespace, opts.Cluster))
	}
	for _, name := range opts.Releases {
		add(LoadRelease(ctx, opts.Cluster, opts.Namespace, name))
	}
	for _, src := range opts.Git {
		add(LoadGit(ctx, src, opts.Namespace, opts.Cluster))
	}
	return manifests, errs
}
