package fabric

// Translate exposes the error translation to the tests.
var Translate = translate
