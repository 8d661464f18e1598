package testcluster

import "syscall"

// childProcAttr puts the controller manager in its own process group, so a
// Ctrl-C meant for the demo reaches only the demo, which stops the cluster in
// order; and has the kernel kill it if this process dies without stopping it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
