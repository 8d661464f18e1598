package drift

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// ErrUnreachable is the error, wrapped, of a cluster that does not answer:
// callers tell it by errors.Is, never by its text.
var ErrUnreachable = errors.New("cannot reach the cluster")

// refusedNote starts the note on an object whose apply the server refuses,
// or would: what someone changed collides with the manifest.
const refusedNote = "the server would refuse this apply: "

// dryRunError explains a failed dry run. A forbidden one names the permission
// the server mode needs, since that is the one a read-only user lacks.
func dryRunError(err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf(`server-side apply dry run needs "patch" permission (and "create" for objects that do not exist yet): %w`, err)
	}
	return fmt.Errorf("server-side apply dry run: %w", err)
}

// fail records err as r's verdict.
func (r *Result) fail(err error) {
	r.Status = Error
	r.Reason = Classify(err)
	r.Err = err
	r.Live, r.Want = nil, nil
}

// Classify names the kind of failure err is, as an Error verdict gives it.
func Classify(err error) Reason {
	switch {
	case meta.IsNoMatchError(err):
		return ReasonNoKind
	case apierrors.IsForbidden(err):
		return ReasonForbidden
	case apierrors.IsConflict(err):
		return ReasonConflict
	case isImmutable(err):
		return ReasonImmutable
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return ReasonInvalid
	case errors.Is(err, ErrUnreachable), utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err),
		errors.Is(err, context.DeadlineExceeded):
		return ReasonUnreachable
	}
	return ReasonUnknown
}

// isImmutable reports whether err is the API server refusing to change a field
// that cannot change once set.
func isImmutable(err error) bool {
	return invalidBecause(err, func(c metav1.StatusCause) bool { return strings.Contains(c.Message, "immutable") })
}

// mergeCollides reports whether a dry run failed because the manifest,
// merged with the live object, holds the same value twice where the server
// wants it once: a Service port someone changed by hand, so that the
// manifest's port is added beside it under the same name.
func mergeCollides(err error) bool {
	return invalidBecause(err, func(c metav1.StatusCause) bool { return c.Type == metav1.CauseTypeFieldValueDuplicate })
}

// invalidBecause reports whether err is the API server finding an object
// invalid for a cause that is.
func invalidBecause(err error, is func(metav1.StatusCause) bool) bool {
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Status().Details.Causes, is)
}

// apiReason is the API server's message for err, without client-go's
// prefixes.
func apiReason(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}
