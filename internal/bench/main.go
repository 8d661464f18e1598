// Command bench measures kubedrift --check beside kubectl on a real test
// cluster, as `make bench` runs it. For each size it starts the test cluster
// (etcd, kube-apiserver, kube-controller-manager from bin/), seeds it with
// generated applications applied as kubectl apply --server-side would,
// drifts 2.5% of their objects the ways people do, and then times, in turns
// and several times each:
//
//   - a bare LIST of the same kinds (kubectl get -A -o json): the floor;
//   - kubectl diff --server-side --force-conflicts on the manifests: the peer;
//   - kubedrift --check in each mode on the same manifests.
//
// It checks that kubedrift and kubectl diff find the same objects drifted,
// and writes a table of wall time, CPU time and peak memory to -out. The
// cluster is stopped when the benchmark ends or is interrupted. With -hold
// it seeds a cluster, prints the kubedrift command line that reaches it,
// and keeps it until interrupted, for profiling by hand.
//
// The package's tests hold the Go benchmarks of the engine and the loaders,
// which need no cluster (go test -bench . ./internal/bench/), and
// TestProfile, which profiles kubedrift --check in this process against a
// seeded cluster.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

func main() {
	bin := flag.String("bin", "bin", "directory with kubedrift, kubectl and the test cluster's binaries")
	sizes := flag.String("sizes", "2000,10000", "comma-separated numbers of objects to measure at, each on a fresh cluster")
	reps := flag.Int("reps", 0, "runs of each command per size (default 5 up to 2,000 objects, 3 above)")
	out := flag.String("out", "bench/results.md", "file the results table is written to")
	hold := flag.Bool("hold", false, "seed a cluster at the first size, print how to reach it, and keep it until interrupted, measuring nothing: for profiling by hand")
	flag.Parse()

	ns, err := parseSizes(*sizes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -sizes:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if *hold {
		err = holdCluster(ctx, *bin, ns[0])
	} else {
		err = run(ctx, *bin, ns, *reps, *out)
	}
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		// The cluster is stopped; what was cut short is no error to report.
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(f, "_", "")))
		if err != nil || n < objectsPerApp {
			return nil, fmt.Errorf("%q is not a number of objects of at least %d", f, objectsPerApp)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, bin string, sizes []int, reps int, out string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	for _, name := range []string{"kubedrift", "kubectl"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return fmt.Errorf("%s is missing from %s: run `make build tools`", name, bin)
		}
	}
	os.Setenv("KUBEBUILDER_ASSETS", bin)
	rep := &report{machine: describeMachine(ctx, bin)}
	var mismatched bool
	for _, n := range sizes {
		r := reps
		if r <= 0 {
			r = 5
			if n > 2000 {
				r = 3
			}
		}
		res, err := measureSize(ctx, bin, n, r)
		if err != nil {
			return fmt.Errorf("%d objects: %w", n, err)
		}
		rep.sizes = append(rep.sizes, res)
		mismatched = mismatched || len(res.mismatches) > 0
		if err := rep.write(out); err != nil {
			return err
		}
		fmt.Print(res.markdown())
	}
	logf("results in %s", out)
	if mismatched {
		return fmt.Errorf("kubedrift and kubectl diff disagree on what drifted; see %s", out)
	}
	return nil
}

// seeded is a test cluster seeded for the benchmark.
type seeded struct {
	cluster *testcluster.Cluster
	// dir holds the manifests and the discovery cache.
	dir, manifests, kubeconfig string
	objects                    int
	drifts                     []edit
}

// seedCluster starts a test cluster and seeds it with about n objects, of
// which it drifts 2.5%. On error nothing is left running.
func seedCluster(ctx context.Context, n int) (sc *seeded, err error) {
	logf("%d objects: starting the test cluster", n)
	c, err := testcluster.Start()
	if err != nil {
		return nil, err
	}
	sc = &seeded{cluster: c}
	defer func() {
		if err != nil {
			sc.stop()
		}
	}()
	if sc.dir, err = os.MkdirTemp("", "kubedrift-bench-"); err != nil {
		return nil, err
	}
	sc.manifests = filepath.Join(sc.dir, "manifests")
	if err := os.Mkdir(sc.manifests, 0o755); err != nil {
		return nil, err
	}
	objs := Generate(n)
	files, err := WriteManifests(sc.manifests, objs)
	if err != nil {
		return nil, err
	}
	sc.objects = len(objs)
	logf("%d objects in %d files", len(objs), len(files))

	s, err := newSeeder(c.Admin, logf)
	if err != nil {
		return nil, err
	}
	if err := s.seed(ctx, objs); err != nil {
		return nil, err
	}
	sc.drifts = edits(n)
	if err := s.drift(ctx, sc.drifts, apps(n)); err != nil {
		return nil, err
	}
	sc.kubeconfig, err = c.KubeconfigFile(testcluster.AdminUser)
	return sc, err
}

// stop stops the cluster and removes the manifests.
func (sc *seeded) stop() error {
	logf("stopping the test cluster")
	err := sc.cluster.Stop()
	if sc.dir != "" {
		os.RemoveAll(sc.dir)
	}
	return err
}

// holdCluster seeds a cluster and keeps it until ctx ends.
func holdCluster(ctx context.Context, bin string, n int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	os.Setenv("KUBEBUILDER_ASSETS", bin)
	sc, err := seedCluster(ctx, n)
	if err != nil {
		return err
	}
	defer sc.stop()
	logf("ready; interrupt to stop the cluster:\n\n  %s --kubeconfig=%s --cache-dir=%s --check -f %s\n",
		filepath.Join(bin, "kubedrift"), sc.kubeconfig, filepath.Join(sc.dir, "cache"), sc.manifests)
	<-ctx.Done()
	return nil
}

// measureSize runs the benchmark at about n objects on a cluster of its own.
func measureSize(ctx context.Context, bin string, n, reps int) (res *sizeResult, err error) {
	sc, err := seedCluster(ctx, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := sc.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	seeded := map[string]bool{}
	for _, e := range sc.drifts {
		seeded[e.ref] = true
	}
	cmds := commands(bin, sc.kubeconfig, filepath.Join(sc.dir, "cache"), sc.manifests)
	server := findServer(sc.cluster.Admin.Host)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		// kubectl diff runs diff -u -N, not whatever the user set.
		return strings.HasPrefix(kv, "KUBECTL_EXTERNAL_DIFF=")
	})
	res = &sizeResult{objects: sc.objects, drifted: len(sc.drifts), reps: reps, commands: cmds, samples: map[string][]sample{}, load: [2]string{loadAverage()}}
	check := func(c command, got map[string]bool) {
		if c.verdicts == nil {
			return
		}
		// kubectl diff is held to what was seeded, and kubedrift to
		// kubectl diff.
		msg := compare(c.name, got, "the seeding", seeded)
		if c.role == peer {
			res.peerVerdicts = got
		} else if res.peerVerdicts != nil {
			msg = compare(c.name, got, cmds[1].name, res.peerVerdicts)
		}
		if msg != "" && !slices.Contains(res.mismatches, msg) {
			logf("verdicts differ: %s", msg)
			res.mismatches = append(res.mismatches, msg)
		}
	}
	// A first, untimed run of each fills the discovery caches, as on a
	// user's machine, and takes the first verdicts.
	for _, c := range cmds {
		logf("warm-up: %s", c.name)
		_, got, err := c.run(ctx, env, server)
		if err != nil {
			return nil, err
		}
		check(c, got)
	}
	for r := range reps {
		for j := range cmds {
			// In turns, each starting from another command, so that
			// no command always follows the same one.
			c := cmds[(j+r)%len(cmds)]
			s, got, err := c.run(ctx, env, server)
			if err != nil {
				return nil, err
			}
			logf("run %d/%d: %-28s %6.2fs wall %6.2fs CPU %5d MB %6.2fs API server CPU", r+1, reps, c.name, s.wall.Seconds(), s.cpu.Seconds(), s.rss>>20, s.server.Seconds())
			res.samples[c.name] = append(res.samples[c.name], s)
			check(c, got)
		}
	}
	res.load[1] = loadAverage()
	return res, nil
}

// commands returns the commands to time, the floor first and the peer
// second.
func commands(bin, kubeconfig, cacheDir, manifests string) []command {
	kubectl := filepath.Join(bin, "kubectl")
	kubedrift := filepath.Join(bin, "kubedrift")
	common := []string{"--kubeconfig=" + kubeconfig, "--cache-dir=" + cacheDir}
	cmds := []command{
		{name: "LIST (kubectl get -A)", role: floor, path: kubectl,
			args: append(slices.Clone(common), "get", strings.Join(kinds, ","), "-A", "-o", "json")},
		{name: "kubectl diff --server-side", role: peer, path: kubectl, exit: 1, verdicts: kubectlDiffVerdicts,
			args: append(slices.Clone(common), "diff", "--server-side", "--force-conflicts", "-f", manifests)},
	}
	kubedriftWith := func(r role, flags ...string) command {
		return command{name: "kubedrift " + strings.Join(flags, " "), role: r, path: kubedrift, exit: 1, verdicts: kubedriftVerdicts,
			args: slices.Concat(common, []string{"--check", "-f", manifests}, flags)}
	}
	return append(cmds,
		kubedriftWith(subject, "--mode=offline"),
		kubedriftWith(subject, "--mode=server"),
		kubedriftWith(subject, "--mode=auto"),
		// A dry run for every object, as server mode did before it spared
		// those whose answer is certain.
		kubedriftWith(reference, "--mode=server", "--spare-dry-runs=false"),
	)
}
