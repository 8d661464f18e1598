package cli_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// TestNoCredentialInDebugLogs runs a check with client-go's request logging
// as verbose as kubedrift lets it be (-v=9 is lowered to 7, where bodies are
// not logged yet), once with a bearer token and once with a client
// certificate, and looks for the credential in everything printed.
func TestNoCredentialInDebugLogs(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")

	admin, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	key := cfg.AuthInfos[ctx.AuthInfo].ClientKeyData
	if len(key) == 0 {
		t.Fatal("the admin's kubeconfig has no client key to look for")
	}

	t.Run("client certificate", func(t *testing.T) {
		r := kubedriftWithKubeconfig(t, admin, "", "--check", "-f", dir, "--v=9")
		assertContains(t, r, `verb="GET"`, "-v=9 lowered to 7") // the requests are logged, not their bodies
		assertNoSecret(t, r, string(key), base64.StdEncoding.EncodeToString(key), pemBody(string(key)),
			"correct-horse-battery-staple", base64.StdEncoding.EncodeToString([]byte("correct-horse-battery-staple")))
	})

	t.Run("bearer token", func(t *testing.T) {
		kubectl(t, "create", "serviceaccount", "drifter", "-n", ns)
		kubectl(t, "create", "rolebinding", "drifter-view", "--clusterrole=view", "--serviceaccount="+ns+":drifter", "-n", ns)
		token := strings.TrimSpace(kubectl(t, "create", "token", "drifter", "-n", ns))
		withToken := cfg.DeepCopy()
		withToken.AuthInfos = map[string]*clientcmdapi.AuthInfo{"drifter": {Token: token}}
		withToken.Contexts[withToken.CurrentContext].AuthInfo = "drifter"
		kc, err := clientcmd.Write(*withToken)
		if err != nil {
			t.Fatal(err)
		}
		r := kubedriftWithKubeconfig(t, kc, "", "--check", "-f", dir, "--v=9")
		// The token works: the ServiceAccount reads the namespace.
		assertContains(t, r, `verb="GET"`, "in sync   Deployment.apps "+ns+"/web", "Authorization: Bearer <masked>")
		assertNoSecret(t, r, token, token[len(token)-20:])

		// The same token from a kubeconfig exec plugin, as cloud providers
		// hand them out.
		plugin := filepath.Join(t.TempDir(), "credential-plugin")
		script := "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" + token + "\"}}'\n"
		if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		withExec := cfg.DeepCopy()
		withExec.AuthInfos = map[string]*clientcmdapi.AuthInfo{"drifter": {Exec: &clientcmdapi.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: plugin, InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		}}}
		withExec.Contexts[withExec.CurrentContext].AuthInfo = "drifter"
		kc, err = clientcmd.Write(*withExec)
		if err != nil {
			t.Fatal(err)
		}
		r = kubedriftWithKubeconfig(t, kc, "", "--check", "-f", dir, "--v=9")
		assertContains(t, r, "in sync   Deployment.apps "+ns+"/web")
		assertNoSecret(t, r, token, token[len(token)-20:])
	})
}

// pemBody is the first line of a PEM block's base64 body: enough of the key
// to recognise it, wherever it was printed.
func pemBody(pem string) string {
	for _, line := range strings.Split(pem, "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			return line
		}
	}
	return pem
}

func assertNoSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("the output holds a credential (%d bytes of it)", len(s))
		}
	}
}
