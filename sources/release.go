package sources

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1api "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// LoadRelease reads the manifest of the release name in namespace as Helm
// last deployed it: the revision of highest number whose status is
// "deployed", not a later one that failed or is still pending. The manifest
// holds the objects of the chart's templates; hooks and the chart's crds/
// are kept apart from it by Helm, and are not part of the desired state.
//
// The release is read from Helm's storage in the cluster with the Helm SDK's
// drivers: Secrets, Helm's default, and then ConfigMaps, where it is kept
// when HELM_DRIVER=configmap. Helm 3 and Helm 4 store releases the same way
// (sh.helm.release.v1.NAME.vN, a gzipped JSON release), and both are read.
//
// Every object's origin is the release, its revision and the template the
// object was rendered from.
func LoadRelease(ctx context.Context, cluster *Cluster, namespace, name string) ([]Manifest, []error) {
	origin := Source{Kind: SourceRelease, Name: namespace + "/" + name}.At("", 0)
	if cluster == nil || cluster.Client == nil {
		return nil, []error{&Error{Origin: origin, Err: errors.New("reading a release needs a cluster")}}
	}
	rel, _, err := findRelease(ctx, cluster, namespace, name)
	if err != nil {
		return nil, []error{&Error{Origin: origin, Err: err}}
	}
	origin.Source.Name = fmt.Sprintf("%s/%s (revision %d)", namespace, name, rel.Version)
	return parseManifest(origin.Source, rel.Manifest)
}

// releaseNotFound is findRelease's error when every store could be read and
// none holds the release; it says where it looked.
type releaseNotFound struct{ msg string }

func (e *releaseNotFound) Error() string { return e.msg }

// findRelease reads the release name in namespace from Helm's storage in
// the cluster: its last deployed revision, and the number of its latest
// revision of any status, which the next upgrade counts on from. The error
// is a *releaseNotFound when the stores were read and none holds it.
func findRelease(ctx context.Context, cluster *Cluster, namespace, name string) (*releasev1.Release, int, error) {
	core := cluster.Client.CoreV1()
	return deployedRelease(name, namespace, []releaseStore{
		{"Secrets", "secrets", driver.NewSecrets(secretsWithContext{core.Secrets(namespace), ctx})},
		{"ConfigMaps", "configmaps", driver.NewConfigMaps(configMapsWithContext{core.ConfigMaps(namespace), ctx})},
	})
}

// releaseStore is one of Helm's storage drivers over the cluster.
type releaseStore struct {
	// name is the driver's kind of object, for messages: "Secrets".
	name string
	// resource is the API resource it lists, for permission messages.
	resource string
	driver   interface {
		driver.Driver
		SetLogger(slog.Handler)
	}
}

// deployedRelease finds the last deployed revision of the release name in
// the first store that holds the release, and the number of its latest
// revision.
func deployedRelease(name, namespace string, stores []releaseStore) (*releasev1.Release, int, error) {
	var problems []string
	for _, s := range stores {
		// Helm's drivers log at debug level what they skip; that is not
		// kubedrift's output.
		s.driver.SetLogger(slog.DiscardHandler)
		history, err := storage.Init(s.driver).History(name)
		switch {
		case errors.Is(err, driver.ErrReleaseNotFound):
			continue
		case apierrors.IsForbidden(err):
			problems = append(problems, fmt.Sprintf("cannot look in %s: reading a release needs \"list\" permission on %s in namespace %q: %v",
				s.name, s.resource, namespace, apiMessage(err)))
			continue
		case err != nil:
			problems = append(problems, fmt.Sprintf("cannot look in %s: %v", s.name, apiMessage(err)))
			continue
		}
		return lastDeployed(name, s.name, history)
	}
	var looked []string
	for _, s := range stores {
		looked = append(looked, s.name)
	}
	msg := fmt.Sprintf("release %q not found in namespace %q: looked in Helm's release storage in %s", name, namespace, strings.Join(looked, " and "))
	if len(problems) > 0 {
		return nil, 0, errors.New(msg + "; " + strings.Join(problems, "; "))
	}
	return nil, 0, &releaseNotFound{msg}
}

// lastDeployed returns the revision of highest number whose status is
// deployed. Helm marks the revision it replaces as superseded only once the
// new one is deployed, so a later failed or pending revision leaves the last
// good one deployed; and should two be deployed, after concurrent runs of
// Helm, Helm takes the latest too.
func lastDeployed(name, store string, history []release.Releaser) (*releasev1.Release, int, error) {
	var revisions []*releasev1.Release
	for _, r := range history {
		if rel, ok := r.(*releasev1.Release); ok && rel.Info != nil {
			revisions = append(revisions, rel)
		}
	}
	if len(revisions) == 0 {
		// Helm's drivers skip a record they cannot decode.
		return nil, 0, fmt.Errorf("release %q: none of its records in %s could be decoded", name, store)
	}
	slices.SortFunc(revisions, func(a, b *releasev1.Release) int { return cmp.Compare(b.Version, a.Version) })
	var statuses []string
	for _, rel := range revisions {
		if rel.Info.Status == rcommon.StatusDeployed {
			return rel, revisions[0].Version, nil
		}
		statuses = append(statuses, fmt.Sprintf("revision %d is %s", rel.Version, rel.Info.Status))
	}
	return nil, revisions[0].Version, fmt.Errorf("release %q has no deployed revision in %s: %s", name, store, strings.Join(statuses, ", "))
}

// apiMessage is the API server's message for err, without the prefixes that
// Helm's drivers add ("query: failed to query with labels: ").
func apiMessage(err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return errors.New(status.Status().Message)
	}
	return err
}

// sourceComment is the comment Helm writes before each object of a release
// manifest to name the template it was rendered from.
var sourceComment = regexp.MustCompile(`(?m)^# Source: (.+?)\s*$`)

// parseManifest parses a release manifest, cut into documents by Helm's own
// splitter, each document with the template that its "# Source:" comment
// names as its file.
func parseManifest(source Source, manifest string) ([]Manifest, []error) {
	var (
		manifests []Manifest
		errs      []error
	)
	for _, doc := range helmDocuments(manifest) {
		file := ""
		if m := sourceComment.FindStringSubmatch(doc); m != nil {
			file = m[1]
		}
		m, e := parseRendered(source, file, []byte(doc))
		manifests = append(manifests, m...)
		for _, err := range e {
			var pe *Error
			if errors.As(err, &pe) && pe.Origin.Line > 0 {
				err = renderedLineError(pe, pe.Origin.Line, "the template's part of the release manifest")
			}
			errs = append(errs, err)
		}
	}
	return manifests, errs
}

// secretsWithContext gives the context of the load to the requests of Helm's
// Secrets driver, which makes them with context.Background().
type secretsWithContext struct {
	corev1.SecretInterface
	ctx context.Context
}

func (s secretsWithContext) List(_ context.Context, opts metav1.ListOptions) (*corev1api.SecretList, error) {
	return s.SecretInterface.List(s.ctx, opts)
}

func (s secretsWithContext) Get(_ context.Context, name string, opts metav1.GetOptions) (*corev1api.Secret, error) {
	return s.SecretInterface.Get(s.ctx, name, opts)
}

// configMapsWithContext gives the context of the load to the requests of
// Helm's ConfigMaps driver.
type configMapsWithContext struct {
	corev1.ConfigMapInterface
	ctx context.Context
}

func (c configMapsWithContext) List(_ context.Context, opts metav1.ListOptions) (*corev1api.ConfigMapList, error) {
	return c.ConfigMapInterface.List(c.ctx, opts)
}

func (c configMapsWithContext) Get(_ context.Context, name string, opts metav1.GetOptions) (*corev1api.ConfigMap, error) {
	return c.ConfigMapInterface.Get(c.ctx, name, opts)
}
