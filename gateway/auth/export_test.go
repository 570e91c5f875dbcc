package auth

// WithRandom exports withRandom to the tests.
var WithRandom = withRandom
