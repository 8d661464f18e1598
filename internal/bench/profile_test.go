package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// TestProfile finds where kubedrift --check spends its time on a cluster of
// the benchmark's size: it seeds the test cluster as `make bench` does, runs
// the check in this process in each mode, and writes a CPU profile of the
// timed runs and a heap profile of the last, per mode, into
// $KUBEDRIFT_PROFILE_DIR (default: the working directory). It runs only when
// KUBEDRIFT_PROFILE_OBJECTS is set, to the number of objects:
//
//	KUBEDRIFT_PROFILE_OBJECTS=2000 go test -run Profile -v ./internal/bench/
//	go tool pprof -top cpu-offline.pprof
//
// KUBEDRIFT_PROFILE_MODES picks the modes (default offline,server,auto) and
// KUBEDRIFT_PROFILE_RUNS the timed runs of each (default 3).
func TestProfile(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("KUBEDRIFT_PROFILE_OBJECTS"))
	if err != nil {
		t.Skip("set KUBEDRIFT_PROFILE_OBJECTS to the number of objects to profile kubedrift --check with")
	}
	modes := strings.Split(envOr("KUBEDRIFT_PROFILE_MODES", "offline,server,auto"), ",")
	runs, _ := strconv.Atoi(envOr("KUBEDRIFT_PROFILE_RUNS", "3"))
	dir := envOr("KUBEDRIFT_PROFILE_DIR", ".")
	ctx := t.Context()

	c, err := testcluster.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	manifests := t.TempDir()
	objs := Generate(n)
	if _, err := WriteManifests(manifests, objs); err != nil {
		t.Fatal(err)
	}
	s, err := newSeeder(c.Admin, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.seed(ctx, objs); err != nil {
		t.Fatal(err)
	}
	drifts := edits(n)
	if err := s.drift(ctx, drifts, apps(n)); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := c.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()

	check := func(mode string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, "kubedrift", []string{"--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "--check", "-f", manifests, "--mode=" + mode},
			genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code != cli.ExitDrift {
			t.Fatalf("--mode=%s exited %d, want %d\n%s%s", mode, code, cli.ExitDrift, tail(out.String()), errOut.String())
		}
		found, err := kubedriftVerdicts(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != len(drifts) {
			t.Fatalf("--mode=%s found %d objects drifted, want %d", mode, len(found), len(drifts))
		}
	}
	for _, mode := range modes {
		check(mode) // untimed: fills the discovery cache
		f, err := os.Create(filepath.Join(dir, "cpu-"+mode+".pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		peak := watchHeap()
		for range runs {
			check(mode)
		}
		elapsed := time.Since(start)
		pprof.StopCPUProfile()
		f.Close()
		heap, top := peak()
		if err := os.WriteFile(filepath.Join(dir, "heap-"+mode+".pprof"), heap, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("--mode=%s: %s a run on average, %d runs; live heap at most %d MB", mode, elapsed/time.Duration(runs), runs, top>>20)
	}
}

// watchHeap samples the heap until the returned function is called, and
// returns then a heap profile taken when the heap that the last collection
// found live was largest, with that size. A profile taken after a run would
// show what is left over, not what the run held at its peak; and the heap
// in use includes garbage the collector lets grow up to as much again.
func watchHeap() func() ([]byte, uint64) {
	done := make(chan struct{})
	finished := make(chan struct{})
	var (
		profile []byte
		top     uint64
	)
	go func() {
		defer close(finished)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > top {
				top = live
				var b bytes.Buffer
				if err := pprof.Lookup("heap").WriteTo(&b, 0); err == nil {
					profile = b.Bytes()
				}
			}
		}
	}()
	return func() ([]byte, uint64) {
		close(done)
		<-finished
		return profile, top
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
