package ratelimit

// Buckets returns how many buckets m holds (tests of the sweep).
func (m *Memory) Buckets() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}
