package contract

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
)

// batcher sends one organisation's filings and events to the ledger. At most `inflight`
// transactions are in flight; while they are, new items queue, and the next transaction
// carries every queued item at once (RecordBatch, up to chaincode.MaxBatchItems). Under low
// traffic each item is its own transaction; under high traffic one transaction anchors many
// vehicles, so throughput follows the load instead of the ledger's commit latency.
type batcher struct {
	t     Transport
	msp   string
	max   int
	queue chan *pending
	slots chan struct{}
}

type pending struct {
	item chaincode.BatchItem
	res  chan outcome
}

type outcome struct {
	ev  *gateway.TraceEvent
	err error
}

// submitTimeout bounds one ledger transaction.
const submitTimeout = 2 * time.Minute

func newBatcher(t Transport, mspID string, inflight, maxItems int) *batcher {
	b := &batcher{t: t, msp: mspID, max: maxItems, queue: make(chan *pending, 8192), slots: make(chan struct{}, max(inflight, 1))}
	go b.run()
	return b
}

// record queues one item and waits for its transaction. Once queued, the item is decided
// even if ctx ends: the caller learns the outcome of a write that lands.
func (b *batcher) record(ctx context.Context, item chaincode.BatchItem) (*gateway.TraceEvent, error) {
	p := &pending{item: item, res: make(chan outcome, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return nil, gateway.Wrap(ctx.Err(), gateway.EUNAVAILABLE, "ledger queue full", "账本队列已满")
	}
	o := <-p.res
	return o.ev, o.err
}

func (b *batcher) run() {
	for p := range b.queue {
		b.slots <- struct{}{} // while every slot is busy, items gather in the queue
		items := []*pending{p}
	drain:
		for len(items) < b.max {
			select {
			case q := <-b.queue:
				items = append(items, q)
			default:
				break drain
			}
		}
		go func() {
			defer func() { <-b.slots }()
			b.submit(items)
		}()
	}
}

func (b *batcher) submit(items []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
	defer cancel()
	if len(items) == 1 {
		ev, err := b.submitOne(ctx, items[0].item)
		items[0].res <- outcome{ev, err}
		return
	}
	batch := make([]chaincode.BatchItem, len(items))
	for i, p := range items {
		batch[i] = p.item
	}
	body, _ := json.Marshal(batch) // plain strings always marshal
	data, receipt, err := b.t.Submit(ctx, b.msp, "RecordBatch", string(body))
	if err == nil {
		var res chaincode.BatchResult
		if err = decode(data, &res); err == nil && len(res.Seqs) != len(items) {
			err = gateway.Errorf(gateway.EINTERNAL, "ledger answered %d events for %d items", "账本返回 %d 个事件，对应 %d 项", len(res.Seqs), len(items))
		}
		if err == nil {
			for i, p := range items {
				r := receipt
				ev := eventOf(p.item, res, i)
				ev.Receipt = &r
				p.res <- outcome{ev: ev}
			}
			return
		}
	}
	switch gateway.ErrorCode(err) {
	case gateway.EINVALID, gateway.EFORBIDDEN, gateway.ECONFLICT, gateway.ENOTFOUND, gateway.EILLEGALTRANSITION:
		// One item spoiled the all-or-nothing batch: send each on its own so every caller
		// gets its own answer.
		for _, p := range items {
			ev, err := b.submitOne(ctx, p.item)
			p.res <- outcome{ev, err}
		}
	default:
		for _, p := range items {
			p.res <- outcome{err: err}
		}
	}
}

func (b *batcher) submitOne(ctx context.Context, it chaincode.BatchItem) (*gateway.TraceEvent, error) {
	var data []byte
	var receipt gateway.Receipt
	var err error
	if it.Kind == chaincode.KindFiling {
		data, receipt, err = b.t.Submit(ctx, b.msp, "RecordFiling", it.VIN, it.FilingID, it.DocHash, it.Decision, it.RulesetVersion, it.ExporterUSCC, it.Actor, it.EvidenceHash)
	} else {
		data, receipt, err = b.t.Submit(ctx, b.msp, "RecordEvent", it.VIN, it.EventType, it.EvidenceHash, it.Actor)
	}
	if err != nil {
		return nil, err
	}
	var ev gateway.TraceEvent
	if err := decode(data, &ev); err != nil {
		return nil, err
	}
	ev.Receipt = &receipt
	return &ev, nil
}

// eventOf rebuilds the trace event the chaincode recorded for item i of a batch: the item's
// fields plus what the transaction assigned (sequence number, MSP, transaction, time).
func eventOf(it chaincode.BatchItem, res chaincode.BatchResult, i int) *gateway.TraceEvent {
	ev := &gateway.TraceEvent{
		VIN: it.VIN, Seq: res.Seqs[i], Type: it.EventType, EvidenceHash: it.EvidenceHash, Actor: it.Actor,
		MSPID: res.MSPID, TxID: res.TxID, Timestamp: res.Timestamp,
	}
	if i < len(res.Statuses) {
		ev.Status = res.Statuses[i]
	}
	if it.Kind == chaincode.KindFiling {
		ev.Type = chaincode.EventFiled
		ev.FilingID, ev.DocHash, ev.Decision = it.FilingID, it.DocHash, it.Decision
		ev.RulesetVersion, ev.ExporterUSCC = it.RulesetVersion, it.ExporterUSCC
	}
	return ev
}
