package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/filings"
)

// batchRequest is the body of POST /v1/filing-batches.
type batchRequest struct {
	Filings []jsontext.Value `json:"filings"`
}

// batchWorkers bounds the rows checked at once.
const batchWorkers = 8

// createFilingBatch checks up to 1,000 filings and answers one result per row, in order: the
// row's filing record (or dry-run check) or its error envelope. A bad row never sinks the
// others. Rows are checked in parallel; rows of one VIN are stored in row order, so the last
// supersedes the earlier ones; concurrent stores share group-committed fsyncs.
func (s *Server) createFilingBatch(c *gin.Context) error {
	body, err := readJSONBody(c, maxBatchBody)
	if err != nil {
		return err
	}
	var req batchRequest
	if err := decode.Strict(body, &req); err != nil {
		return err
	}
	if req.Filings == nil {
		return gateway.Errorf(gateway.EINVALID, "filings is required", "缺少 filings").
			WithDetails(gateway.Detail{Pointer: "/filings", Code: "SCHEMA_REQUIRED", Message: "filings is required", MessageZh: "缺少必填字段 filings"})
	}
	if len(req.Filings) > maxBatchRows {
		return gateway.Errorf(gateway.EBATCHTOOLARGE, "a batch holds at most %d filings, got %d", "每批最多 %d 条申报，实际 %d 条", maxBatchRows, len(req.Filings))
	}
	ctx := c.Request.Context()
	checks := make([]*filings.Check, len(req.Filings))
	results := make([]any, len(req.Filings))
	parallel(len(req.Filings), func(i int) {
		chk, err := s.filings.Check(ctx, req.Filings[i])
		if err == nil {
			err = ownWrite(c, chk.ExporterUSCC, "filing")
		}
		if err != nil {
			results[i] = s.rowError(c, err)
			return
		}
		checks[i] = chk
	})
	if dryRun(c) {
		for i, chk := range checks {
			if chk != nil {
				results[i] = dryRunOf(chk.VIN, chk.ExporterUSCC, chk.Decision, chk.RulesetVersion, chk.DocHash, chk.Results)
			}
		}
	} else {
		s.recordRows(ctx, c, checks, results)
	}
	c.JSON(http.StatusOK, gin.H{"results": results})
	return nil
}

// recordRows stores checked rows: one queue per VIN in row order, queues in parallel.
func (s *Server) recordRows(ctx context.Context, c *gin.Context, checks []*filings.Check, results []any) {
	var order []string
	queues := map[string][]int{}
	for i, chk := range checks {
		if chk == nil {
			continue
		}
		if _, ok := queues[chk.VIN]; !ok {
			order = append(order, chk.VIN)
		}
		queues[chk.VIN] = append(queues[chk.VIN], i)
	}
	parallel(len(order), func(q int) {
		for _, i := range queues[order[q]] {
			rec, err := s.filings.Record(ctx, checks[i], nil, waitAnchored(c))
			if err != nil {
				results[i] = s.rowError(c, err)
				continue
			}
			results[i] = rec
		}
	})
}

func (s *Server) rowError(c *gin.Context, err error) json.RawMessage {
	_, env := errorEnvelope(c, s.log, err)
	data, _ := json.Marshal(env)
	return data
}

// parallel runs fn(0..n-1) on at most batchWorkers goroutines.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(batchWorkers, n); w++ {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func dryRunOf(vin, uscc, decision, ruleset, hash string, results []gateway.RuleResult) dryRunResponse {
	return dryRunResponse{DryRun: true, VIN: vin, ExporterUSCC: uscc, Decision: decision, RulesetVersion: ruleset, DocHash: hash, Results: results}
}
