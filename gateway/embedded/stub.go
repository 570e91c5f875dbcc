package embedded

import (
	"sort"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// stub is the shim interface the chaincode sees in-process: the methods the contract and
// contractapi call, over the committed world state plus the writes of earlier transactions
// in the same block. Any other method panics through the nil embedded interface: the
// contract may not use it (range queries, private data, cross-chaincode calls).
type stub struct {
	shim.ChaincodeStubInterface

	args    [][]byte
	txID    string
	channel string
	ts      *timestamppb.Timestamp
	creator []byte
	read    func(key string) ([]byte, error)
	history func(key string) ([]*queryresult.KeyModification, error)

	writes map[string]Write
	event  []byte
}

func (s *stub) GetArgs() [][]byte { return s.args }

func (s *stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

func (s *stub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	if len(a) == 0 {
		return "", nil
	}
	return a[0], a[1:]
}

func (s *stub) GetTxID() string                                 { return s.txID }
func (s *stub) GetChannelID() string                            { return s.channel }
func (s *stub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.ts, nil }
func (s *stub) GetCreator() ([]byte, error)                     { return s.creator, nil }
func (s *stub) GetTransient() (map[string][]byte, error)        { return map[string][]byte{}, nil }
func (s *stub) GetDecorations() map[string][]byte               { return map[string][]byte{} }

// GetState reads committed state: like Fabric, a transaction does not see its own writes.
func (s *stub) GetState(key string) ([]byte, error) { return s.read(key) }

// PutState writes key; an empty value deletes it, as on a Fabric peer.
func (s *stub) PutState(key string, value []byte) error {
	if key == "" {
		return errEmptyKey
	}
	if len(value) == 0 {
		return s.DelState(key)
	}
	s.writes[key] = Write{Key: key, Value: append([]byte(nil), value...)}
	return nil
}

func (s *stub) DelState(key string) error {
	if key == "" {
		return errEmptyKey
	}
	s.writes[key] = Write{Key: key, Delete: true}
	return nil
}

func (s *stub) SetEvent(name string, payload []byte) error {
	s.event = append([]byte(name+"\x00"), payload...)
	return nil
}

// GetHistoryForKey returns the committed versions of key, newest first as Fabric does.
func (s *stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	mods, err := s.history(key)
	if err != nil {
		return nil, err
	}
	return &historyIter{mods: mods}, nil
}

// sortedWrites returns the write set in key order: the block content is deterministic.
func (s *stub) sortedWrites() []Write {
	out := make([]Write, 0, len(s.writes))
	for _, w := range s.writes {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

type historyIter struct {
	mods []*queryresult.KeyModification
	i    int
}

func (h *historyIter) HasNext() bool { return h.i < len(h.mods) }
func (h *historyIter) Close() error  { return nil }
func (h *historyIter) Next() (*queryresult.KeyModification, error) {
	m := h.mods[h.i]
	h.i++
	return m, nil
}
