package cli

import (
	"bufio"
	"context"
	"fmt"
	stdlog "log"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/drift/ignore"
	"github.com/kubedrift/kubedrift/reconcile"
	"github.com/kubedrift/kubedrift/sources"
	"github.com/kubedrift/kubedrift/themes"
	"github.com/kubedrift/kubedrift/ui"
)

// session is what the UI works with: it loads and judges the desired state
// (ui.Checker), writes (ui.Reconciler), keeps the ignore rules (ui.Ignorer),
// and watches the live objects of the last check, feeding their changes to
// the UI. It connects to the cluster at its first check, and again at the
// next one for as long as the cluster cannot be reached, so that the UI
// opens, and says what is wrong, without one. kubedrift watch drives one
// too, without a UI.
type session struct {
	o         *Options
	namespace string
	log       *slog.Logger
	// lean drops the objects of the verdicts in sync (drift.CheckOptions.Lean):
	// the watch keeps verdicts, not objects to open.
	lean bool

	changes    chan drift.Ref
	errors     chan error
	reconnects chan struct{}
	// healthStarted is set once watchHealth runs, for the session's life.
	healthStarted atomic.Bool

	mu      sync.Mutex
	client  *cluster.Client
	access  *sources.Cluster
	engine  *drift.Engine
	desired map[drift.Ref]drift.Desired
	stop    context.CancelFunc // ends the watch of the previous check
}

// connected returns the cluster, connecting when the session is not yet.
func (s *session) connected() (*cluster.Client, *sources.Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		client, access, err := s.o.connect()
		if err != nil {
			return nil, nil, err
		}
		s.client, s.access = client, access
	}
	return s.client, s.access, nil
}

// newSession returns a session on the desired state o names, with
// namespace as the default namespace, that logs its writes to log.
func newSession(o *Options, namespace string, log *slog.Logger) *session {
	return &session{
		o: o, namespace: namespace, log: log,
		changes: make(chan drift.Ref, 256), errors: make(chan error, 1), reconnects: make(chan struct{}, 1),
	}
}

// Check loads the sources and the ignore rules afresh, judges them, and
// watches what they name. Without a cluster it returns no report, and the
// problems with the input that are known without one.
func (s *session) Check(ctx context.Context, found func(r drift.Result, judged, total int)) (*drift.Report, []error) {
	rep, inputErrs, connErr := s.check(ctx, found)
	if connErr != nil {
		return nil, append(inputErrs, connErr)
	}
	return rep, append(inputErrs, rep.Problems...)
}

// check is Check with the problems kept apart: those of the input (the
// sources, the ignore rules) and the error connecting to the cluster,
// without which there is no report.
func (s *session) check(ctx context.Context, found func(r drift.Result, judged, total int)) (rep *drift.Report, inputErrs []error, connErr error) {
	client, access, connErr := s.connected()
	j := s.o.judge(ctx, s.namespace, client, access, connErr, judging{progress: found, whole: !s.lean})
	for _, w := range j.warnings {
		// The screen is the UI's; what is only worth knowing goes to the log.
		s.log.Warn(w.Error())
	}
	if connErr != nil {
		return nil, j.inputErrs, connErr
	}
	engine, desired := j.engine, j.desired
	byRef := make(map[drift.Ref]drift.Desired, len(desired))
	var targets []cluster.WatchTarget
	seen := map[cluster.WatchTarget]bool{}
	for _, d := range desired {
		ref, err := engine.Place(d.Object)
		if err != nil {
			continue
		}
		byRef[ref] = d
		t := cluster.WatchTarget{GVK: ref.GroupVersionKind(), Namespace: ref.Namespace}
		if !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	s.mu.Lock()
	// Rechecks and reconciles judge one object at a time, reporting to
	// nobody: the check's progress callback ends with the check.
	s.engine, s.desired = engine, byRef
	if s.stop != nil {
		s.stop()
	}
	watchCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	s.mu.Unlock()
	// A kind the user may not list keeps Watch waiting (its error goes to
	// the UI): the check does not wait for it.
	go s.watch(watchCtx, client, targets)
	s.watchHealth(ctx, client)
	return j.report, j.inputErrs, nil
}

// watch forwards the changes of the live objects of targets to the UI.
func (s *session) watch(ctx context.Context, client *cluster.Client, targets []cluster.WatchTarget) {
	report := func(err error) { offer(s.errors, err) }
	changes, err := client.Watch(ctx, targets, report)
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

// watchHealth asks the cluster whether it answers, every healthEvery, for
// as long as ctx lasts. When it stops answering, the UI hears that it lost
// the cluster; when it answers again, the UI judges everything again, since
// the watches may have missed what changed meanwhile. client-go's informers
// retry a refused connection quietly, so they cannot tell the UI either.
func (s *session) watchHealth(ctx context.Context, client *cluster.Client) {
	if !s.healthStarted.CompareAndSwap(false, true) {
		return
	}
	go func() {
		lost := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(healthEvery):
			}
			_, err := client.ServerVersion()
			switch {
			case err != nil && !lost:
				lost = true
				offer(s.errors, fmt.Errorf("lost the cluster (kubedrift reconnects by itself): %w", err))
			case err == nil && lost:
				lost = false
				offer(s.reconnects, struct{}{})
			}
		}
	}()
}

// healthEvery is how often the UI's session asks the cluster whether it
// answers.
const healthEvery = 2 * time.Second

// offer passes v to the UI on ch, or drops it when one waits already: the
// UI shows one at a time.
func offer[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// lookup returns the client, the engine and the desired object of ref, from
// the last check.
func (s *session) lookup(ref drift.Ref) (*cluster.Client, *drift.Engine, drift.Desired, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.desired[ref]
	return s.client, s.engine, d, ok
}

// Recheck judges one desired object again.
func (s *session) Recheck(ctx context.Context, ref drift.Ref) (drift.Result, bool) {
	_, engine, d, ok := s.lookup(ref)
	if !ok {
		return drift.Result{}, false
	}
	return engine.Judge(ctx, d), true
}

// Reconcile puts one object back, as --apply would, leaving as they are the
// fields the verdict the UI showed left out of the comparison.
func (s *session) Reconcile(ctx context.Context, ref drift.Ref, opts ui.ReconcileOptions) ui.Outcome {
	oc, ok := s.reconcile(ctx, ref, reconcile.ReconcileOptions{
		Force: opts.Force, Recreate: opts.Recreate, TakeFromPeople: true, LeftOut: opts.LeftOut,
	})
	if !ok {
		return ui.Outcome{Err: fmt.Errorf("%s is not in the desired state any more: r reloads", ref)}
	}
	return outcome(oc)
}

// reconcile puts one object of the last check back; false when the last
// check did not judge it.
func (s *session) reconcile(ctx context.Context, ref drift.Ref, opts reconcile.ReconcileOptions) (reconcile.Outcome, bool) {
	client, engine, d, ok := s.lookup(ref)
	if !ok {
		return reconcile.Outcome{}, false
	}
	rec := &reconcile.Reconciler{Client: client, Engine: engine, ReadOnly: s.o.ReadOnly, Log: s.log}
	return rec.Reconcile(ctx, d, opts), true
}

// Delete deletes an unmanaged object.
func (s *session) Delete(ctx context.Context, ref drift.Ref) ui.Outcome {
	client, engine, _, _ := s.lookup(ref)
	if engine == nil {
		return ui.Outcome{Err: fmt.Errorf("%s was never judged: r reloads", ref)}
	}
	rec := &reconcile.Reconciler{Client: client, Engine: engine, ReadOnly: s.o.ReadOnly, Log: s.log}
	return outcome(rec.Delete(ctx, ref))
}

// IgnoreRule returns the rule that ignores one field of ref, and the rule
// file it goes to.
func (s *session) IgnoreRule(ref drift.Ref, pointer string) (rule, file string, err error) {
	file, err = s.o.ignoreFile()
	if err != nil {
		return "", "", err
	}
	rule, err = ignore.RuleYAML(ref.IgnoreObject(), pointer)
	return rule, file, err
}

// AddIgnoreRule adds that rule to that file; the next check reads it.
func (s *session) AddIgnoreRule(ref drift.Ref, pointer string) error {
	file, err := s.o.ignoreFile()
	if err != nil {
		return err
	}
	return ignore.Add(file, ref.IgnoreObject(), pointer)
}

func outcome(o reconcile.Outcome) ui.Outcome {
	out := ui.Outcome{Action: ui.Action(o.Action), Manager: o.Manager, Verdict: o.Verdict, Kept: o.KeptLive, Immutable: o.Immutable, Err: o.Err}
	for _, c := range o.Conflicts {
		out.Conflicts = append(out.Conflicts, c.String())
	}
	for _, c := range o.Taken {
		out.Taken = append(out.Taken, c.Field+" from "+c.Owner())
	}
	return out
}

// runUI opens the terminal UI on the desired state. It opens whether or not
// the cluster answers: the UI says when it does not, and tries again.
func (o *Options) runUI(ctx context.Context, namespace string) (int, error) {
	in, inOK := o.streams.In.(*os.File)
	out, outOK := o.streams.Out.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return ExitError, fmt.Errorf("the UI needs a terminal: run with --check for a report")
	}
	themeOpts := themes.Options{Name: o.Theme}
	theme, err := themes.Resolve(themeOpts)
	if err != nil {
		return ExitError, fmt.Errorf("--theme: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log, closer, err := o.openLog()
	if err != nil {
		return ExitError, err
	}
	defer closer.Close()
	opts := o.uiOptions(namespace, log)
	opts.Styles = theme.Styles()
	if o.Theme == "" || o.Theme == "auto" {
		// Bubble Tea asks the terminal for its background colour; the
		// answer picks the light or the dark theme.
		opts.Restyle = func(dark bool) themes.Styles {
			themeOpts.HasDarkBackground = func() bool { return dark }
			th, _ := themes.Resolve(themeOpts) // resolved once already
			return th.Styles()
		}
	}
	restore, err := quietStderr(log)
	if err != nil {
		return ExitError, err
	}
	defer restore()
	if err := ui.Run(ctx, opts, tea.WithInput(in), tea.WithOutput(out)); err != nil {
		return ExitError, err
	}
	return ExitInSync, nil
}

// uiOptions builds the UI's options: a session on the cluster that logs its
// writes to log.
func (o *Options) uiOptions(namespace string, log *slog.Logger) ui.Options {
	s := newSession(o, namespace, log)
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
		Checker: s, Reconciler: rec, PersonsTool: reconcile.PersonsTool, ReadOnly: o.ReadOnly, Ignorer: s,
		Changes: s.changes, Errors: s.errors, Reconnects: s.reconnects, Title: title,
	}
}

// quietStderr sends what libraries print on standard error while the UI
// runs (kustomize writes its deprecation warnings to os.Stderr and through
// Go's log package; client-go logs through klog) to the log, line by line, where it cannot tear the
// screen. restore puts both back once the UI has ended.
func quietStderr(log *slog.Logger) (restore func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("redirect standard error: %w", err)
	}
	prevStderr, prevLog := os.Stderr, stdlog.Writer()
	os.Stderr = w
	stdlog.SetOutput(w)
	logTo(w) // client-go's logs, -v and warnings
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines := bufio.NewScanner(r)
		for lines.Scan() {
			log.Warn("printed on standard error while the UI ran", "text", lines.Text())
		}
	}()
	return func() {
		os.Stderr = prevStderr
		stdlog.SetOutput(prevLog)
		logTo(prevStderr)
		w.Close()
		<-done
		r.Close()
	}, nil
}
