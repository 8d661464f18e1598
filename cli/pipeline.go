package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/drift/ignore"
	"github.com/kubedrift/kubedrift/sources"
)

// judgement is one pass of the pipeline that --check, --apply, the UI and
// watch share: the desired state loaded from the sources, the ignore rules
// read, and every object judged against the cluster.
type judgement struct {
	// desired is the desired state, in the order the sources gave it.
	desired []drift.Desired
	// engine judged it, and judges one object again for a recheck or a
	// reconcile. Nil without a cluster.
	engine *drift.Engine
	// report holds the verdicts; nil without a cluster.
	report *drift.Report
	// inputErrs is what in the input could not be read: a document, a
	// chart, the ignore rule file. Each is worth fixing, and none keeps
	// the rest from being judged.
	inputErrs []error
	// warnings are worth knowing and fail nothing.
	warnings []error
}

// judging says what a judge is for.
type judging struct {
	// progress, when it is not nil, is told each verdict as it is reached.
	progress func(r drift.Result, judged, total int)
	// whole keeps the objects of the verdicts in sync, for a person to
	// open in the UI; a report and the watch print no diff of them.
	whole bool
}

// judge loads the desired state and, when the cluster could be reached
// (connErr is nil), judges it. A rule file that cannot be read is an input
// error, and the objects are judged without its rules: the error says why
// drift the user ignored shows again.
func (o *Options) judge(ctx context.Context, namespace string, client *cluster.Client, access *sources.Cluster, connErr error, how judging) judgement {
	manifests, errs := sources.Load(ctx, o.sourceOptions(namespace, access))
	j := judgement{desired: desiredState(manifests)}
	j.inputErrs, j.warnings = sources.Warnings(errs)
	if connErr != nil {
		return j
	}
	rules, err := o.ignoreRules()
	if err != nil {
		j.inputErrs = append(j.inputErrs, fmt.Errorf("%w (judged without ignore rules)", err))
	}
	j.engine = drift.NewEngine(client, client, o.engineOptions(namespace, rules))
	j.report = j.engine.CheckWith(ctx, j.desired, drift.CheckOptions{Progress: how.progress, Lean: !how.whole})
	return j
}

// sourceOptions says where the desired state comes from.
func (o *Options) sourceOptions(namespace string, access *sources.Cluster) sources.Options {
	return sources.Options{
		Files:          o.Filenames,
		Stdin:          o.streams.In,
		Kustomizations: o.Kustomizations,
		Charts:         o.charts(),
		Releases:       o.Releases,
		Git:            o.gitSources(),
		Namespace:      namespace,
		Cluster:        access,
	}
}

// engineOptions are the drift engine's options from the command line,
// with the given ignore rules.
func (o *Options) engineOptions(namespace string, rules *ignore.Rules) drift.Options {
	mode, _ := drift.ParseMode(o.Mode) // checked by Validate
	return drift.Options{
		Mode:             mode,
		Strict:           o.Strict,
		Ignore:           rules,
		Presets:          !o.NoPresets,
		DefaultNamespace: namespace,
		ShowSecrets:      o.ShowSecrets,
		Workers:          o.Concurrency,
		SpareDryRuns:     o.SpareDryRuns,
		Owned:            o.owned(namespace),
		AllNamespaces:    o.AllNamespaces,
	}
}

// ignoreRules loads the rule file ignoreFile names; nil when there is none.
func (o *Options) ignoreRules() (*ignore.Rules, error) {
	path, err := o.ignoreFile()
	if err != nil {
		return nil, err
	}
	rules, err := ignore.Load(path)
	if errors.Is(err, fs.ErrNotExist) && o.Config == "" {
		return nil, nil // no rules yet: ignoreFile names where they would go
	}
	return rules, err
}

// ignoreFile is the ignore rule file: --config, or the .kubedrift.yaml found
// from the first local source's directory upward, or, when there is none,
// the one a new rule would create in that directory.
func (o *Options) ignoreFile() (string, error) {
	if o.Config != "" {
		return o.Config, nil
	}
	start := "."
	for _, p := range slices.Concat(o.Filenames, o.Kustomizations, []string{o.Chart.Path}) {
		if p != "" && p != "-" {
			start = p
			break
		}
	}
	found, err := ignore.Find(start)
	if err != nil || found != "" {
		return found, err
	}
	if info, err := os.Stat(start); err == nil && !info.IsDir() {
		start = filepath.Dir(start)
	}
	return filepath.Join(start, ".kubedrift.yaml"), nil
}

// owned returns the test of whether a live object belongs to the desired
// state: it matches --selector, or Helm's annotations place it in one of the
// --release releases (in namespace). Nil when neither flag is given.
func (o *Options) owned(namespace string) func(*unstructured.Unstructured) bool {
	if o.Selector == "" && len(o.Releases) == 0 {
		return nil
	}
	selector, _ := labels.Parse(o.Selector) // checked by Validate
	return func(live *unstructured.Unstructured) bool {
		if o.Selector != "" && selector.Matches(labels.Set(live.GetLabels())) {
			return true
		}
		a := live.GetAnnotations()
		return a["meta.helm.sh/release-namespace"] == namespace && slices.Contains(o.Releases, a["meta.helm.sh/release-name"])
	}
}

func (o *Options) gitSources() []sources.GitSource {
	var srcs []sources.GitSource
	for _, spec := range o.Git {
		src, _ := sources.ParseGitSource(spec) // checked by Validate
		srcs = append(srcs, src)
	}
	return srcs
}

func (o *Options) charts() []sources.Chart {
	if o.Chart.Path == "" {
		return nil
	}
	return []sources.Chart{o.Chart}
}

// sparedBy says in a report why a volatile field of a render is spared.
func sparedBy(why sources.VolatileWhy) string {
	switch why {
	case sources.InstallOnly:
		return drift.SparedInstallOnly
	case sources.Revision:
		return drift.SparedRevision
	}
	return drift.SparedGenerated
}

func desiredState(manifests []sources.Manifest) []drift.Desired {
	desired := make([]drift.Desired, len(manifests))
	for i, m := range manifests {
		desired[i] = drift.Desired{Object: m.Object, Origin: m.Origin}
		for _, v := range m.Volatile {
			desired[i].Spare = append(desired[i].Spare, drift.Spared{Pointer: v.Pointer, By: sparedBy(v.Why)})
		}
	}
	return desired
}
