package memo

import (
	"testing"
	"time"
)

func TestAFullMemoStartsOverAndKeepsTheNewValue(t *testing.T) {
	t.Parallel()
	m := New[int, string](2)
	m.Put(1, "one")
	m.Put(2, "two")
	if v, ok := m.Get(1); !ok || v != "one" {
		t.Fatalf("Get(1) = %q, %v; want one", v, ok)
	}
	m.Put(3, "three")
	if _, ok := m.Get(1); ok {
		t.Error("Get(1) after the memo filled up found it; want it dropped")
	}
	if v, ok := m.Get(3); !ok || v != "three" {
		t.Errorf("Get(3) = %q, %v; want three", v, ok)
	}
}

func TestAFreshValueIsUsedUntilItsMaximumAgeOrUntilForgotten(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	c := NewFresh[string, int](10, time.Second)
	c.now = func() time.Time { return now }
	c.Put("kelas", 1)
	tests := []struct {
		name   string
		step   func()
		want   int
		wantOK bool
	}{
		{"just read", func() {}, 1, true},
		{"a moment before its maximum age", func() { now = now.Add(999 * time.Millisecond) }, 1, true},
		{"at its maximum age", func() { now = now.Add(time.Millisecond) }, 0, false},
		{"read again", func() { c.Put("kelas", 2) }, 2, true},
		{"forgotten", func() { c.Forget("kelas") }, 0, false},
	}
	for _, tt := range tests {
		tt.step()
		if v, ok := c.Get("kelas"); v != tt.want || ok != tt.wantOK {
			t.Errorf("%s: Get = %d, %v; want %d, %v", tt.name, v, ok, tt.want, tt.wantOK)
		}
	}
}
