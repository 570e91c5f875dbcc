package privacy

import (
	"bytes"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
)

// ownerMember is the filing member that holds personal data (docs/filing-format.md).
const ownerMember = "previousOwner"

// Redaction is a filing document as one caller may see it.
type Redaction struct {
	// Document is the document to answer: the stored bytes when nothing is masked, else the
	// redacted document in the same canonical form (RFC 8785), which no longer hashes to the
	// filing's docHash.
	Document []byte
	// Redacted reports that some owner field was masked.
	Redacted bool
	// Disclosed reports that some of the owner's personal data is in clear in Document: such
	// a read is audited (READ_PERSONAL_DATA) before it is answered.
	Disclosed bool
}

// RedactDocument returns a stored canonical filing document as a caller of level l sees it.
// A document without a previous owner is returned as it is. The stored document is never
// changed: Document is a new slice when anything was masked.
func RedactDocument(doc []byte, l Level) (*Redaction, error) {
	var members map[string]jsontext.Value
	if err := json.Unmarshal(doc, &members); err != nil {
		return nil, fmt.Errorf("redact: decode document: %w", err)
	}
	raw, ok := members[ownerMember]
	if !ok {
		return &Redaction{Document: doc}, nil
	}
	var o gateway.Owner
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("redact: decode %s: %w", ownerMember, err)
	}
	if l == Full {
		return &Redaction{Document: doc, Disclosed: o != gateway.Owner{}}, nil
	}
	masked := MaskOwner(o, l)
	enc, err := json.Marshal(masked)
	if err != nil {
		return nil, fmt.Errorf("redact: encode %s: %w", ownerMember, err)
	}
	members[ownerMember] = enc
	out, err := json.Marshal(members)
	if err != nil {
		return nil, fmt.Errorf("redact: encode document: %w", err)
	}
	v := jsontext.Value(out)
	if err := v.Canonicalize(); err != nil {
		return nil, fmt.Errorf("redact: canonicalize: %w", err)
	}
	return &Redaction{Document: v, Redacted: !bytes.Equal(v, doc), Disclosed: l == NameOnly && o.Name != ""}, nil
}
