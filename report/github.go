package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubedrift/kubedrift/drift"
)

// writeGitHub writes GitHub Actions workflow commands
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions),
// which the runner turns into annotations on the files of a pull request:
//
//   - an error for each drifted or missing object and each object that could
//     not be judged, at its origin's file and line (no line for a rendered
//     template, neither for an origin that is no file);
//   - a warning, with no file, for each unmanaged object: no manifest
//     declares it, so there is no file to point at;
//   - a notice for an object in sync that has foreign fields;
//   - an error for each input error, at its file and line.
//
// Then, per object with a diff, a collapsed log group holds the diff, and
// the summary line ends the log. The runner shows only the first few
// annotations of each kind per step; the log has everything.
func writeGitHub(w io.Writer, rep *drift.Report, inputErrs []error, opts Options) error {
	bw := bufio.NewWriter(w)
	for i := range rep.Results {
		r := &rep.Results[i]
		if !needsAttention(r) {
			continue
		}
		file, line := r.Origin.Position()
		command, title := "error", "kubedrift: "+r.Status.String()+" "+r.Ref.String()
		switch {
		case r.Status == drift.Unmanaged:
			command, file, line = "warning", "", 0
		case r.Status == drift.InSync:
			command, title = "notice", "kubedrift: foreign fields on "+r.Ref.String()
		}
		bw.WriteString(workflowCommand(command, file, line, title, githubMessage(r, opts)))
	}
	for _, err := range inputErrs {
		origin, msg := inputError(err)
		file, line := origin.Position()
		title := "kubedrift: input error"
		if o := origin.String(); o != "" && file == "" {
			// With no file to annotate, the title says where.
			title += " in " + o
		}
		bw.WriteString(workflowCommand("error", file, line, title, msg))
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if !isDrift(r.Status) {
			continue
		}
		diff := r.DiffContext(opts.DiffContext)
		if diff == "" {
			continue
		}
		bw.WriteString("::group::" + escapeData(r.Status.String()+" "+r.Ref.String()) + "\n")
		writeUntrusted(bw, diff)
		bw.WriteString("::endgroup::\n")
	}
	bw.WriteString(Summary(rep, inputErrs) + "\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write github annotations: %w", err)
	}
	return nil
}

// githubMessage is the body of r's annotation: what its status means, then
// what is wrong, one finding per line.
func githubMessage(r *drift.Result, opts Options) string {
	var lines []string
	if words := verdictWords(r); words != "" {
		lines = append(lines, words)
	}
	if r.Status == drift.Drifted && len(r.Changes) == 0 {
		lines = append(lines, "differs from the desired state; the diff is in the log")
	}
	lines = append(lines, findings(r, opts.Now)...)
	return strings.Join(lines, "\n")
}

// workflowCommand formats one annotation command, ending in a newline:
// ::error file=F,line=N,title=T::message. file and line are left out when
// file is "", line when it is 0.
func workflowCommand(command, file string, line int, title, message string) string {
	var props []string
	if file != "" {
		props = append(props, "file="+escapeProperty(file))
		if line > 0 {
			props = append(props, "line="+strconv.Itoa(line))
		}
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	s := "::" + command
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + escapeData(message) + "\n"
}

// escapeData escapes a command's message as the runner unescapes it (the
// toolkit's escapeData): % first, then the line breaks that would end the
// command.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a command's property value (the toolkit's
// escapeProperty): as data, and also the : and , that separate properties.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// writeUntrusted writes text that comes from the objects (a diff) into the
// log with workflow commands stopped around it: the runner reads a command
// on any line that starts with :: once leading spaces are trimmed, and a
// context line of a diff (" ::add-mask::x" in a ConfigMap's script) would
// otherwise run as one. The token that resumes commands is a hash of text,
// which text cannot contain.
func writeUntrusted(bw *bufio.Writer, text string) {
	sum := sha256.Sum256([]byte(text))
	token := "kubedrift-" + hex.EncodeToString(sum[:16])
	bw.WriteString("::stop-commands::" + token + "\n")
	bw.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		bw.WriteString("\n")
	}
	bw.WriteString("::" + token + "::\n")
}
