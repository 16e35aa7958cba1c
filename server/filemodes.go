package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// privateFiles are the files of the data directory that hold receipts or
// secrets, each for the server's user alone; the directories that hold
// them are 0700, the files 0600. Open creates them so; this list is what
// it checks on every start, for files an operator copied or restored with
// looser modes.
var privateFiles = []string{
	"kaiconn.db", "kaiconn.db-wal", "kaiconn.db-shm", consentCookieKeyFile,
}

// tightenModes takes away the group's and others' access to the data
// directory, its key directory and the files above, and to the key files,
// warning for each path it changed: a 0644 database or key file restored
// from a backup is readable by every local user, and nothing said so. It
// only removes permissions; a file that does not exist yet is left to be
// created with the right mode.
func tightenModes(dataDir string, log *slog.Logger) error {
	keys := filepath.Join(dataDir, "keys")
	paths := []string{dataDir, keys}
	for _, name := range privateFiles {
		paths = append(paths, filepath.Join(dataDir, name))
	}
	keyFiles, err := filepath.Glob(filepath.Join(keys, "*.jwk.json"))
	if err != nil {
		return err
	}
	paths = append(paths, keyFiles...)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		mode := fi.Mode().Perm()
		if mode&0o077 == 0 {
			continue
		}
		tight := mode &^ 0o077
		if err := os.Chmod(p, tight); err != nil {
			return fmt.Errorf("data directory: %s is open to other users (%04o) and could not be made private: %w", p, mode, err)
		}
		log.Warn("a file of the data directory was open to other users; it is now private to the server's user",
			"path", p, "was", fmt.Sprintf("%04o", mode), "now", fmt.Sprintf("%04o", tight))
	}
	return nil
}
