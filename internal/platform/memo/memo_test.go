package memo

import "testing"

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
