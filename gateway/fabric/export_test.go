package fabric

// Translate exposes the error translation to the tests.
var Translate = translate

// EndorsementRefused exposes the refused-endorsement test to the tests.
var EndorsementRefused = endorsementRefused
