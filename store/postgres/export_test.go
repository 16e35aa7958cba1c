package postgres

import "time"

// SetClock makes db read now instead of the system's clock.
func SetClock(db *DB, now func() time.Time) { db.now = now }
