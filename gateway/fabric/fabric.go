// Package fabric is the Ledger transport over a real Hyperledger Fabric network, through the
// Fabric Gateway client (github.com/hyperledger/fabric-gateway): one gRPC connection to a
// peer's gateway service and an X.509 identity per organisation the gateway acts for
// (commerce, customs, police), each signing its own transactions so the chaincode's MSP
// rules see the real caller. gateway/contract turns it into a gateway.Ledger.
package fabric

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
)

// Identity is one organisation's X.509 identity: certificate and private key PEM files.
type Identity struct {
	MSPID    string
	CertPath string
	KeyPath  string
}

// Config is how to reach the network.
type Config struct {
	Peer       string     // gRPC endpoint of the peer's gateway service, e.g. 127.0.0.1:7051
	TLSCAPath  string     // PEM of the CA that issued the peer's TLS certificate
	ServerName string     // TLS server name override ("" = the endpoint's host)
	Channel    string     // channel name
	Chaincode  string     // chaincode name
	Identities []Identity // one per organisation the gateway acts for
	Timeout    time.Duration
}

// Transport implements contract.Transport over Fabric.
type Transport struct {
	conn      *grpc.ClientConn
	gateways  map[string]*client.Gateway  // MSP ID → gateway signing as that organisation
	contracts map[string]*client.Contract // MSP ID → contract
	qscc      map[string]*client.Contract // MSP ID → system chaincode for block look-ups
	channel   string
	receipts  sync.Map // txID → gateway.Receipt (immutable once committed)
	// committed is the highest block holding a transaction this transport committed.
	committed atomic.Uint64
}

var _ contract.Transport = (*Transport)(nil)

// Dial connects to the peer and prepares a gateway per identity. The connection is lazy:
// Ready tells whether the network answers.
func Dial(cfg Config) (*Transport, error) {
	if cfg.Peer == "" || cfg.Channel == "" || cfg.Chaincode == "" || len(cfg.Identities) == 0 {
		return nil, errors.New("fabric: peer, channel, chaincode and at least one identity are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	caPEM, err := os.ReadFile(cfg.TLSCAPath)
	if err != nil {
		return nil, fmt.Errorf("fabric: read TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("fabric: no certificate in %s", cfg.TLSCAPath)
	}
	conn, err := grpc.NewClient(cfg.Peer, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, cfg.ServerName)))
	if err != nil {
		return nil, fmt.Errorf("fabric: connect %s: %w", cfg.Peer, err)
	}
	t := &Transport{conn: conn, gateways: map[string]*client.Gateway{}, contracts: map[string]*client.Contract{},
		qscc: map[string]*client.Contract{}, channel: cfg.Channel}
	for _, id := range cfg.Identities {
		gw, err := connect(conn, id, cfg.Timeout)
		if err != nil {
			t.Close()
			return nil, err
		}
		net := gw.GetNetwork(cfg.Channel)
		t.gateways[id.MSPID] = gw
		t.contracts[id.MSPID] = net.GetContract(cfg.Chaincode)
		t.qscc[id.MSPID] = net.GetContract("qscc")
	}
	return t, nil
}

func connect(conn *grpc.ClientConn, id Identity, timeout time.Duration) (*client.Gateway, error) {
	certPEM, err := os.ReadFile(id.CertPath)
	if err != nil {
		return nil, fmt.Errorf("fabric: %s certificate: %w", id.MSPID, err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("fabric: %s certificate: %w", id.MSPID, err)
	}
	x509ID, err := identity.NewX509Identity(id.MSPID, cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(id.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("fabric: %s key: %w", id.MSPID, err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("fabric: %s key: %w", id.MSPID, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	return client.Connect(x509ID, client.WithSign(sign), client.WithHash(hash.SHA256), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(timeout/3), client.WithEndorseTimeout(timeout/2), client.WithSubmitTimeout(timeout/3),
		client.WithCommitStatusTimeout(timeout))
}

// KeyInDir returns the one private key file in a keystore directory (cryptogen names it by
// its hash).
func KeyInDir(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.IsDir() {
			return filepath.Join(dir, e.Name()), nil
		}
	}
	return "", fmt.Errorf("no key in %s", dir)
}

// Close closes the gateways and the connection.
func (t *Transport) Close() error {
	for _, gw := range t.gateways {
		gw.Close()
	}
	return t.conn.Close()
}

// Kind implements contract.Transport.
func (t *Transport) Kind() string { return gateway.LedgerFabric }

func (t *Transport) contract(mspID string) (*client.Contract, error) {
	c, ok := t.contracts[mspID]
	if !ok {
		return nil, gateway.Errorf(gateway.EUNAVAILABLE, "this gateway holds no identity of %s", "本网关未配置 %s 的身份", mspID)
	}
	return c, nil
}

// Submit implements contract.Transport: endorse, order, wait for the commit. A transaction
// that loses an MVCC race (another transaction changed what it read) is endorsed and
// submitted again once. The commit is awaited on the gateway's peer only, so another
// organisation's endorsing peer may not hold our latest block yet and endorse from older
// state: its answers differ from the others' ("ProposalResponsePayloads do not match"), or
// it refuses what the newer state allows. A refused endorsement is therefore endorsed
// again, once, after every organisation's peer holds the latest block this transport
// committed; nothing was ordered, so the retry is safe, and a genuine refusal is refused
// again.
func (t *Transport) Submit(ctx context.Context, mspID, fn string, args ...string) ([]byte, gateway.Receipt, error) {
	c, err := t.contract(mspID)
	if err != nil {
		return nil, gateway.Receipt{}, err
	}
	mvccRetried, staleRetried := false, false
	for {
		result, commit, err := c.SubmitAsyncWithContext(ctx, fn, client.WithArguments(args...))
		if err != nil {
			if !staleRetried && endorsementRefused(err) && t.waitPeers(ctx, t.committed.Load()) == nil {
				staleRetried = true
				continue
			}
			return nil, gateway.Receipt{}, translate(err)
		}
		st, err := commit.StatusWithContext(ctx)
		if err != nil {
			return nil, gateway.Receipt{}, translate(err)
		}
		if st.Successful {
			r := gateway.Receipt{Ledger: gateway.LedgerFabric, TxID: st.TransactionID, Block: st.BlockNumber, Status: gateway.ReceiptCommitted}
			t.receipts.Store(r.TxID, r)
			for cur := t.committed.Load(); r.Block > cur && !t.committed.CompareAndSwap(cur, r.Block); cur = t.committed.Load() {
			}
			return result, r, nil
		}
		if st.Code == peer.TxValidationCode_MVCC_READ_CONFLICT && !mvccRetried {
			mvccRetried = true
			continue
		}
		return nil, gateway.Receipt{}, translate(&commitFailed{txID: st.TransactionID, code: st.Code})
	}
}

// Evaluate implements contract.Transport.
func (t *Transport) Evaluate(ctx context.Context, mspID, fn string, args ...string) ([]byte, error) {
	c, err := t.contract(mspID)
	if err != nil {
		return nil, err
	}
	out, err := c.EvaluateWithContext(ctx, fn, client.WithArguments(args...))
	if err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// Receipt implements contract.Transport: the block holding a transaction, from the peer's
// query system chaincode (qscc GetBlockByTxID); cached, as a committed block never changes.
func (t *Transport) Receipt(ctx context.Context, txID string) (gateway.Receipt, error) {
	if r, ok := t.receipts.Load(txID); ok {
		return r.(gateway.Receipt), nil
	}
	var q *client.Contract
	for _, q = range t.qscc {
		break
	}
	data, err := q.EvaluateWithContext(ctx, "GetBlockByTxID", client.WithArguments(t.channel, txID))
	if err != nil {
		return gateway.Receipt{}, translate(err)
	}
	var b common.Block
	if err := proto.Unmarshal(data, &b); err != nil || b.GetHeader() == nil {
		return gateway.Receipt{}, gateway.Errorf(gateway.EINTERNAL, "unreadable block for %s", "交易 %s 的区块无法解析", txID)
	}
	r := gateway.Receipt{Ledger: gateway.LedgerFabric, TxID: txID, Block: b.GetHeader().GetNumber(), Status: gateway.ReceiptCommitted}
	t.receipts.Store(txID, r)
	return r, nil
}

// Proof implements contract.Transport: the block number and validation code the peer's
// query system chaincode reports (qscc GetTransactionByID); any peer of the channel answers
// the same.
func (t *Transport) Proof(ctx context.Context, txID string) (*gateway.ReceiptProof, error) {
	r, err := t.Receipt(ctx, txID)
	if err != nil {
		return nil, err
	}
	var q *client.Contract
	for _, q = range t.qscc {
		break
	}
	data, err := q.EvaluateWithContext(ctx, "GetTransactionByID", client.WithArguments(t.channel, txID))
	if err != nil {
		return nil, translate(err)
	}
	var ptx peer.ProcessedTransaction
	if err := proto.Unmarshal(data, &ptx); err != nil {
		return nil, gateway.Errorf(gateway.EINTERNAL, "unreadable transaction %s", "交易 %s 无法解析", txID)
	}
	return &gateway.ReceiptProof{Receipt: r, ValidationCode: peer.TxValidationCode(ptx.GetValidationCode()).String()}, nil
}

// Ready implements contract.Transport: the chaincode answers WhoAmI for every identity.
func (t *Transport) Ready(ctx context.Context) error {
	for m := range t.contracts {
		if _, err := t.Evaluate(ctx, m, "WhoAmI"); err != nil {
			return err
		}
	}
	return nil
}

// commitFailed is a transaction the channel refused at validation.
type commitFailed struct {
	txID string
	code peer.TxValidationCode
}

func (e *commitFailed) Error() string {
	return fmt.Sprintf("transaction %s failed validation: %s", e.txID, e.code)
}

// endorsementRefused reports an endorsement the peers refused or disagreed on (gRPC Aborted:
// a chaincode refusal, or answers that differ), as opposed to an outage.
func endorsementRefused(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Aborted
}

// waitPeers waits, up to 2 s, until every organisation's peer holds block (its height is
// beyond it), asking each peer's query system chaincode for its chain height.
func (t *Transport) waitPeers(ctx context.Context, block uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for msp, q := range t.qscc {
		for {
			data, err := q.EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(t.channel), client.WithEndorsingOrganizations(msp))
			var info common.BlockchainInfo
			if err == nil && proto.Unmarshal(data, &info) == nil && info.GetHeight() > block {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// translate is the one place Fabric errors become gateway errors: a chaincode business
// error (its code prefix, found in the error or its details) keeps its code; an MVCC
// conflict that survived the retry is ECONFLICT; a deadline or an unreachable peer is
// EUNAVAILABLE; anything else is internal.
func translate(err error) error {
	var msgs []string
	msgs = append(msgs, err.Error())
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(interface{ GetMessage() string }); ok {
				msgs = append(msgs, ed.GetMessage())
			}
		}
	}
	for _, m := range msgs {
		if cerr := contract.ChaincodeError(m); gateway.ErrorCode(cerr) != gateway.EINTERNAL {
			return cerr
		}
		// The query system chaincode's answer for a transaction ID it does not hold.
		if strings.Contains(m, "no such transaction ID") {
			return gateway.Wrap(err, gateway.ENOTFOUND, "no such transaction on the channel", "通道上无此交易")
		}
	}
	var cf *commitFailed
	if errors.As(err, &cf) {
		if cf.code == peer.TxValidationCode_MVCC_READ_CONFLICT {
			return gateway.Wrap(err, gateway.ECONFLICT, "the ledger write conflicted with another; retry", "账本写入冲突，请重试")
		}
		return gateway.Wrap(err, gateway.EINTERNAL, "the transaction was not valid", "交易未通过验证")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return gateway.Wrap(err, gateway.EUNAVAILABLE, "the Fabric network did not answer in time", "Fabric 网络响应超时")
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
			return gateway.Wrap(err, gateway.EUNAVAILABLE, "the Fabric network is unavailable", "Fabric 网络不可用")
		case codes.FailedPrecondition:
			if strings.Contains(st.Message(), "endorsement") {
				return gateway.Wrap(err, gateway.EUNAVAILABLE, "not enough endorsing peers are available", "可用的背书节点不足")
			}
		}
	}
	return gateway.Wrap(err, gateway.EINTERNAL, "ledger error", "账本错误")
}
