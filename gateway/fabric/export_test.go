package fabric

// Translate exposes the error translation to the tests.
var Translate = translate

// PayloadsDiffer exposes the endorsement-mismatch test to the tests.
var PayloadsDiffer = payloadsDiffer
