package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serverProcess is the test cluster's kube-apiserver, whose CPU time each
// measurement also takes, since the server shares the machine.
type serverProcess struct {
	stat string // its /proc/PID/stat
}

// findServer finds the kube-apiserver that serves host (https://IP:PORT) by
// its --secure-port; nil where there is no /proc to look in.
func findServer(host string) *serverProcess {
	u, err := url.Parse(host)
	if err != nil {
		return nil
	}
	flag := []byte("--secure-port=" + u.Port())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(cmdline, []byte{0})
		if len(args) == 0 || filepath.Base(string(args[0])) != "kube-apiserver" {
			continue
		}
		for _, a := range args {
			if bytes.Equal(a, flag) {
				return &serverProcess{stat: filepath.Join(dir, "stat")}
			}
		}
	}
	return nil
}

// clockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on
// every Linux the benchmark runs on.
const clockTick = 10 * time.Millisecond

// cpu returns the server's CPU time so far, user and system; 0 if unknown.
func (p *serverProcess) cpu() time.Duration {
	if p == nil {
		return 0
	}
	b, err := os.ReadFile(p.stat)
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces; the fields after
	// it are numbered from 3: utime is the 14th, stime the 15th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}
