package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// report is everything the benchmark measured.
type report struct {
	machine string
	sizes   []*sizeResult
}

// sizeResult is what was measured at one size.
type sizeResult struct {
	objects, drifted, reps int
	commands               []command
	samples                map[string][]sample
	// peerVerdicts are kubectl diff's; mismatches say where others differ.
	peerVerdicts map[string]bool
	mismatches   []string
	// load is the load average before and after the timed runs.
	load [2]string
}

// write writes the report as Markdown to path.
func (r *report) write(path string) error {
	var b strings.Builder
	b.WriteString("# kubedrift beside kubectl\n\n")
	b.WriteString("Written by `make bench` (internal/bench); re-run it rather than edit this file.\n\n")
	b.WriteString(r.machine)
	b.WriteString("\nEach command ran against the same manifests on the same cluster, the commands in turns, " +
		"after one untimed run of each that filled the discovery caches. " +
		"Figures are the median, with the least and greatest in brackets. CPU is user plus system time " +
		"of the command and the processes it waited for (kubectl diff runs diff); memory is the peak resident set. " +
		"The API server shares the machine: the wall times include its work, the CPU column does not, " +
		"and the API server column is the CPU time kube-apiserver spent while the command ran (etcd's is not counted).\n")
	for _, s := range r.sizes {
		b.WriteString("\n")
		b.WriteString(s.markdown())
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// markdown is the table and the checks of one size.
func (s *sizeResult) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s objects, %d drifted\n\n", thousands(s.objects), s.drifted)
	fmt.Fprintf(&b, "%d timed runs of each command; load average %s before, %s after.\n\n", s.reps, s.load[0], s.load[1])
	b.WriteString("| command | wall | CPU | peak RSS | API server CPU | wall / kubectl diff | wall / LIST |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	medians := map[role]time.Duration{}
	for _, c := range s.commands {
		if c.role == floor || c.role == peer {
			medians[c.role] = wallSpread(s.samples[c.name]).median
		}
	}
	for _, c := range s.commands {
		samples := s.samples[c.name]
		wall, cpu, rss := wallSpread(samples), cpuSpread(samples), rssSpread(samples)
		server := spreadOf(collect(samples, func(x sample) time.Duration { return x.server }))
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", c.name,
			durations(wall), durations(cpu),
			fmt.Sprintf("%d MB (%d–%d)", rss.median>>20, rss.min>>20, rss.max>>20),
			durations(server),
			ratio(wall.median, medians[peer]), ratio(wall.median, medians[floor]))
	}
	b.WriteString("\nTargets (DESIGN.md, \"Performance targets\"):\n\n")
	for _, c := range s.commands {
		if c.role != subject {
			continue
		}
		samples := s.samples[c.name]
		wall, rss := wallSpread(samples).median, rssSpread(samples).max
		switch {
		case strings.HasSuffix(c.name, "offline"):
			b.WriteString(target(fmt.Sprintf("%s within 2x of the bare LIST", c.name),
				fmt.Sprintf("takes %s the LIST's time, at most 2x allowed", ratio(wall, medians[floor])), wall <= 2*medians[floor]))
		default:
			b.WriteString(target(fmt.Sprintf("%s at least 10x faster than kubectl diff --server-side", c.name),
				fmt.Sprintf("takes %s kubectl diff's time, at most 0.10x allowed", ratio(wall, medians[peer])), 10*wall <= medians[peer]))
		}
		if s.objects >= 10000 {
			b.WriteString(target(fmt.Sprintf("%s under 300 MB resident", c.name), fmt.Sprintf("%d MB at most", rss>>20), rss < 300<<20))
		}
	}
	b.WriteString("\nTargets of issue 21 (auto mode at the speed of a LIST):\n\n")
	for _, c := range s.commands {
		samples := s.samples[c.name]
		wall, rss := wallSpread(samples).median, rssSpread(samples).max
		switch {
		case c.role == subject && strings.HasSuffix(c.name, "auto"):
			b.WriteString(target(fmt.Sprintf("%s within 1.3x of the bare LIST", c.name),
				fmt.Sprintf("takes %s the LIST's time, at most 1.3x allowed", ratio(wall, medians[floor])), 10*wall <= 13*medians[floor]))
			b.WriteString(target(fmt.Sprintf("%s at least 20x faster than kubectl diff --server-side", c.name),
				fmt.Sprintf("takes %s kubectl diff's time, at most 0.05x allowed", ratio(wall, medians[peer])), 20*wall <= medians[peer]))
			if s.objects >= 10000 {
				b.WriteString(target(fmt.Sprintf("%s under 200 MB resident", c.name), fmt.Sprintf("%d MB at most", rss>>20), rss < 200<<20))
			}
		case c.role == reference:
			b.WriteString(target(fmt.Sprintf("%s (every dry run sent, as where webhooks need them) at least 10x faster than kubectl diff --server-side", c.name),
				fmt.Sprintf("takes %s kubectl diff's time, at most 0.10x allowed", ratio(wall, medians[peer])), 10*wall <= medians[peer]))
		}
	}
	b.WriteString("\nVerdicts: ")
	if len(s.mismatches) == 0 {
		fmt.Fprintf(&b, "in every run, kubectl diff and kubedrift in each mode found the same %d objects drifted or missing, the ones the benchmark drifted.\n", len(s.peerVerdicts))
	} else {
		b.WriteString("they differ.\n\n")
		for _, m := range s.mismatches {
			b.WriteString("- " + m + "\n")
		}
	}
	return b.String()
}

func target(what, measured string, met bool) string {
	verdict := "met"
	if !met {
		verdict = "**missed**"
	}
	return fmt.Sprintf("- %s: %s, %s\n", what, measured, verdict)
}

func wallSpread(s []sample) spread[time.Duration] {
	return spreadOf(collect(s, func(x sample) time.Duration { return x.wall }))
}

func cpuSpread(s []sample) spread[time.Duration] {
	return spreadOf(collect(s, func(x sample) time.Duration { return x.cpu }))
}

func rssSpread(s []sample) spread[int64] {
	return spreadOf(collect(s, func(x sample) int64 { return x.rss }))
}

func collect[T any](s []sample, f func(sample) T) []T {
	out := make([]T, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}

func durations(s spread[time.Duration]) string {
	return fmt.Sprintf("%.2f s (%.2f–%.2f)", s.median.Seconds(), s.min.Seconds(), s.max.Seconds())
}

// ratio formats a/b, "" when either is unknown.
func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return ""
	}
	r := float64(a) / float64(b)
	if r < 0.1 {
		return fmt.Sprintf("%.3fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// describeMachine says where and when the benchmark ran.
func describeMachine(ctx context.Context, bin string) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kube := "unknown"
	if out, err := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), "version", "--client").Output(); err == nil {
		kube = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(out), "\n", 2)[0], "Client Version: "))
	}
	return fmt.Sprintf("- date: %s\n- machine: %d cores (%s), %s/%s\n- Go: %s\n- Kubernetes (test cluster and kubectl): %s\n",
		time.Now().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, runtime.Version(), kube)
}

// loadAverage returns the one-minute load average, "?" where unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
