package filings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
)

// anchor records a stored filing's decision on the ledger, with the credit events its failed
// rules charge (chargeCredit), and takes it off the queue. A
// filing the ledger already holds (anchored before a crash took the queue entry with it) is
// not an error: its existing anchor is the receipt.
func (s *Service) anchor(ctx context.Context, rec *gateway.FilingRecord) (*gateway.Receipt, error) {
	if !contract.Anchorable(rec.VIN, rec.ExporterUSCC) {
		if err := s.store.AnchorDone(ctx, rec.FilingID); err != nil {
			return nil, err
		}
		return s.notAnchored(), nil
	}
	ev, err := s.ledger.RecordFiling(ctx, gateway.FilingAnchor{
		FilingID: rec.FilingID, VIN: rec.VIN, DocHash: rec.DocHash, Decision: rec.Decision,
		RulesetVersion: rec.RulesetVersion, ExporterUSCC: rec.ExporterUSCC, Actor: actorOf(rec), ResultsHash: ResultsHash(rec.Results),
	})
	var receipt *gateway.Receipt
	switch {
	case err == nil:
		receipt = ev.Receipt
	case gateway.ErrorCode(err) == gateway.ECONFLICT:
		a, ferr := s.ledger.Filing(ctx, rec.FilingID)
		if ferr != nil {
			return nil, err
		}
		receipt = a.Receipt
	default:
		return nil, err
	}
	if err := s.chargeCredit(ctx, rec); err != nil {
		return nil, err
	}
	if err := s.store.AnchorDone(ctx, rec.FilingID); err != nil {
		return nil, err
	}
	return receipt, nil
}

func (s *Service) notAnchored() *gateway.Receipt {
	return &gateway.Receipt{Ledger: s.ledger.Kind(), Status: gateway.ReceiptNotAnchored}
}

// permanent reports ledger refusals that retrying cannot change.
func permanent(err error) bool {
	switch gateway.ErrorCode(err) {
	case gateway.EINVALID, gateway.EFORBIDDEN, gateway.EILLEGALTRANSITION:
		return true
	}
	return false
}

// ResultsHash is the commitment to a decision's rule results anchored with the filing:
// "sha256:" + hex SHA-256 of the results' JSON as the filing answer shows them.
func ResultsHash(results []gateway.RuleResult) string {
	if results == nil {
		results = []gateway.RuleResult{}
	}
	data, _ := json.Marshal(results) // plain strings always marshal
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// actorOf is the acting user recorded with the anchor. ASSUMPTION until access control: the
// exporter that filed, by its USCC (an enterprise code, not personal data).
func actorOf(rec *gateway.FilingRecord) string { return "exporter:" + rec.ExporterUSCC }

func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// anchorWorkers bounds the filings anchored at once by the worker; the ledger client batches
// concurrent anchors into shared transactions.
const anchorWorkers = 256

// RunAnchorer anchors queued filings until ctx ends: at start (filings a crash left queued),
// whenever a filing is queued, and every interval to retry failures.
func (s *Service) RunAnchorer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.AnchorPending(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("anchoring failed; will retry", "err", err, "anchored", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// AnchorPending anchors every queued filing and returns how many it anchored. It stops at the
// first round with failures, returning the first error.
func (s *Service) AnchorPending(ctx context.Context) (int, error) {
	total := 0
	for {
		recs, err := s.store.PendingAnchors(ctx, 4*anchorWorkers)
		if err != nil || len(recs) == 0 {
			return total, err
		}
		var mu sync.Mutex
		var first error
		var wg sync.WaitGroup
		sem := make(chan struct{}, anchorWorkers)
		for _, rec := range recs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				_, err := s.anchor(ctx, rec)
				if err != nil && permanent(err) {
					// The ledger will never take it: stop retrying, keep the filing, say so.
					s.log.Error("filing cannot be anchored; dropped from the anchoring queue", "filingId", rec.FilingID, "err", err)
					err = s.store.AnchorDone(ctx, rec.FilingID)
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil && first == nil {
					first = err
				}
				if err == nil {
					total++
				}
			})
		}
		wg.Wait()
		if first != nil {
			return total, first
		}
	}
}
