// Package embedded holds the in-process implementations the gateway runs on by default: a
// durable Store over one bbolt file (every write fsync'd before it returns), the agency
// look-ups served from fixtures, and the webhook queue (WebhookQueue, its own bbolt file).
package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
)

var (
	bucketFilings = []byte("filings")         // filingId → FilingRecord JSON
	bucketDocs    = []byte("documents")       // docHash → canonical document
	bucketVINs    = []byte("vin-latest")      // VIN → current filingId
	bucketIdem    = []byte("idempotency")     // key → IdempotentResponse JSON
	bucketOutbox  = []byte("anchor-queue")    // filingId → "" while its anchor is not on the ledger
	bucketVerify  = []byte("verify")          // verification code → filingId
	bucketReports = []byte("reports")         // agency USCC \x00 report number → StoredReport JSON
	bucketClear   = []byte("clearances")      // declaration number → ClearanceRecord JSON (+ the declaration)
	bucketLiveVIN = []byte("vin-declaration") // VIN → the declaration it is live on
	bucketDeadl   = []byte("deadlines")       // kind \x00 VIN → Deadline JSON
	bucketCredRep = []byte("credit-reports")  // verification code → StoredCreditReport JSON
)

// DBFile is the name of the database file inside the data directory.
const DBFile = "ucx.db"

// Store is the embedded gateway.Store over bbolt.
type Store struct {
	db *bolt.DB
}

var _ gateway.Store = (*Store)(nil)

// Open opens (creating when absent) the store in dataDir. bbolt's file lock makes a second
// process opening the same directory wait up to 5 seconds and then fail.
func Open(dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dataDir, DBFile), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Join(dataDir, DBFile), err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFilings, bucketDocs, bucketVINs, bucketIdem, bucketOutbox, bucketVerify, bucketReports, bucketClear, bucketLiveVIN, bucketDeadl, bucketCredRep} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init buckets: %w", err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the bbolt handle to other embedded components sharing the file.
func (s *Store) DB() *bolt.DB { return s.db }

// SaveFiling implements gateway.Store: document, record, supersession and idempotency entry
// are written in one transaction, fsync'd before it returns.
func (s *Store) SaveFiling(ctx context.Context, rec *gateway.FilingRecord, doc []byte, idem *gateway.Idempotency) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Batch group-commits concurrent filings into one fsync'd transaction. The function is
	// idempotent, as Batch requires (it may run twice): it derives everything from the
	// transaction's state. The receipt is never stored: it is read from the ledger.
	return s.db.Batch(func(tx *bolt.Tx) error {
		filings, vins, idems := tx.Bucket(bucketFilings), tx.Bucket(bucketVINs), tx.Bucket(bucketIdem)
		if idem != nil && idems.Get([]byte(idem.Key)) != nil {
			return gateway.Errorf(gateway.EIDEMPOTENCYREUSED, "idempotency key already used", "幂等键已被使用")
		}
		if filings.Get([]byte(rec.FilingID)) != nil {
			return gateway.Errorf(gateway.ECONFLICT, "filing %s exists", "申报 %s 已存在", rec.FilingID)
		}
		docs := tx.Bucket(bucketDocs)
		if docs.Get([]byte(rec.DocHash)) == nil {
			if err := docs.Put([]byte(rec.DocHash), doc); err != nil {
				return err
			}
		}
		rec.Supersedes = ""
		rec.Receipt = nil
		if prevID := vins.Get([]byte(rec.VIN)); prevID != nil {
			prev, err := decodeRecord(filings.Get(prevID))
			if err != nil {
				return err
			}
			prev.SupersededBy = rec.FilingID
			rec.Supersedes = prev.FilingID
			if err := putJSON(filings, prev.FilingID, prev); err != nil {
				return err
			}
		}
		if err := putJSON(filings, rec.FilingID, rec); err != nil {
			return err
		}
		if err := vins.Put([]byte(rec.VIN), []byte(rec.FilingID)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutbox).Put([]byte(rec.FilingID), nil); err != nil {
			return err
		}
		if rec.VerificationCode != "" {
			if err := tx.Bucket(bucketVerify).Put([]byte(rec.VerificationCode), []byte(rec.FilingID)); err != nil {
				return err
			}
		}
		if idem != nil {
			return putJSON(idems, idem.Key, &gateway.IdempotentResponse{RequestHash: idem.RequestHash, FilingID: rec.FilingID})
		}
		return nil
	})
}

// Filing implements gateway.Store.
func (s *Store) Filing(ctx context.Context, id string) (*gateway.FilingRecord, error) {
	var rec *gateway.FilingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketFilings).Get([]byte(id))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "filing %s not found", "未找到申报 %s", id)
		}
		var err error
		rec, err = decodeRecord(v)
		return err
	})
	return rec, err
}

func reportKey(agency, no string) []byte { return []byte(agency + "\x00" + no) }

// SaveReport implements gateway.Store.
func (s *Store) SaveReport(ctx context.Context, r *gateway.StoredReport) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReports)
		if v := b.Get(reportKey(r.AgencyUSCC, r.ReportNo)); v != nil {
			var old gateway.StoredReport
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			if old.ReportHash == r.ReportHash {
				return nil
			}
			return gateway.Errorf(gateway.ECONFLICT, "agency %s already stored another report %s", "检验机构 %s 已存有编号为 %s 的另一份报告", r.AgencyUSCC, r.ReportNo)
		}
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(reportKey(r.AgencyUSCC, r.ReportNo), data)
	})
}

// Report implements gateway.Store.
func (s *Store) Report(ctx context.Context, agency, no string) (*gateway.StoredReport, error) {
	var r gateway.StoredReport
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketReports).Get(reportKey(agency, no))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no report %s of agency %s", "未找到检验机构 %[2]s 的报告 %[1]s", no, agency)
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// storedClearance keeps the declaration itself beside the record.
type storedClearance struct {
	gateway.ClearanceRecord
	Declaration []byte `json:"declaration"`
}

// SaveClearance implements gateway.Store.
func (s *Store) SaveClearance(ctx context.Context, rec *gateway.ClearanceRecord) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		live := tx.Bucket(bucketLiveVIN)
		for _, l := range rec.Lines {
			if l.Status == gateway.Refuse {
				continue
			}
			if cur := live.Get([]byte(l.VIN)); cur != nil && string(cur) != rec.DeclarationNo {
				return gateway.Errorf(gateway.ECONFLICT, "VIN %s is live on declaration %s", "车辆 %s 已在报关单 %s 中", l.VIN, cur)
			}
		}
		for _, l := range rec.Lines {
			cur := live.Get([]byte(l.VIN))
			var err error
			switch {
			case l.Status != gateway.Refuse:
				err = live.Put([]byte(l.VIN), []byte(rec.DeclarationNo))
			case cur != nil && string(cur) == rec.DeclarationNo:
				err = live.Delete([]byte(l.VIN))
			}
			if err != nil {
				return err
			}
		}
		data, err := json.Marshal(storedClearance{ClearanceRecord: *rec, Declaration: rec.Declaration})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketClear).Put([]byte(rec.DeclarationNo), data)
	})
}

// Clearance implements gateway.Store.
func (s *Store) Clearance(ctx context.Context, no string) (*gateway.ClearanceRecord, error) {
	var sc storedClearance
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketClear).Get([]byte(no))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no clearance check of declaration %s", "未找到报关单 %s 的通关核验", no)
		}
		return json.Unmarshal(v, &sc)
	})
	if err != nil {
		return nil, err
	}
	sc.ClearanceRecord.Declaration = sc.Declaration
	return &sc.ClearanceRecord, nil
}

// LiveDeclaration implements gateway.Store.
func (s *Store) LiveDeclaration(ctx context.Context, vin string) (string, error) {
	var no string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLiveVIN).Get([]byte(vin))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "VIN %s is on no live declaration", "车辆 %s 不在有效报关单中", vin)
		}
		no = string(v)
		return nil
	})
	return no, err
}

// PutDeadline implements gateway.Store.
func (s *Store) PutDeadline(ctx context.Context, d *gateway.Deadline) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketDeadl), d.Kind+"\x00"+d.VIN, d)
	})
}

// Deadlines implements gateway.Store.
func (s *Store) Deadlines(ctx context.Context) ([]*gateway.Deadline, error) {
	var out []*gateway.Deadline
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeadl).ForEach(func(_, v []byte) error {
			var d gateway.Deadline
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, &d)
			return nil
		})
	})
	return out, err
}

// SaveCreditReport implements gateway.Store.
func (s *Store) SaveCreditReport(ctx context.Context, r *gateway.StoredCreditReport) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCredRep)
		if old := b.Get([]byte(r.VerificationCode)); old != nil {
			if bytes.Equal(old, data) {
				return nil
			}
			return gateway.Errorf(gateway.ECONFLICT, "another credit report has this verification code", "该核验码已用于另一份信用报告")
		}
		return b.Put([]byte(r.VerificationCode), data)
	})
}

// CreditReportByCode implements gateway.Store.
func (s *Store) CreditReportByCode(ctx context.Context, code string) (*gateway.StoredCreditReport, error) {
	var r gateway.StoredCreditReport
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCredRep).Get([]byte(code))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no credit report with this verification code", "无此核验码对应的信用报告")
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// FilingByVerificationCode implements gateway.Store.
func (s *Store) FilingByVerificationCode(ctx context.Context, code string) (*gateway.FilingRecord, error) {
	var rec *gateway.FilingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketVerify).Get([]byte(code))
		if id == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no dossier with this verification code", "无此核验码对应的档案")
		}
		var err error
		rec, err = decodeRecord(tx.Bucket(bucketFilings).Get(id))
		return err
	})
	return rec, err
}

// LatestFiling implements gateway.Store.
func (s *Store) LatestFiling(ctx context.Context, vin string) (*gateway.FilingRecord, error) {
	var rec *gateway.FilingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketVINs).Get([]byte(vin))
		if id == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no filing for VIN %s", "车辆 %s 无申报记录", vin)
		}
		var err error
		rec, err = decodeRecord(tx.Bucket(bucketFilings).Get(id))
		return err
	})
	return rec, err
}

// Document implements gateway.Store.
func (s *Store) Document(ctx context.Context, hash string) ([]byte, error) {
	var doc []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get([]byte(hash))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "document %s not found", "未找到文件 %s", hash)
		}
		doc = append([]byte(nil), v...)
		return nil
	})
	return doc, err
}

// Idempotent implements gateway.Store.
func (s *Store) Idempotent(ctx context.Context, key string) (*gateway.IdempotentResponse, error) {
	var resp gateway.IdempotentResponse
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketIdem).Get([]byte(key))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "idempotency key not found", "未找到幂等键")
		}
		return json.Unmarshal(v, &resp)
	})
	if err != nil {
		return nil, err
	}
	return &resp, nil
}

// PendingAnchors implements gateway.Store. Filing IDs are time-ordered, so key order is age.
func (s *Store) PendingAnchors(ctx context.Context, limit int) ([]*gateway.FilingRecord, error) {
	var out []*gateway.FilingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		filings := tx.Bucket(bucketFilings)
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			rec, err := decodeRecord(filings.Get(k))
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}

// AnchorDone implements gateway.Store. It need not be fsync'd on its own: should it be lost,
// the filing is anchored again, the ledger answers that it already holds it, and it is
// removed then.
func (s *Store) AnchorDone(ctx context.Context, filingIDs ...string) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		for _, id := range filingIDs {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Ready implements gateway.Store.
func (s *Store) Ready(ctx context.Context) error {
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketFilings) == nil {
			return errors.New("store not initialised")
		}
		return nil
	})
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

func decodeRecord(v []byte) (*gateway.FilingRecord, error) {
	if v == nil {
		return nil, errors.New("dangling filing reference")
	}
	var rec gateway.FilingRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("decode filing record: %w", err)
	}
	return &rec, nil
}

// ForEachFiling calls fn for every stored filing record, in filing-ID order.
func (s *Store) ForEachFiling(fn func(*gateway.FilingRecord) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFilings).ForEach(func(_, v []byte) error {
			rec, err := decodeRecord(v)
			if err != nil {
				return err
			}
			return fn(rec)
		})
	})
}
