package app

import (
	"testing"
	"time"

	"github.com/corpu/corpu/internal/identity/nip"
)

func TestTheNationalDataSetHasTheShapeOfTheGovernment(t *testing.T) {
	t.Parallel()
	for _, people := range []int{1_000_000, 4_300_000} {
		units := ScaleUnits(people)
		perRegency := map[string]int{}
		provinces := map[int]bool{}
		total := 0
		for _, u := range units {
			perRegency[scaleRegencyCode(u.Province, u.Regency)]++
			provinces[u.Province] = true
			total += u.People
			if u.People < 2 || u.People > scaleMaxPerUnit {
				t.Fatalf("%d people: unit %s has %d people", people, u.Code(), u.People)
			}
		}
		if len(provinces) != 38 || len(perRegency) != 514 {
			t.Errorf("%d people: %d provinces and %d regencies, want 38 and 514", people, len(provinces), len(perRegency))
		}
		for code, n := range perRegency {
			if n < 30 || n > 50 {
				t.Errorf("regency %s has %d units, want 30 to 50", code, n)
			}
		}
		if total != people {
			t.Errorf("%d people laid out as %d", people, total)
		}
	}
}

func TestTheNationalDataSetsNIPsAreValidAndUnique(t *testing.T) {
	t.Parallel()
	now := time.Now()
	seen := map[string]bool{}
	units := ScaleUnits(4_300_000)
	// Every person of a sample of units, the last units included.
	for _, u := range append(units[:200:200], units[len(units)-200:]...) {
		for j := range u.People {
			n := ScaleNIP(u.Index, j)
			if _, err := nip.Parse(n, now); err != nil {
				t.Fatalf("ScaleNIP(%d, %d) = %s: %v", u.Index, j, n, err)
			}
			if seen[n] {
				t.Fatalf("ScaleNIP(%d, %d) = %s twice", u.Index, j, n)
			}
			seen[n] = true
		}
	}
	// The same person keeps their NIP whatever the size.
	if a, b := ScaleUnits(1_000_000)[77], units[77]; ScaleNIP(a.Index, 0) != ScaleNIP(b.Index, 0) {
		t.Error("a unit's head changes NIP with the size of the data set")
	}
}
