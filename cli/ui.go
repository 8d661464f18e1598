package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"golang.org/x/term"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
	"github.com/kubedrift/kubedrift/themes"
	"github.com/kubedrift/kubedrift/ui"
)

// session is what the UI works with: it loads and judges the desired state
// (ui.Checker), writes (ui.Reconciler), and watches the live objects of the
// last check, feeding their changes to the UI.
type session struct {
	o       *Options
	client  *cluster.Client
	access  *sources.Cluster
	engOpts drift.Options
	log     *slog.Logger

	changes chan drift.Ref
	errors  chan error

	mu      sync.Mutex
	engine  *drift.Engine
	desired map[drift.Ref]drift.Desired
	stop    context.CancelFunc // ends the watch of the previous check
}

// Check loads the sources afresh, judges them, and watches what they name.
func (s *session) Check(ctx context.Context, found func(r drift.Result, judged, total int)) (*drift.Report, []error) {
	manifests, inputErrs := sources.Load(ctx, s.o.sourceOptions(s.engOpts.DefaultNamespace, s.access))
	opts := s.engOpts
	opts.Progress = found
	engine := drift.NewEngine(s.client, s.client, opts)
	desired := desiredState(manifests)
	rep := engine.Check(ctx, desired)

	byRef := make(map[drift.Ref]drift.Desired, len(desired))
	var targets []cluster.WatchTarget
	seen := map[cluster.WatchTarget]bool{}
	for _, d := range desired {
		obj, err := engine.Resolve(d.Object)
		if err != nil {
			continue
		}
		byRef[drift.RefOf(obj)] = d
		t := cluster.WatchTarget{GVK: obj.GroupVersionKind(), Namespace: obj.GetNamespace()}
		if !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	s.mu.Lock()
	// Rechecks and reconciles judge one object at a time, reporting to
	// nobody: the check's progress callback ends with the check.
	s.engine, s.desired = drift.NewEngine(s.client, s.client, s.engOpts), byRef
	if s.stop != nil {
		s.stop()
	}
	watchCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	s.mu.Unlock()
	// A kind the user may not list keeps Watch waiting (its error goes to
	// the UI): the check does not wait for it.
	go s.watch(watchCtx, targets)
	return rep, inputErrs
}

// watch forwards the changes of the live objects of targets to the UI.
func (s *session) watch(ctx context.Context, targets []cluster.WatchTarget) {
	report := func(err error) {
		select {
		case s.errors <- err:
		default: // the UI shows one at a time; drop the rest
		}
	}
	changes, err := s.client.Watch(ctx, targets, report)
	if err != nil {
		report(err)
		return
	}
	go func() {
		for c := range changes {
			ref := drift.Ref{Group: c.GVK.Group, Version: c.GVK.Version, Kind: c.GVK.Kind, Namespace: c.Namespace, Name: c.Name}
			select {
			case s.changes <- ref:
			case <-ctx.Done():
				return
			}
		}
	}()
}

// lookup returns the engine and the desired object of ref, from the last
// check.
func (s *session) lookup(ref drift.Ref) (*drift.Engine, drift.Desired, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.desired[ref]
	return s.engine, d, ok
}

// Recheck judges one desired object again.
func (s *session) Recheck(ctx context.Context, ref drift.Ref) (drift.Result, bool) {
	engine, d, ok := s.lookup(ref)
	if !ok {
		return drift.Result{}, false
	}
	return engine.Judge(ctx, d), true
}

// Reconcile puts one object back, as --apply would.
func (s *session) Reconcile(ctx context.Context, ref drift.Ref, opts ui.ReconcileOptions) ui.Outcome {
	engine, d, ok := s.lookup(ref)
	if !ok {
		return ui.Outcome{Err: fmt.Errorf("%s is not in the desired state any more: r reloads", ref)}
	}
	rec := &cluster.Reconciler{Client: s.client, Engine: engine, ReadOnly: s.o.ReadOnly, Log: s.log}
	return outcome(rec.Reconcile(ctx, d, cluster.ReconcileOptions{Force: opts.Force, Recreate: opts.Recreate}))
}

// Delete deletes an unmanaged object.
func (s *session) Delete(ctx context.Context, ref drift.Ref) ui.Outcome {
	engine, _, _ := s.lookup(ref)
	rec := &cluster.Reconciler{Client: s.client, Engine: engine, ReadOnly: s.o.ReadOnly, Log: s.log}
	return outcome(rec.Delete(ctx, ref))
}

func outcome(o cluster.Outcome) ui.Outcome {
	return ui.Outcome{Action: string(o.Action), Manager: o.Manager, Verdict: o.Verdict, Conflicts: o.Conflicts, Immutable: o.Immutable, Err: o.Err}
}

// runUI opens the terminal UI on the desired state.
func (o *Options) runUI(ctx context.Context, client *cluster.Client, access *sources.Cluster, engOpts drift.Options) (int, error) {
	in, inOK := o.streams.In.(*os.File)
	out, outOK := o.streams.Out.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return ExitError, fmt.Errorf("the UI needs a terminal: run with --check for a report")
	}
	theme, err := themes.Resolve(themes.Options{
		Name:              o.Theme,
		HasDarkBackground: func() bool { return lipgloss.HasDarkBackground(in, out) },
	})
	if err != nil {
		return ExitError, fmt.Errorf("--theme: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts, closeLog, err := o.uiOptions(client, access, engOpts)
	if err != nil {
		return ExitError, err
	}
	defer closeLog()
	opts.Styles = theme.Styles()
	if err := ui.Run(ctx, opts, tea.WithInput(in), tea.WithOutput(out)); err != nil {
		return ExitError, err
	}
	return ExitInSync, nil
}

// uiOptions builds the UI's options: a session on the cluster, and the
// write log it logs to until closeLog.
func (o *Options) uiOptions(client *cluster.Client, access *sources.Cluster, engOpts drift.Options) (opts ui.Options, closeLog func(), err error) {
	log, closer, err := o.openLog()
	if err != nil {
		return ui.Options{}, nil, err
	}
	s := &session{
		o: o, client: client, access: access, engOpts: engOpts, log: log,
		changes: make(chan drift.Ref, 256), errors: make(chan error, 1),
	}
	var rec ui.Reconciler = s
	if o.ReadOnly {
		rec = nil
	}
	title := ""
	if raw, err := o.kube.ToRawKubeConfigLoader().RawConfig(); err == nil {
		title = raw.CurrentContext
		if o.kube.Context != nil && *o.kube.Context != "" {
			title = *o.kube.Context
		}
	}
	return ui.Options{
		Checker: s, Reconciler: rec, ReadOnly: o.ReadOnly,
		Changes: s.changes, Errors: s.errors, Title: title,
	}, func() { closer.Close() }, nil
}
