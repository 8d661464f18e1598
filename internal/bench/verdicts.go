package main

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// kubectlDiffVerdicts reads the objects kubectl diff shows a difference
// for from its output: diff -u -N prints a header line for each pair of
// files that differ, and kubectl names each file
// [group.]version.kind.namespace.name. It returns them named as kubedrift
// names them ("Deployment.apps bench-0003/web"), which needs the names and
// namespaces to have no dots, as the benchmark's have none.
func kubectlDiffVerdicts(out []byte) (map[string]bool, error) {
	found := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "diff ") {
			continue
		}
		fields := strings.Fields(line)
		parts := strings.Split(filepath.Base(fields[len(fields)-1]), ".")
		if len(parts) < 4 {
			return nil, fmt.Errorf("kubectl diff: cannot read the object of %q", line)
		}
		n := len(parts)
		name, ns, kind, group := parts[n-1], parts[n-2], parts[n-3], strings.Join(parts[:n-4], ".")
		found[refName(group, kind, ns, name)] = true
	}
	return found, sc.Err()
}

// refName names an object as drift.Ref's String does.
func refName(group, kind, namespace, name string) string {
	if group != "" {
		kind += "." + group
	}
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// kubedriftVerdicts reads the objects kubedrift's text report calls drifted
// or missing. Each object's line starts with its status, then its name
// ("Deployment.apps bench-0003/web"), then where it was declared; what is
// said about it is indented under it. An object it could not judge is an
// error.
func kubedriftVerdicts(out []byte) (map[string]bool, error) {
	found := map[string]bool{}
	var errs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' {
			continue
		}
		status, rest, ok := cutStatus(line)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			return nil, fmt.Errorf("kubedrift: cannot read the object of %q", line)
		}
		ref := fields[0] + " " + fields[1]
		switch status {
		case "drifted", "missing":
			found[ref] = true
		case "error":
			errs = append(errs, ref)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("kubedrift could not judge %d objects: %s", len(errs), strings.Join(errs[:min(len(errs), 5)], ", "))
	}
	return found, sc.Err()
}

// cutStatus splits a report line into its status and the rest.
func cutStatus(line string) (status, rest string, ok bool) {
	for _, s := range []string{"in sync", "drifted", "missing", "error", "unmanaged"} {
		if r, ok := strings.CutPrefix(line, s+" "); ok {
			return s, r, true
		}
	}
	return "", "", false
}

// compare describes how got differs from want, "" when it does not.
func compare(gotName string, got map[string]bool, wantName string, want map[string]bool) string {
	var extra, lacking []string
	for r := range got {
		if !want[r] {
			extra = append(extra, r)
		}
	}
	for r := range want {
		if !got[r] {
			lacking = append(lacking, r)
		}
	}
	if len(extra)+len(lacking) == 0 {
		return ""
	}
	slices.Sort(extra)
	slices.Sort(lacking)
	clip := func(s []string) string {
		if len(s) > 5 {
			return strings.Join(s[:5], ", ") + fmt.Sprintf(" and %d more", len(s)-5)
		}
		return strings.Join(s, ", ")
	}
	var parts []string
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%d only %s reports (%s)", len(extra), gotName, clip(extra)))
	}
	if len(lacking) > 0 {
		parts = append(parts, fmt.Sprintf("%d only %s reports (%s)", len(lacking), wantName, clip(lacking)))
	}
	return strings.Join(parts, "; ")
}
