package password

import "testing"

// OccupyForTest takes the only hashing slot and leaves no queue until the
// test ends, so every hash in between is turned away at once with ErrBusy.
// The bound is process-wide: call it only from a test that does not run in
// parallel with others hashing passwords.
func OccupyForTest(t testing.TB) {
	t.Helper()
	previous := current.Load()
	SetLimits(Limits{Concurrency: 1, Queue: -1})
	release, err := acquire()
	if err != nil {
		t.Fatalf("take the hashing slot: %v", err)
	}
	t.Cleanup(func() {
		release()
		current.Store(previous)
	})
}
