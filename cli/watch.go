package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

const watchLongHelp = `Watch keeps judging the desired state against the cluster, without a
terminal: it checks everything once, then watches the live objects, judges
each again as it changes, and logs every change of verdict (of the status, or
of which fields differ) in one line on standard output:

  2026-01-02T15:04:05.000Z  drifted    Deployment.apps shop/web  k8s/web.yaml:2  (was in sync)  spec.replicas: 5 -> 3 (live value by kubectl-scale)

With -o json each line is a JSON object with "time" and "event": verdict,
check, reconcile, error or info. A verdict carries the object's result as
the JSON report of --check has it (ref, status, changes with who made them,
origin, controller; no diff), and "previousStatus" unless it is the first.

Every --resync it loads the manifests again and judges everything, for what
the watches missed. When the cluster does not answer, watch says so and
tries again, by itself, for as long as it runs. Only a bad flag, or manifests
that cannot be read at the start, end it (exit 2); SIGINT and SIGTERM end it
with exit 0.

--metrics-addr serves Prometheus metrics on /metrics, and /healthz:

  kubedrift_objects{status}                objects by verdict: in_sync, drifted,
                                           missing, unmanaged, error
  kubedrift_drift_events_total             verdicts that changed to drifted or
                                           missing since the start
  kubedrift_last_check_timestamp_seconds   when the last check of everything
                                           that reached the cluster ended
  kubedrift_reconciles_total{result}       with --auto-reconcile: applied,
                                           failed or skipped attempts

Watch writes nothing to the cluster unless --auto-reconcile. Then it puts
back, one at a time, each object that becomes drifted or missing and whose
labels match -l/--selector, which it requires: the live object's labels, or
for a missing object its manifest's. Each attempt judges the object afresh,
sends the apply as a dry run, and only then for real, as --apply would. It
takes back fields people changed by hand (kubectl edit, scale, patch, ...)
only with --force-conflicts, never a field a controller owns (an autoscaler's
replicas, an operator's write) unless --take-from names its field manager,
leaves the fields the comparison leaves out (ignore rules, presets) as they
are, never deletes or recreates an object, and
leaves alone objects that Flux, Argo CD or Helm keep: their controller would
fight the change. A failed attempt is tried
again with backoff (from 1s, doubling, to about 17 minutes). Each attempt is a
line of the log, and each write is also logged to --log-file.

With --leader-elect, several replicas share a Lease (--leader-elect-id, in
--leader-elect-namespace): only the one that holds it reconciles; every one
judges, logs and serves metrics. A leader that cannot renew the Lease stops
writing at once and exits, so that its restart campaigns again; one that is
stopped gives the Lease up for another to take. The Lease needs get, create
and update on leases.coordination.k8s.io in its namespace.

To run it in a cluster, as a Deployment of two replicas with --leader-elect
and a ServiceAccount that may write only what it reconciles, see deploy/ in
kubedrift's repository.`

const watchExamples = `  # Log each change of verdict of the manifests in k8s/, and serve metrics
  kubedrift watch -f k8s/ --metrics-addr :8080

  # JSON lines for a log pipeline, and everything judged again every 5 minutes
  kubedrift watch -k overlays/prod -o json --resync 5m

  # Put back what drifts among the objects labelled app=shop, taking back
  # what people changed with kubectl edit, scale, patch and the like
  kubedrift watch -f k8s/ --auto-reconcile -l app=shop --force-conflicts`

// watchOptions are the flags of kubedrift watch of its own. The desired
// state, how it is judged, the cluster and the write log are the root
// command's Options, whose flags watch shares.
type watchOptions struct {
	o *Options
	// Output is the log format (-o): text or json.
	Output string
	// MetricsAddr is where /metrics and /healthz are served; empty serves
	// nothing.
	MetricsAddr string
	// Resync is how often everything is judged again, from manifests read
	// again.
	Resync time.Duration
	// AutoReconcile puts back the drifted and missing objects that the
	// selector picks.
	AutoReconcile bool
	// ForceConflicts, with AutoReconcile, takes the fields the manifests
	// set from the tools people change objects with by hand (kubectl
	// edit, scale, patch, ...), never a controller's: a reconcile nobody
	// watches does not fight an autoscaler or an operator.
	ForceConflicts bool
	// TakeFrom, with AutoReconcile, names the field managers (globs)
	// whose fields are taken too: controllers the manifests overrule.
	TakeFrom []string
	// LeaderElect, with AutoReconcile, reconciles only while this replica
	// holds the Lease LeaderElectNamespace/LeaderElectID (the namespace
	// defaults to the kubeconfig's, which in a pod is the pod's).
	LeaderElect                         bool
	LeaderElectNamespace, LeaderElectID string
}

// newWatchCommand returns the watch subcommand of root, whose options o it
// shares.
func newWatchCommand(root *cobra.Command, o *Options) *cobra.Command {
	w := &watchOptions{o: o}
	examples := watchExamples
	if display := root.DisplayName(); display != "kubedrift" {
		examples = strings.ReplaceAll(examples, "kubedrift ", display+" ")
	}
	cmd := &cobra.Command{
		Use:     "watch [-f FILENAME | -k DIR | --helm CHART | --release NAME | --git REPO]...",
		Short:   "Keep judging the cluster: log each change of verdict, serve Prometheus metrics, optionally reconcile",
		Long:    watchLongHelp,
		Example: examples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := w.validate(); err != nil {
				return err
			}
			stopLogs := startLogs(o.Verbosity, cmd.ErrOrStderr())
			defer stopLogs()
			return w.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	// The root's own flags, the same variables: what names the desired
	// state and how it is judged means the same here. A few are told
	// differently for watch (the same flag, with its own usage).
	usage := map[string]string{
		"filename":     "manifest file or directory (walked recursively for .yaml, .yml and .json), read again at every --resync; repeat for more",
		"selector":     "label selector: live objects that match it belong to the desired state (those no manifest declares are logged as unmanaged); with --auto-reconcile, only objects that match it are reconciled",
		"show-secrets": "log Secret values in the changes instead of masking them",
	}
	for _, name := range []string{
		"filename", "kustomize", "helm", "helm-release", "values", "set", "set-string", "helm-hooks", "release", "git",
		"selector", "all-namespaces", "config", "no-presets", "mode", "strict", "show-secrets", "concurrency", "spare-dry-runs",
		"log-file",
	} {
		flag := root.Flags().Lookup(name)
		if flag == nil {
			panic("watch shares the root command's flag --" + name + ", which is not defined")
		}
		if u, ok := usage[name]; ok {
			own := *flag
			own.Usage = u
			flag = &own
		}
		f.AddFlag(flag)
	}
	f.StringVarP(&w.Output, "output", "o", "text", "log format: text (columns, for a person) or json (one JSON object per line)")
	f.StringVar(&w.MetricsAddr, "metrics-addr", "", "address to serve Prometheus metrics (/metrics) and /healthz on, such as :8080 or 127.0.0.1:9090 (default: none)")
	f.DurationVar(&w.Resync, "resync", 10*time.Minute, "how often to read the manifests again and judge everything, for what the watches missed")
	f.BoolVar(&w.AutoReconcile, "auto-reconcile", false, "put back each drifted or missing object whose labels match -l/--selector (required) by server-side apply, after a dry run; never deletes")
	f.BoolVar(&w.ForceConflicts, "force-conflicts", false, "with --auto-reconcile, take back the fields people changed by hand (kubectl edit, scale, patch, ...; never a controller's)")
	f.StringSliceVar(&w.TakeFrom, "take-from", nil, "with --auto-reconcile, take the fields these field managers own too (a glob each, such as my-operator or hpa-*): the controllers whose writes the manifests overrule; without it no controller's field is taken")
	f.BoolVar(&w.LeaderElect, "leader-elect", false, "with --auto-reconcile, reconcile only while this replica holds a Lease, so that of several replicas one writes; every replica judges and serves metrics")
	f.StringVar(&w.LeaderElectNamespace, "leader-elect-namespace", "", "the Lease's namespace (default: the pod's, or the kubeconfig's)")
	f.StringVar(&w.LeaderElectID, "leader-elect-id", "kubedrift", "the Lease's name: replicas that share it elect one leader")
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("metrics-addr", cobra.NoFileCompletions))
	return cmd
}

// validate checks the options for mistakes that need no cluster to find.
func (w *watchOptions) validate() error {
	if err := w.o.Validate(); err != nil {
		return err
	}
	if slices.Contains(w.o.Filenames, "-") {
		return errors.New("watch reads its manifests again at every --resync, and standard input only once: name files with -f")
	}
	if w.Output != "text" && w.Output != "json" {
		return fmt.Errorf("--output must be text or json, not %q", w.Output)
	}
	if w.Resync <= 0 {
		return fmt.Errorf("--resync must be more than 0, not %s", w.Resync)
	}
	if w.AutoReconcile && w.o.Selector == "" {
		return errors.New("--auto-reconcile needs -l/--selector: only objects whose labels match it are reconciled, so that watch puts back no more than it was pointed at")
	}
	if w.ForceConflicts && !w.AutoReconcile {
		return errors.New("--force-conflicts goes with --auto-reconcile")
	}
	if len(w.TakeFrom) > 0 && !w.AutoReconcile {
		return errors.New("--take-from goes with --auto-reconcile")
	}
	for _, glob := range w.TakeFrom {
		if _, err := path.Match(glob, ""); err != nil {
			return fmt.Errorf("--take-from %q: %w", glob, err)
		}
	}
	if w.LeaderElect && !w.AutoReconcile {
		return errors.New("--leader-elect elects the replica that reconciles: it goes with --auto-reconcile")
	}
	if w.LeaderElect && w.LeaderElectID == "" {
		return errors.New("--leader-elect-id must name the Lease")
	}
	return nil
}

// run watches until ctx ends. Its error is one found at the start: an
// address to serve metrics on that cannot be had, a write log that cannot
// be opened, manifests that cannot be read.
func (w *watchOptions) run(ctx context.Context) error {
	namespace, _, err := w.o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	// Whatever else goes wrong, nothing is written without --auto-reconcile.
	w.o.ReadOnly = !w.AutoReconcile
	events := newEventLog(w.o.streams.Out, w.Output == "json")
	metrics := newWatchMetrics(w.AutoReconcile)

	writeLog := slog.New(slog.DiscardHandler)
	if w.AutoReconcile {
		log, closer, err := w.o.openLog()
		if err != nil {
			return err
		}
		defer closer.Close()
		writeLog = log
	}
	var metricsSrv *metricsServer
	if w.MetricsAddr != "" {
		if metricsSrv, err = listenMetrics(w.MetricsAddr, metrics); err != nil {
			return err
		}
	}

	// Everything started below ends with ctx, and has ended before the
	// write log closes.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	if metricsSrv != nil {
		events.info("serving metrics on %s (/metrics, /healthz)", metricsSrv.Addr())
		wg.Go(func() {
			if err := metricsSrv.Serve(ctx); err != nil {
				events.problem(err)
			}
		})
	}
	s := newSession(w.o, namespace, writeLog)
	s.lean = true
	watch := &reconcile.Watch{
		Judge: sessionJudge{s}, Observer: watchObserver{events, metrics},
		Resync: w.Resync, NeedsCluster: len(w.o.Releases) > 0,
	}
	var lost error
	if w.AutoReconcile {
		selector, _ := labels.Parse(w.o.Selector) // checked by Validate
		watch.Auto = reconcile.NewAuto(autoSource{s},
			reconcile.AutoOptions{Selector: selector, TakeFromPeople: w.ForceConflicts, TakeFrom: w.TakeFrom},
			reportAttempt(events, metrics))
		if !w.LeaderElect {
			wg.Go(func() { watch.Auto.Run(ctx) })
		} else {
			leader, err := w.leader(namespace, events)
			if err != nil {
				return err
			}
			wg.Go(func() {
				// A replica that lost the Lease has stopped writing;
				// it stops altogether, as controllers do, and its
				// restart campaigns again.
				if err := leader.Lead(ctx, watch.Auto.Run); err != nil {
					lost = err
					cancel()
				}
			})
		}
	}
	err = watch.Run(ctx)
	cancel()
	wg.Wait()
	if lost != nil {
		return lost
	}
	return err
}

// leader returns the leader election of this replica, which logs who
// leads.
func (w *watchOptions) leader(namespace string, events *eventLog) (*reconcile.Leader, error) {
	cfg, err := w.o.kube.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if w.LeaderElectNamespace != "" {
		namespace = w.LeaderElectNamespace
	}
	host, _ := os.Hostname()
	l := &reconcile.Leader{Leases: cs.CoordinationV1(), Namespace: namespace, Name: w.LeaderElectID, Identity: host + "_" + string(uuid.NewUUID())}
	l.OnNewLeader = func(who string) {
		if who == l.Identity {
			events.info("leading (Lease %s/%s, as %s): this replica reconciles", namespace, l.Name, who)
		} else {
			events.info("%s leads (Lease %s/%s): this replica judges, and does not reconcile", who, namespace, l.Name)
		}
	}
	events.info("campaigning for the Lease %s/%s as %s", namespace, l.Name, l.Identity)
	return l, nil
}

// sessionJudge is the session as a reconcile.Watch judges through it.
type sessionJudge struct{ *session }

func (s sessionJudge) CheckAll(ctx context.Context) (*drift.Report, []error, error) {
	return s.check(ctx, nil)
}
func (s sessionJudge) Changes() <-chan drift.Ref   { return s.changes }
func (s sessionJudge) Errors() <-chan error        { return s.errors }
func (s sessionJudge) Reconnects() <-chan struct{} { return s.reconnects }

// watchObserver is watch's log and metrics, as a reconcile.Watch tells them
// what it sees.
type watchObserver struct {
	events  *eventLog
	metrics *watchMetrics
}

func (o watchObserver) Verdict(r *drift.Result, prev drift.Status, first bool) {
	o.events.verdict(r, prev, first)
}
func (o watchObserver) DriftEvent()                             { o.metrics.driftEvents.Inc() }
func (o watchObserver) Counts(byStatus map[drift.Status]int)    { o.metrics.setCounts(byStatus) }
func (o watchObserver) Checked(rep *drift.Report, errs []error) { o.events.checked(rep, errs) }
func (o watchObserver) Reached()                                { o.metrics.lastCheck.SetToCurrentTime() }
func (o watchObserver) Problem(err error)                       { o.events.problem(err) }
func (o watchObserver) Info(msg string)                         { o.events.info("%s", msg) }
