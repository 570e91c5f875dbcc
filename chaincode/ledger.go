package chaincode

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Keys are plain strings (no composite-key helpers), see ARCHITECTURE.md §5.
func vehicleHeadKey(vin string) string           { return "vehicle~" + vin }
func vehicleEventKey(vin string, seq int) string { return fmt.Sprintf("vehicle~%s~%010d", vin, seq) }
func filingKey(id string) string                 { return "filing~" + id }
func licenceKey(no string) string                { return "licence~" + no }
func licenceVINKey(vin string) string            { return "licencevin~" + vin }

// callerMSPID returns the MSP ID of the transaction's creator. contractapi stores a nil
// *cid.ClientID when the creator cannot be parsed; that, like an empty MSP ID, is FORBIDDEN.
func callerMSPID(ctx contractapi.TransactionContextInterface) (string, error) {
	id := ctx.GetClientIdentity()
	if c, isCID := id.(*cid.ClientID); id == nil || isCID && c == nil {
		return "", fail(CodeForbidden, "caller identity unavailable")
	}
	msp, err := id.GetMSPID()
	if err != nil || msp == "" {
		return "", fail(CodeForbidden, "caller identity has no MSP ID")
	}
	return msp, nil
}

// requireMSP refuses a caller whose MSP is not want.
func requireMSP(caller, want, what string) error {
	if caller != want {
		return fail(CodeForbidden, "%s requires %s, caller is %s", what, want, quote(caller))
	}
	return nil
}

// getState reads a key; a missing key and an empty value (Fabric's delete) are both nil.
func getState(stub shim.ChaincodeStubInterface, key string) ([]byte, error) {
	b, err := stub.GetState(key)
	if err != nil {
		return nil, fmt.Errorf("get state %s: %w", key, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// readHead reads a head counter: the number of events on a VIN's trace or in an exporter's
// credit history (key names which, for the error).
func readHead(b []byte, key string) (int, error) {
	if b == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("corrupt head counter for %s", key)
	}
	return n, nil
}

// txn is the state of one writing transaction. Fabric's GetState does not see the
// transaction's own writes, so reads go through vals (every key read or written here), and
// writes are buffered and reach the stub only in commit, after every check passed: a failing
// transaction never calls PutState or SetEvent. vals is looked up only; order keeps the
// write order, so the write set is deterministic.
type txn struct {
	stub   shim.ChaincodeStubInterface
	mspID  string
	txID   string
	now    string
	vals   map[string][]byte
	order  []string
	dirty  map[string]bool
	events []*TraceEvent
	states map[string]*VehicleState // lifecycle state per VIN, as this transaction left it
}

// begin starts a writing transaction: caller MSP, tx ID and tx timestamp.
func begin(ctx contractapi.TransactionContextInterface) (*txn, error) {
	msp, err := callerMSPID(ctx)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("get tx timestamp: %w", err)
	}
	if ts == nil {
		return nil, fmt.Errorf("get tx timestamp: none")
	}
	return &txn{
		stub:   stub,
		mspID:  msp,
		txID:   stub.GetTxID(),
		now:    ts.AsTime().UTC().Format(time.RFC3339Nano),
		vals:   map[string][]byte{},
		dirty:  map[string]bool{},
		states: map[string]*VehicleState{},
	}, nil
}

// chinaTime is the zone the ledger's calendar dates are in (UTC+8, no daylight saving): the
// dates agencies record (occurredAt, licence dates) are days in China.
var chinaTime = time.FixedZone("CST", 8*3600)

// chinaDay is the transaction's day in China (YYYY-MM-DD): from 00:00 to 08:00 China time it
// is one day after the UTC date of the timestamp.
func (t *txn) chinaDay() string {
	ts, err := time.Parse(time.RFC3339Nano, t.now)
	if err != nil {
		return t.now[:10]
	}
	return ts.In(chinaTime).Format(dateLayout)
}

func (t *txn) get(key string) ([]byte, error) {
	if v, ok := t.vals[key]; ok {
		return v, nil
	}
	v, err := getState(t.stub, key)
	if err != nil {
		return nil, err
	}
	t.vals[key] = v
	return v, nil
}

// put buffers a write; a nil value deletes the key (an empty PutState, as Fabric treats it).
func (t *txn) put(key string, v []byte) {
	t.vals[key] = v
	if !t.dirty[key] {
		t.dirty[key] = true
		t.order = append(t.order, key)
	}
}

func (t *txn) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", key, err)
	}
	t.put(key, b)
	return nil
}

// appendEvent checks e against the vehicle's lifecycle (ILLEGAL_TRANSITION), gives it the
// next sequence number of its VIN, the transaction's fields and the status it leaves the
// vehicle in, and buffers the event, the new head and, when it changed, the vehicle's state.
func (t *txn) appendEvent(e *TraceEvent) error {
	cur, next, err := t.transition(e)
	if err != nil {
		return err
	}
	head, err := t.get(vehicleHeadKey(e.VIN))
	if err != nil {
		return err
	}
	n, err := readHead(head, e.VIN)
	if err != nil {
		return err
	}
	e.Seq = n
	e.MSPID = t.mspID
	e.TxID = t.txID
	e.Timestamp = t.now
	if err := t.putJSON(vehicleEventKey(e.VIN, n), e); err != nil {
		return err
	}
	t.put(vehicleHeadKey(e.VIN), []byte(strconv.Itoa(n+1)))
	if next != *cur {
		*cur = next
		if err := t.putJSON(vehicleStateKey(e.VIN), cur); err != nil {
			return err
		}
	}
	t.events = append(t.events, e)
	return nil
}

// commit sends the buffered writes to the stub in write order, then the one chaincode event.
func (t *txn) commit() error {
	for _, k := range t.order {
		v := t.vals[k]
		if v == nil {
			v = []byte{}
		}
		if err := t.stub.PutState(k, v); err != nil {
			return fmt.Errorf("put state %s: %w", k, err)
		}
	}
	if len(t.events) == 0 {
		return nil
	}
	refs := make([]EventRef, len(t.events))
	for i, e := range t.events {
		refs[i] = EventRef{VIN: e.VIN, Seq: e.Seq, Type: e.Type}
	}
	payload, err := json.Marshal(refs)
	if err != nil {
		return fmt.Errorf("marshal %s event: %w", EventName, err)
	}
	if err := t.stub.SetEvent(EventName, payload); err != nil {
		return fmt.Errorf("set event: %w", err)
	}
	return nil
}
