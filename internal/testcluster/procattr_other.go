//go:build !linux

package testcluster

import "syscall"

// childProcAttr puts the controller manager in its own process group, so a
// Ctrl-C meant for the demo reaches only the demo, which stops the cluster in
// order.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
