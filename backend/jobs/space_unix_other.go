//go:build unix && !linux && !darwin

package jobs

// freeSpace is unknown on this platform; writing still maps ENOSPC to File.DiskFull.
func freeSpace(string) (int64, bool) { return 0, false }

func renameNoReplace(old, new string) error { return linkRename(old, new) }
