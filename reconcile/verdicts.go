package reconcile

import (
	"slices"
	"strings"

	"github.com/kubedrift/kubedrift/drift"
)

// verdictKey is what a line of kubedrift watch tells about an object: its
// status, why it could not be judged, and which fields differ. Only a change
// of these is logged: a Deployment whose replicas move from 5 to 7 while
// they differ from the manifest's 3 stays drifted in the same field, and the
// Deployment controller's writes to its status change nothing at all.
type verdictKey struct {
	status drift.Status
	reason drift.Reason
	// fields are the paths of the changed fields, sorted, joined by NUL
	// (which no path holds) so that the key is comparable.
	fields string
}

func keyOf(r *drift.Result) verdictKey {
	paths := make([]string, len(r.Changes))
	for i, c := range r.Changes {
		paths[i] = c.Path
	}
	slices.Sort(paths)
	return verdictKey{status: r.Status, reason: r.Reason, fields: strings.Join(paths, "\x00")}
}

// verdicts remembers the last verdict on each object, to tell which
// verdicts changed, and counts them by status. It belongs to one goroutine.
type verdicts struct {
	last     map[drift.Ref]verdictKey
	byStatus map[drift.Status]int
}

func newVerdicts() *verdicts {
	return &verdicts{last: map[drift.Ref]verdictKey{}, byStatus: map[drift.Status]int{}}
}

// verdictChange says how a verdict compares with the one before it.
type verdictChange struct {
	// Changed is true when the status, the reason or the changed fields
	// differ from the last verdict, or there was none.
	Changed bool
	// First is true when there was no verdict on the object before.
	First bool
	// Previous is the status of the last verdict, when there was one.
	Previous drift.Status
}

// driftEvent reports whether the object has just become drifted or missing
// after having been judged otherwise. The first verdict on an object is no
// event: nobody saw it change.
func (c verdictChange) driftEvent(now drift.Status) bool {
	return !c.First && c.Previous != now && (now == drift.Drifted || now == drift.Missing)
}

// record remembers r as its object's verdict and says how it compares with
// the one before.
func (v *verdicts) record(r *drift.Result) verdictChange {
	key := keyOf(r)
	prev, seen := v.last[r.Ref]
	if seen {
		v.byStatus[prev.status]--
	}
	v.last[r.Ref] = key
	v.byStatus[key.status]++
	return verdictChange{Changed: !seen || prev != key, First: !seen, Previous: prev.status}
}

// keepOnly forgets the objects that results have no verdict on: those no
// manifest declares any more, unmanaged objects that are gone.
func (v *verdicts) keepOnly(results []drift.Result) {
	judged := make(map[drift.Ref]bool, len(results))
	for i := range results {
		judged[results[i].Ref] = true
	}
	for ref, key := range v.last {
		if !judged[ref] {
			delete(v.last, ref)
			v.byStatus[key.status]--
		}
	}
}

// counts returns how many objects have each status; the map is the
// tracker's own, to read before the next record.
func (v *verdicts) counts() map[drift.Status]int {
	return v.byStatus
}
