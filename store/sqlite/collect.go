package sqlite

import "sort"

// collected turns counts by key into a slice, in no particular order,
// each key given its count.
func collected[K comparable](m map[K]int64, set func(*K, int64)) []K {
	out := make([]K, 0, len(m))
	for k, n := range m {
		set(&k, n)
		out = append(out, k)
	}
	return out
}

func sortBy[T any](s []T, less func(a, b T) bool) {
	sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
}
