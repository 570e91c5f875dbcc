package rediscache

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway"
)

// Store is a gateway.Store in Redis with the embedded store's semantics: SaveFiling writes the
// document, the record, the supersession of the VIN's previous filing, the anchor-queue entry
// and the idempotency key in one Lua script, which Redis runs alone, so no reader ever sees
// half a filing and a refused write changes nothing. Several gateway replicas can share it.
//
// Durability is the server's: with deploy/redis/redis.conf (appendonly yes, appendfsync
// always) a write is in the fsync'd AOF before SaveFiling returns. Idempotency keys expire
// after WithIdempotencyTTL (default 24 h; ASSUMPTION: clients retry within a day), where the
// embedded store keeps them for ever. Safe for concurrent use.
type Store struct {
	rdb     client
	prefix  string
	idemTTL int64 // milliseconds; 0 = no expiry
}

var _ gateway.Store = (*Store)(nil)

// NewStore returns a Store over rdb (see NewClient). Options: WithPrefix,
// WithIdempotencyTTL.
func NewStore(rdb redis.UniversalClient, opts ...Option) *Store {
	c := newConfig(opts)
	return &Store{rdb: rdb, prefix: c.prefix, idemTTL: c.idemTTL.Milliseconds()}
}

func (s *Store) filingKey(id string) string   { return s.prefix + "filing:" + id }
func (s *Store) docKey(hash string) string    { return s.prefix + "doc:" + hash }
func (s *Store) vinKey(vin string) string     { return s.prefix + "vin:" + vin }
func (s *Store) idemKey(key string) string    { return s.prefix + "idem:" + key }
func (s *Store) verifyKey(code string) string { return s.prefix + "verify:" + code }
func (s *Store) anchorsKey() string           { return s.prefix + "anchors" }

// Fields of a filing's hash. The links live beside the record, not inside its JSON, so that
// the script can set them without decoding and re-encoding the record.
const (
	fieldRecord       = "rec"
	fieldSupersedes   = "supersedes"
	fieldSupersededBy = "supersededBy"
)

// Results of saveScript.
const (
	saveOK = iota
	saveIdemTaken
	saveExists
	saveDangling
)

// saveScript stores one filing. Every check comes before the first write, so a refusal
// writes nothing; and should Redis be out of memory, the first write fails before any other
// has happened (a script is stopped at its first write when over maxmemory).
//
// Running it twice with the same arguments answers success both times: go-redis resends a
// command whose connection broke before the reply came, and the filing may already be saved
// then. (Filing IDs carry random bits, so the same ID with the same record is the same save.)
//
// KEYS: 1 filing hash, 2 document, 3 VIN → current filing, 4 anchor queue, 5 verification
// code → filing (written only with ARGV[7]), 6 idempotency key (only with ARGV[5]). ARGV:
// 1 filing ID, 2 record JSON, 3 document, 4 filing-key prefix, 5 idempotency response JSON
// ("" = none), 6 idempotency TTL in ms (0 = none), 7 verification code ("" = none).
// Returns {status, previous filing ID or ""}.
var saveScript = redis.NewScript(`
local idem = ARGV[5] ~= ''
if idem then
  local bound = redis.call('GET', KEYS[6])
  if bound and bound ~= ARGV[5] then return {1, ''} end
end
local stored = redis.call('HMGET', KEYS[1], 'rec', 'supersedes')
if stored[1] then
  if stored[1] == ARGV[2] then return {0, stored[2] or ''} end
  return {2, ''}
end
local prev = redis.call('GET', KEYS[3]) or ''
local prevKey = ARGV[4] .. prev
if prev ~= '' and redis.call('EXISTS', prevKey) == 0 then return {3, prev} end

redis.call('SET', KEYS[2], ARGV[3], 'NX')
if prev ~= '' then redis.call('HSET', prevKey, 'supersededBy', ARGV[1]) end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'supersedes', prev)
redis.call('SET', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
if ARGV[7] ~= '' then redis.call('SET', KEYS[5], ARGV[1]) end
if idem then
  if tonumber(ARGV[6]) > 0 then
    redis.call('SET', KEYS[6], ARGV[5], 'PX', ARGV[6])
  else
    redis.call('SET', KEYS[6], ARGV[5])
  end
end
return {0, prev}
`)

// SaveFiling implements gateway.Store: one atomic script (see saveScript). It sets
// rec.Supersedes to the VIN's previous filing. ECONFLICT when the filing ID is taken,
// IDEMPOTENCY_KEY_REUSED when idem's key is, EUNAVAILABLE when Redis fails (the filing may
// then be stored or not: the caller does not acknowledge it, and a retry with the same
// idempotency key settles it).
func (s *Store) SaveFiling(ctx context.Context, rec *gateway.FilingRecord, doc []byte, idem *gateway.Idempotency) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec.Supersedes = ""
	rec.Receipt = nil
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode filing record: %w", err)
	}
	keys := []string{s.filingKey(rec.FilingID), s.docKey(rec.DocHash), s.vinKey(rec.VIN), s.anchorsKey(), s.verifyKey(rec.VerificationCode)}
	args := []any{rec.FilingID, recJSON, doc, s.filingKey(""), "", s.idemTTL, rec.VerificationCode}
	if idem != nil {
		resp, err := json.Marshal(&gateway.IdempotentResponse{RequestHash: idem.RequestHash, FilingID: rec.FilingID})
		if err != nil {
			return fmt.Errorf("encode idempotent response: %w", err)
		}
		keys = append(keys, s.idemKey(idem.Key))
		args[4] = resp
	}
	res, err := saveScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return translate(err, nil)
	}
	if len(res) != 2 {
		return gateway.Wrap(fmt.Errorf("save script returned %v", res), gateway.EINTERNAL, "internal error", "内部错误")
	}
	status, _ := res[0].(int64)
	prev, _ := res[1].(string)
	switch status {
	case saveOK:
		rec.Supersedes = prev
		return nil
	case saveIdemTaken:
		return gateway.Errorf(gateway.EIDEMPOTENCYREUSED, "idempotency key already used", "幂等键已被使用")
	case saveExists:
		return gateway.Errorf(gateway.ECONFLICT, "filing %s exists", "申报 %s 已存在", rec.FilingID)
	case saveDangling:
		return gateway.Wrap(fmt.Errorf("vin %s points to missing filing %s", rec.VIN, prev), gateway.EINTERNAL, "internal error", "内部错误")
	default:
		return gateway.Wrap(fmt.Errorf("save script returned status %d", status), gateway.EINTERNAL, "internal error", "内部错误")
	}
}

func (s *Store) reportKey(agency, no string) string { return s.prefix + "report:" + agency + ":" + no }

// saveReportScript stores a report unless one with another hash is there: {0} stored or the
// same report already there, {1} another report under the key. KEYS: 1 report key. ARGV: 1
// report JSON, 2 its hash.
var saveReportScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
if old then
  if cjson.decode(old)['reportHash'] == ARGV[2] then return 0 end
  return 1
end
redis.call('SET', KEYS[1], ARGV[1])
return 0
`)

// SaveReport implements gateway.Store.
func (s *Store) SaveReport(ctx context.Context, r *gateway.StoredReport) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	n, err := saveReportScript.Run(ctx, s.rdb, []string{s.reportKey(r.AgencyUSCC, r.ReportNo)}, data, r.ReportHash).Int()
	if err != nil {
		return translate(err, nil)
	}
	if n == 1 {
		return gateway.Errorf(gateway.ECONFLICT, "agency %s already stored another report %s", "检验机构 %s 已存有编号为 %s 的另一份报告", r.AgencyUSCC, r.ReportNo)
	}
	return nil
}

// Report implements gateway.Store.
func (s *Store) Report(ctx context.Context, agency, no string) (*gateway.StoredReport, error) {
	data, err := s.rdb.Get(ctx, s.reportKey(agency, no)).Bytes()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "no report %s of agency %s", "未找到检验机构 %[2]s 的报告 %[1]s", no, agency))
	}
	var r gateway.StoredReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	return &r, nil
}

func (s *Store) clearanceKey(no string) string { return s.prefix + "clearance:" + no }
func (s *Store) liveKey(vin string) string     { return s.prefix + "live:" + vin }

// saveClearanceScript: KEYS 1 clearance key, 2.. live keys of the lines; ARGV 1 record JSON,
// 2 declaration number, 3.. per line "1" (not refused: make live) or "0" (refused).
// Returns 0, or 1 when a line's VIN is live on another declaration (nothing written).
var saveClearanceScript = redis.NewScript(`
for i = 2, #KEYS do
  if ARGV[i+1] == '1' then
    local cur = redis.call('GET', KEYS[i])
    if cur and cur ~= ARGV[2] then return 1 end
  end
end
for i = 2, #KEYS do
  if ARGV[i+1] == '1' then
    redis.call('SET', KEYS[i], ARGV[2])
  elseif redis.call('GET', KEYS[i]) == ARGV[2] then
    redis.call('DEL', KEYS[i])
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 0
`)

type storedClearance struct {
	gateway.ClearanceRecord
	Declaration []byte `json:"declaration"`
}

// SaveClearance implements gateway.Store: one atomic script.
func (s *Store) SaveClearance(ctx context.Context, rec *gateway.ClearanceRecord) error {
	data, err := json.Marshal(storedClearance{ClearanceRecord: *rec, Declaration: rec.Declaration})
	if err != nil {
		return err
	}
	keys := []string{s.clearanceKey(rec.DeclarationNo)}
	args := []any{data, rec.DeclarationNo}
	for _, l := range rec.Lines {
		keys = append(keys, s.liveKey(l.VIN))
		live := "1"
		if l.Status == gateway.Refuse {
			live = "0"
		}
		args = append(args, live)
	}
	n, err := saveClearanceScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return translate(err, nil)
	}
	if n == 1 {
		return gateway.Errorf(gateway.ECONFLICT, "a VIN of declaration %s is live on another declaration", "报关单 %s 中的车辆已在其他报关单中", rec.DeclarationNo)
	}
	return nil
}

// Clearance implements gateway.Store.
func (s *Store) Clearance(ctx context.Context, no string) (*gateway.ClearanceRecord, error) {
	data, err := s.rdb.Get(ctx, s.clearanceKey(no)).Bytes()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "no clearance check of declaration %s", "未找到报关单 %s 的通关核验", no))
	}
	var sc storedClearance
	if err := json.Unmarshal(data, &sc); err != nil {
		return nil, fmt.Errorf("decode clearance: %w", err)
	}
	sc.ClearanceRecord.Declaration = sc.Declaration
	return &sc.ClearanceRecord, nil
}

// LiveDeclaration implements gateway.Store.
func (s *Store) LiveDeclaration(ctx context.Context, vin string) (string, error) {
	no, err := s.rdb.Get(ctx, s.liveKey(vin)).Result()
	if err != nil {
		return "", translate(err, gateway.Errorf(gateway.ENOTFOUND, "VIN %s is on no live declaration", "车辆 %s 不在有效报关单中", vin))
	}
	return no, nil
}

func (s *Store) deadlinesKey() string { return s.prefix + "deadlines" }

// PutDeadline implements gateway.Store: one field of a hash.
func (s *Store) PutDeadline(ctx context.Context, d *gateway.Deadline) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return translate(s.rdb.HSet(ctx, s.deadlinesKey(), d.Kind+"\x00"+d.VIN, data).Err(), nil)
}

// Deadlines implements gateway.Store.
func (s *Store) Deadlines(ctx context.Context) ([]*gateway.Deadline, error) {
	all, err := s.rdb.HGetAll(ctx, s.deadlinesKey()).Result()
	if err != nil {
		return nil, translate(err, nil)
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*gateway.Deadline, 0, len(keys))
	for _, k := range keys {
		var d gateway.Deadline
		if err := json.Unmarshal([]byte(all[k]), &d); err != nil {
			return nil, fmt.Errorf("decode deadline: %w", err)
		}
		out = append(out, &d)
	}
	return out, nil
}

func (s *Store) creditReportKey(code string) string { return s.prefix + "creditreport:" + code }

// saveCreditReportScript stores a credit report unless another is under its code: {0} stored
// or the same report already there, {1} another report under the code. KEYS: 1 the code's
// key. ARGV: 1 the stored report JSON.
var saveCreditReportScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
if old then
  if old == ARGV[1] then return 0 end
  return 1
end
redis.call('SET', KEYS[1], ARGV[1])
return 0
`)

// SaveCreditReport implements gateway.Store: one atomic script; running it again after a
// lost reply succeeds.
func (s *Store) SaveCreditReport(ctx context.Context, r *gateway.StoredCreditReport) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	n, err := saveCreditReportScript.Run(ctx, s.rdb, []string{s.creditReportKey(r.VerificationCode)}, data).Int()
	if err != nil {
		return translate(err, nil)
	}
	if n == 1 {
		return gateway.Errorf(gateway.ECONFLICT, "another credit report has this verification code", "该核验码已用于另一份信用报告")
	}
	return nil
}

// CreditReportByCode implements gateway.Store.
func (s *Store) CreditReportByCode(ctx context.Context, code string) (*gateway.StoredCreditReport, error) {
	data, err := s.rdb.Get(ctx, s.creditReportKey(code)).Bytes()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "no credit report with this verification code", "无此核验码对应的信用报告"))
	}
	var r gateway.StoredCreditReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode credit report: %w", err)
	}
	return &r, nil
}

// FilingByVerificationCode implements gateway.Store.
func (s *Store) FilingByVerificationCode(ctx context.Context, code string) (*gateway.FilingRecord, error) {
	id, err := s.rdb.Get(ctx, s.verifyKey(code)).Result()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "no dossier with this verification code", "无此核验码对应的档案"))
	}
	return s.Filing(ctx, id)
}

// Filing implements gateway.Store.
func (s *Store) Filing(ctx context.Context, id string) (*gateway.FilingRecord, error) {
	vals, err := s.rdb.HMGet(ctx, s.filingKey(id), fieldRecord, fieldSupersedes, fieldSupersededBy).Result()
	if err != nil {
		return nil, translate(err, nil)
	}
	rec, err := decodeFiling(vals)
	if rec == nil && err == nil {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "filing %s not found", "未找到申报 %s", id)
	}
	return rec, err
}

// decodeFiling builds a record from the HMGET of its hash; nil, nil when the hash is absent.
func decodeFiling(vals []any) (*gateway.FilingRecord, error) {
	if len(vals) != 3 || vals[0] == nil {
		return nil, nil
	}
	data, _ := vals[0].(string)
	var rec gateway.FilingRecord
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return nil, fmt.Errorf("decode filing record: %w", err)
	}
	rec.Supersedes, _ = vals[1].(string)
	if by, _ := vals[2].(string); by != "" {
		rec.SupersededBy = by
	}
	return &rec, nil
}

// LatestFiling implements gateway.Store. Two reads (VIN, then filing) are safe without a
// transaction: a filing hash, once written, is never deleted.
func (s *Store) LatestFiling(ctx context.Context, vin string) (*gateway.FilingRecord, error) {
	id, err := s.rdb.Get(ctx, s.vinKey(vin)).Result()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "no filing for VIN %s", "车辆 %s 无申报记录", vin))
	}
	rec, err := s.Filing(ctx, id)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, fmt.Errorf("vin %s: dangling filing reference %s", vin, id)
	}
	return rec, err
}

// Document implements gateway.Store.
func (s *Store) Document(ctx context.Context, hash string) ([]byte, error) {
	doc, err := s.rdb.Get(ctx, s.docKey(hash)).Bytes()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "document %s not found", "未找到文件 %s", hash))
	}
	return doc, nil
}

// Idempotent implements gateway.Store. A key older than the idempotency TTL is ENOTFOUND.
func (s *Store) Idempotent(ctx context.Context, key string) (*gateway.IdempotentResponse, error) {
	data, err := s.rdb.Get(ctx, s.idemKey(key)).Bytes()
	if err != nil {
		return nil, translate(err, gateway.Errorf(gateway.ENOTFOUND, "idempotency key not found", "未找到幂等键"))
	}
	var resp gateway.IdempotentResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("decode idempotent response: %w", err)
	}
	return &resp, nil
}

// PendingAnchors implements gateway.Store: the queue's first IDs in lexicographic order, which
// is age order (filing IDs start with their creation time), then their records, in two round
// trips.
func (s *Store) PendingAnchors(ctx context.Context, limit int) ([]*gateway.FilingRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.anchorsKey(), Start: "-", Stop: "+", ByLex: true, Count: int64(limit)}).Result()
	if err != nil || len(ids) == 0 {
		return nil, translate(err, nil)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.filingKey(id), fieldRecord, fieldSupersedes, fieldSupersededBy)
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, nil)
	}
	out := make([]*gateway.FilingRecord, 0, len(ids))
	for i, cmd := range cmds {
		rec, err := decodeFiling(cmd.Val())
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, fmt.Errorf("anchor queue: dangling filing reference %s", ids[i])
		}
		out = append(out, rec)
	}
	return out, nil
}

// AnchorDone implements gateway.Store. Removing an ID that is not queued is not an error.
func (s *Store) AnchorDone(ctx context.Context, filingIDs ...string) error {
	if len(filingIDs) == 0 {
		return nil
	}
	members := make([]any, len(filingIDs))
	for i, id := range filingIDs {
		members[i] = id
	}
	return translate(s.rdb.ZRem(ctx, s.anchorsKey(), members...).Err(), nil)
}

// Ready implements gateway.Store: Redis answers PING.
func (s *Store) Ready(ctx context.Context) error {
	return translate(s.rdb.Ping(ctx).Err(), nil)
}
