package filings_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/schemas"
)

// rendezvousSource answers only once all four of its look-ups of a filing are in flight at
// the same time: run one after the other, the first would wait for the others forever (and
// fail after the timeout). So a filing checked through it proves the look-ups run in parallel.
type rendezvousSource struct {
	*embedded.Agencies
	arrived chan struct{}
	all     chan struct{}
}

func newRendezvous(a *embedded.Agencies, n int) rendezvousSource {
	r := rendezvousSource{Agencies: a, arrived: make(chan struct{}, n), all: make(chan struct{})}
	go func() {
		for range n {
			<-r.arrived
		}
		close(r.all)
	}()
	return r
}

func (r rendezvousSource) meet(ctx context.Context) error {
	r.arrived <- struct{}{}
	select {
	case <-r.all:
		return nil
	case <-ctx.Done():
		return gateway.Wrap(ctx.Err(), gateway.EUNAVAILABLE, "look-ups ran one after the other", "查询未并行")
	}
}

func (r rendezvousSource) VehicleStatus(ctx context.Context, vin string) (*gateway.PoliceRecord, error) {
	if err := r.meet(ctx); err != nil {
		return nil, err
	}
	return r.Agencies.VehicleStatus(ctx, vin)
}

func (r rendezvousSource) Records(ctx context.Context, vin string) ([]gateway.MaintenanceRecord, error) {
	if err := r.meet(ctx); err != nil {
		return nil, err
	}
	return r.Agencies.Records(ctx, vin)
}

func (r rendezvousSource) Licence(ctx context.Context, no string) (*gateway.Licence, error) {
	if err := r.meet(ctx); err != nil {
		return nil, err
	}
	return r.Agencies.Licence(ctx, no)
}

func (r rendezvousSource) Exporter(ctx context.Context, uscc string) (*gateway.Exporter, error) {
	if err := r.meet(ctx); err != nil {
		return nil, err
	}
	return r.Agencies.Exporter(ctx, uscc)
}

func newService(t testing.TB, sources func(*embedded.Agencies) filings.Sources) *filings.Service {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	agencies, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	src := filings.Sources{Police: agencies, Maintenance: agencies, Licences: agencies, Exporters: agencies, Destinations: agencies}
	if sources != nil {
		src = sources(agencies)
	}
	cc, err := chaincode.New()
	require.NoError(t, err)
	ledger, err := embedded.OpenLedger(t.TempDir(), cc)
	require.NoError(t, err)
	t.Cleanup(func() { ledger.Close() })
	return filings.New(store, contract.New(ledger), src, schemas.MustNew(), compliance.New(compliance.DefaultConfig()),
		filings.WithClock(func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }))
}

func typicalFiling(t testing.TB) []byte {
	t.Helper()
	data, err := fixtures.FS.ReadFile("filings/clean-m1-kz.json")
	require.NoError(t, err)
	return data
}

func TestLookupsRunInParallel(t *testing.T) {
	svc := newService(t, func(a *embedded.Agencies) filings.Sources {
		r := newRendezvous(a, 4)
		return filings.Sources{Police: r, Maintenance: r, Licences: r, Exporters: r, Destinations: a}
	})
	c, err := svc.Check(context.Background(), typicalFiling(t))
	require.NoError(t, err)
	assert.Equal(t, gateway.Accepted, c.Decision, "no look-up timed out waiting for the others: %+v", c.Results)
}

func TestCheckIsDeterministic(t *testing.T) {
	svc := newService(t, nil)
	a, err := svc.Check(context.Background(), typicalFiling(t))
	require.NoError(t, err)
	b, err := svc.Check(context.Background(), typicalFiling(t))
	require.NoError(t, err)
	assert.Equal(t, a.DocHash, b.DocHash)
	assert.Equal(t, a.Results, b.Results)
}

// FuzzCheck: any document, valid or not, is decoded, validated and checked without a panic,
// and either yields a decision or a coded error.
func FuzzCheck(f *testing.F) {
	f.Add(typicalFiling(f))
	if data, err := os.ReadFile("../../schemas/testdata/valid-n3.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"applicationDate":"2026-01-01"}`))
	svc := newService(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := svc.Check(context.Background(), data)
		if err != nil {
			if code := gateway.ErrorCode(err); code == gateway.EINTERNAL {
				t.Fatalf("internal error for %q: %v", data, err)
			}
			return
		}
		switch c.Decision {
		case gateway.Accepted, gateway.Rejected, gateway.Held:
		default:
			t.Fatalf("decision %q", c.Decision)
		}
	})
}

// BenchmarkDecode is the strict decode of a typical filing: into the domain type and into
// the generic value the schema validator reads.
func BenchmarkDecode(b *testing.B) {
	data := typicalFiling(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var f gateway.Filing
		if err := decode.Strict(data, &f); err != nil {
			b.Fatal(err)
		}
		if _, err := decode.Value(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate is the JSON Schema validation of a decoded typical filing.
func BenchmarkValidate(b *testing.B) {
	data := typicalFiling(b)
	doc, err := decode.Value(data)
	require.NoError(b, err)
	v := schemas.MustNew()
	b.ReportAllocs()
	for b.Loop() {
		if vs := v.ValidateFiling(doc); len(vs) > 0 {
			b.Fatal(vs)
		}
	}
}

// BenchmarkCheck is the whole in-process check of a typical filing: decode, schema, identity,
// fixture look-ups, rules, canonical hash. Nothing is stored.
func BenchmarkCheck(b *testing.B) {
	data := typicalFiling(b)
	svc := newService(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Check(ctx, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFile adds the durable store (one fsync'd bbolt batch per filing, 8 writers).
func BenchmarkFile(b *testing.B) {
	data := typicalFiling(b)
	svc := newService(b, nil)
	ctx := context.Background()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.File(ctx, data, nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
