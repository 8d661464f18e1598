package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
	"github.com/kubedrift/kubedrift/report"
)

// eventLog writes what kubedrift watch has to say, one line per event:
// columns for a person (text), or one JSON object per line for a log
// pipeline (json). Every line starts with its time; in JSON, "event" says
// what the line is: verdict, check, reconcile, error or info. Lines are
// written whole, one at a time, from any goroutine.
type eventLog struct {
	mu   sync.Mutex
	out  io.Writer
	json bool
	// now is the clock; tests fix it.
	now func() time.Time
}

func newEventLog(out io.Writer, jsonLines bool) *eventLog {
	return &eventLog{out: out, json: jsonLines, now: time.Now}
}

// timeFormat is RFC 3339 in UTC with milliseconds, so that lines sort and
// two changes within a second keep their order.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// Events of the JSON lines.
const (
	eventVerdict   = "verdict"
	eventCheck     = "check"
	eventReconcile = "reconcile"
	eventError     = "error"
	eventInfo      = "info"
)

// jsonVerdict is a verdict that changed: the object's verdict as the JSON
// report has it, and the status it had before.
type jsonVerdict struct {
	Time  string `json:"time"`
	Event string `json:"event"`
	// PreviousStatus is empty for an object's first verdict.
	PreviousStatus string `json:"previousStatus,omitempty"`
	report.JSONResult
}

// jsonCheck ends a check of the whole desired state.
type jsonCheck struct {
	Time    string             `json:"time"`
	Event   string             `json:"event"`
	Message string             `json:"message"`
	Summary report.JSONSummary `json:"summary"`
}

// jsonReconcile is one action of --auto-reconcile.
type jsonReconcile struct {
	Time   string `json:"time"`
	Event  string `json:"event"`
	Object string `json:"object"`
	// Result is applied, failed or skipped, as the metric counts it.
	Result  string `json:"result"`
	Action  string `json:"action,omitempty"`
	Manager string `json:"manager,omitempty"`
	Message string `json:"message"`
}

// jsonMessage is an error or a piece of information.
type jsonMessage struct {
	Time    string `json:"time"`
	Event   string `json:"event"`
	Message string `json:"message"`
}

// verdict logs r, whose verdict differs from the one it had, prev; first
// says it has none before.
//
//	2026-01-02T15:04:05.000Z  drifted    Deployment.apps shop/web  k8s/web.yaml:2  (was in sync)  spec.replicas: 5 -> 3 (live value by kubectl-scale)
func (l *eventLog) verdict(r *drift.Result, prev drift.Status, first bool) {
	now := l.now()
	if l.json {
		v := jsonVerdict{Time: now.UTC().Format(timeFormat), Event: eventVerdict, JSONResult: report.JSONResultOf(r)}
		if !first {
			v.PreviousStatus = report.JSONStatus(prev)
		}
		l.writeJSON(v)
		return
	}
	cols := []string{r.Ref.String()}
	if !r.Origin.IsZero() {
		cols = append(cols, r.Origin.String())
	}
	if !first {
		cols = append(cols, "(was "+prev.String()+")")
	}
	if details := report.Details(r, now); details != "" {
		cols = append(cols, details)
	}
	l.writeText(now, r.Status.String(), strings.Join(cols, "  "))
}

// checked logs the end of a check of the whole desired state, with its
// counts.
func (l *eventLog) checked(rep *drift.Report, inputErrs []error) {
	now := l.now()
	summary := report.Summary(rep, inputErrs)
	if l.json {
		l.writeJSON(jsonCheck{Time: now.UTC().Format(timeFormat), Event: eventCheck, Message: summary, Summary: report.JSONSummaryOf(rep, inputErrs)})
		return
	}
	l.writeText(now, "checked", summary)
}

// reconciled logs one action of --auto-reconcile: line says it all, as
// describeOutcome words it ("applied    Deployment.apps shop/web (as
// kubectl), now in sync"); oc, when the write was tried, adds the action
// and the field manager to the JSON.
func (l *eventLog) reconciled(ref drift.Ref, result reconcile.AutoResult, oc *reconcile.Outcome, line string) {
	now := l.now()
	if !l.json {
		l.writeText(now, "", line)
		return
	}
	e := jsonReconcile{Time: now.UTC().Format(timeFormat), Event: eventReconcile, Object: ref.String(), Result: string(result), Message: strings.Join(strings.Fields(line), " ")}
	if oc != nil {
		e.Action, e.Manager = string(oc.Action), oc.Manager
	}
	l.writeJSON(e)
}

// problem logs an error that watch lives on with: the cluster went away, a
// manifest could not be read at a resync.
func (l *eventLog) problem(err error) {
	l.message(eventError, err.Error())
}

// info logs what watch is doing: where it serves its metrics, that it
// stops.
func (l *eventLog) info(format string, args ...any) {
	l.message(eventInfo, fmt.Sprintf(format, args...))
}

func (l *eventLog) message(event, msg string) {
	now := l.now()
	if l.json {
		l.writeJSON(jsonMessage{Time: now.UTC().Format(timeFormat), Event: event, Message: msg})
		return
	}
	l.writeText(now, event, msg)
}

// statusWidth is the width of the second column, which holds a status
// ("unmanaged" is the longest), an event, or the first word of an
// outcome as describeOutcome pads it.
const statusWidth = 10

// writeText writes one line: the time, word padded to statusWidth (none
// when text starts with its own word), and text, on one line whatever it
// holds.
func (l *eventLog) writeText(now time.Time, word, text string) {
	line := now.UTC().Format(timeFormat) + "  "
	if word != "" {
		line += fmt.Sprintf("%-*s ", statusWidth, word)
	}
	line += strings.ReplaceAll(text, "\n", " ")
	l.write([]byte(line + "\n"))
}

func (l *eventLog) writeJSON(v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	// Images and diffs hold <, > and &; escaping them helps no reader of
	// a log.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Values read from JSON and YAML always encode; should one not,
		// the line still says what happened.
		b.Reset()
		_ = enc.Encode(jsonMessage{Time: l.now().UTC().Format(timeFormat), Event: eventError, Message: "encode a watch event: " + err.Error()})
	}
	l.write([]byte(b.String()))
}

func (l *eventLog) write(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A log that cannot be written has nobody to tell.
	_, _ = l.out.Write(line)
}
