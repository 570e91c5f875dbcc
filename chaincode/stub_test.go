package chaincode_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ucx-export/ucx/chaincode"
)

// allowedStubMethods is every stub method the contract and contractapi may call: the list an
// embedded host must implement.
var allowedStubMethods = []string{
	"GetCreator", "GetFunctionAndParameters", "GetState", "GetTxID", "GetTxTimestamp", "PutState", "SetEvent",
}

// memStub is an in-memory Fabric stub with Fabric's semantics: GetState reads the committed
// state, PutState buffers, and the host commits the buffer only on a 200 response. The nil
// embedded interface makes every method not implemented here panic, so the set of methods in
// use is exactly the implemented ones (and used records which were called).
type memStub struct {
	shim.ChaincodeStubInterface

	state   map[string][]byte
	args    [][]byte
	txID    string
	ts      *timestamppb.Timestamp
	creator []byte

	pending   []kv
	eventName string
	eventData []byte
	setEvents int
	used      map[string]bool
}

type kv struct {
	Key   string
	Value []byte
}

func (s *memStub) mark(m string) { s.used[m] = true }

func (s *memStub) GetFunctionAndParameters() (string, []string) {
	s.mark("GetFunctionAndParameters")
	if len(s.args) == 0 {
		return "", nil
	}
	params := make([]string, 0, len(s.args)-1)
	for _, a := range s.args[1:] {
		params = append(params, string(a))
	}
	return string(s.args[0]), params
}

func (s *memStub) GetState(key string) ([]byte, error) {
	s.mark("GetState")
	v, ok := s.state[key]
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (s *memStub) PutState(key string, value []byte) error {
	s.mark("PutState")
	if key == "" {
		return fmt.Errorf("key must not be an empty string")
	}
	s.pending = append(s.pending, kv{key, append([]byte(nil), value...)})
	return nil
}

func (s *memStub) GetTxID() string {
	s.mark("GetTxID")
	return s.txID
}

func (s *memStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	s.mark("GetTxTimestamp")
	return s.ts, nil
}

func (s *memStub) GetCreator() ([]byte, error) {
	s.mark("GetCreator")
	return s.creator, nil
}

func (s *memStub) SetEvent(name string, payload []byte) error {
	s.mark("SetEvent")
	s.setEvents++
	s.eventName, s.eventData = name, append([]byte(nil), payload...)
	return nil
}

// identities holds one serialized X.509 identity per MSP ID, made once per test binary.
var identities = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

// identity returns a msp.SerializedIdentity for mspID with a fresh ECDSA P-256 certificate.
func identity(t testing.TB, mspID string) []byte {
	t.Helper()
	identities.Lock()
	defer identities.Unlock()
	if b, ok := identities.m[mspID]; ok {
		return b
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	org := strings.ToLower(strings.TrimSuffix(mspID, "MSP"))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(identities.m) + 1)),
		Subject:      pkix.Name{CommonName: "User1@" + org + ".example.com", OrganizationalUnit: []string{"client"}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: pemCert})
	require.NoError(t, err)
	identities.m[mspID] = b
	return b
}

// harness drives the chaincode the way a host does: args on the stub, cc.Invoke, commit the
// writes on success.
type harness struct {
	t    testing.TB
	cc   *contractapi.ContractChaincode
	stub *memStub
	n    int
	log  []kv // committed writes, in order
	// base is the time of the harness's first transaction (baseTime unless a test moves it).
	base time.Time
}

var baseTime = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// sharedChaincode is built once: a ContractChaincode holds no per-transaction state, so
// every harness (and every fuzz input) can share it, as a host does.
var sharedChaincode = sync.OnceValues(func() (*contractapi.ContractChaincode, error) {
	return contractapi.NewChaincode(&chaincode.Contract{})
})

func newHarness(t testing.TB) *harness {
	t.Helper()
	cc, err := sharedChaincode()
	require.NoError(t, err)
	return &harness{t: t, cc: cc, stub: &memStub{state: map[string][]byte{}, used: map[string]bool{}}}
}

// invoke runs one transaction as mspID ("" = a creator that cannot be parsed). A failed
// transaction must have called neither PutState nor SetEvent.
func (h *harness) invoke(mspID, fn string, args ...string) *peer.Response {
	h.t.Helper()
	h.n++
	s := h.stub
	s.args = [][]byte{[]byte(fn)}
	for _, a := range args {
		s.args = append(s.args, []byte(a))
	}
	s.txID = fmt.Sprintf("tx%06d", h.n)
	base := h.base
	if base.IsZero() {
		base = baseTime
	}
	s.ts = timestamppb.New(base.Add(time.Duration(h.n)*time.Second + 123456789))
	s.creator = []byte("not a serialized identity")
	if mspID != "" {
		s.creator = identity(h.t, mspID)
	}
	s.pending, s.eventName, s.eventData, s.setEvents = nil, "", nil, 0
	resp := h.cc.Invoke(s)
	if resp.Status != shim.OK {
		require.Empty(h.t, s.pending, "failed %s wrote state", fn)
		require.Zero(h.t, s.setEvents, "failed %s set an event", fn)
		return resp
	}
	require.LessOrEqual(h.t, s.setEvents, 1, "%s set more than one event", fn)
	for _, w := range s.pending {
		if len(w.Value) == 0 {
			delete(s.state, w.Key)
		} else {
			s.state[w.Key] = w.Value
		}
		h.log = append(h.log, w)
	}
	return resp
}

// ok runs a transaction that must succeed and returns its payload.
func (h *harness) ok(mspID, fn string, args ...string) []byte {
	h.t.Helper()
	resp := h.invoke(mspID, fn, args...)
	require.Equal(h.t, int32(shim.OK), resp.Status, "%s: %s", fn, resp.Message)
	return resp.Payload
}

// fails runs a transaction that must fail with code and returns the message after the prefix.
func (h *harness) fails(code, mspID, fn string, args ...string) string {
	h.t.Helper()
	resp := h.invoke(mspID, fn, args...)
	require.Equal(h.t, int32(shim.ERROR), resp.Status, "%s succeeded: %s", fn, resp.Payload)
	require.True(h.t, strings.HasPrefix(resp.Message, code+": "), "%s: want %s, got %q", fn, code, resp.Message)
	return strings.TrimPrefix(resp.Message, code+": ")
}

// snapshot returns the committed state as sorted key=value lines.
func (h *harness) snapshot() []string {
	out := make([]string, 0, len(h.stub.state))
	for k, v := range h.stub.state {
		out = append(out, k+"="+string(v))
	}
	sort.Strings(out)
	return out
}

// event returns the event references of the last transaction's chaincode event.
func (h *harness) event() []chaincode.EventRef {
	h.t.Helper()
	require.Equal(h.t, chaincode.EventName, h.stub.eventName)
	var es []chaincode.EventRef
	require.NoError(h.t, json.Unmarshal(h.stub.eventData, &es))
	return es
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// hash returns a well-formed document hash derived from s.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Test data: VINs and USCCs of the right form, and the MSP IDs.
const (
	vin1  = "LVRHFAEN9MN203879"
	vin2  = "LS4ASE2E7ND408162"
	vin3  = "LGXCE6CD6S6220813"
	uscc1 = "91500112MA60QF5B8M"

	commerce = chaincode.MSPCommerce
	customs  = chaincode.MSPCustoms
	police   = chaincode.MSPPolice
)

// vinN returns a distinct well-formed VIN for i.
func vinN(i int) string { return fmt.Sprintf("LSVCARXN%09d", i) }

// filingArgs returns valid RecordFiling arguments.
func filingArgs(vin, id string) []string {
	return []string{vin, id, hash(id), chaincode.DecisionAccepted, "2026-01-01", uscc1, "user-42", ""}
}

// refs names trace events as the chaincode event does.
func refs(es ...chaincode.TraceEvent) []chaincode.EventRef {
	out := make([]chaincode.EventRef, len(es))
	for i, e := range es {
		out[i] = chaincode.EventRef{VIN: e.VIN, Seq: e.Seq, Type: e.Type}
	}
	return out
}
