package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// command is one of the commands the benchmark times.
type command struct {
	// name is its row in the table.
	name string
	// role says what it stands for: the floor, the peer, kubedrift, or
	// kubedrift in a setting measured for comparison only.
	role role
	path string
	args []string
	// exit is the exit code it must end with: 1 when it reports drift.
	exit int
	// verdicts reads the objects it reports as drifted or missing from its
	// output; nil when it reports none (the bare LIST).
	verdicts func(out []byte) (map[string]bool, error)
}

type role int

const (
	floor role = iota
	peer
	subject
	// reference is kubedrift as it is not run by default, held to no
	// target.
	reference
)

// sample is what one run of a command cost.
type sample struct {
	wall, cpu time.Duration
	// rss is the peak resident set size, in bytes, of the command and the
	// processes it waited for.
	rss int64
	// server is the CPU time kube-apiserver spent meanwhile.
	server time.Duration
}

// run runs c once and returns its cost and its verdicts.
func (c command) run(ctx context.Context, env []string, server *serverProcess) (sample, map[string]bool, error) {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = env
	var out, stderr bytes.Buffer
	if c.verdicts == nil {
		devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return sample{}, nil, err
		}
		defer devNull.Close()
		cmd.Stdout = devNull
	} else {
		cmd.Stdout = &out
	}
	cmd.Stderr = &stderr
	serverBefore := server.cpu()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	serverCPU := server.cpu() - serverBefore
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return sample{}, nil, ctx.Err()
	case err == nil && c.exit == 0:
	case errors.As(err, &exit) && exit.ExitCode() == c.exit:
	case err == nil:
		return sample{}, nil, fmt.Errorf("%s exited 0, not %d\n%s", c.name, c.exit, tail(stderr.String()))
	default:
		return sample{}, nil, fmt.Errorf("%s: %w\n%s%s", c.name, err, tail(out.String()), tail(stderr.String()))
	}
	s := sample{wall: wall, server: serverCPU}
	s.cpu, s.rss = usage(cmd.ProcessState)
	if c.verdicts == nil {
		return s, nil, nil
	}
	v, err := c.verdicts(out.Bytes())
	if err != nil {
		return s, nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return s, v, nil
}

// tail returns the end of a command's output, for an error message.
func tail(s string) string {
	const n = 3000
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// spread is the median, least and greatest of some figures.
type spread[T int64 | time.Duration] struct {
	median, min, max T
}

func spreadOf[T int64 | time.Duration](values []T) spread[T] {
	if len(values) == 0 {
		return spread[T]{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread[T]{median: m, min: v[0], max: v[len(v)-1]}
}
